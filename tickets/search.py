"""Full-text search that understands Russian and English word forms.

Every word of a ticket's title, description and comments is reduced to its stem by the
Snowball stemmers (``принтера`` and ``принтер`` both become ``принтер``) and stored once
per ticket and field in ``SearchTerm``, indexed by (term, ticket). A query is stemmed the
same way; each of its words must match (a stem is also matched as a prefix, so
``сет`` finds ``сетевой``), and tickets are ranked by the weight of the fields that
matched: the title above the description above the comments. It is plain indexed SQL, so
it behaves the same on SQLite and MariaDB. See docs/search.md.
"""

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

import snowballstemmer
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tickets.models import Comment, SearchTerm, Ticket

Field = SearchTerm.Field
WEIGHTS: dict[str, int] = {
    Field.TITLE: 8,
    Field.DESCRIPTION: 3,
    Field.COMMENT: 1,
    Field.INTERNAL: 1,
}
MAX_TERM_LENGTH = SearchTerm._meta.get_field("term").max_length
MAX_QUERY_TERMS = 8
WORD = re.compile(r"[^\W_]+", re.UNICODE)
CYRILLIC = re.compile(r"[а-я]")
LATIN = re.compile(r"[a-z]")
KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{0,9})-(\d{1,9})\s*$")

# Words too common to tell tickets apart; they are neither indexed nor searched for.
STOPWORDS = frozenset(
    """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
    есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж
    тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее
    были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот
    через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед
    иногда лучше чуть том нельзя такой им более всегда конечно всю между это
    a an and are as at be but by for if in into is it no not of on or such that the their
    then there these they this to was will with i you we our your from have has had do does
    """.split()  # noqa: SIM905 - a word list reads better as text
)


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...


@lru_cache(maxsize=4)
def _stemmer(language: str) -> _Stemmer:
    return snowballstemmer.stemmer(language)


# PyStemmer caches too; this saves the script checks for the most frequent words.
@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """The stem of one lower-case word (Russian or English; other words as they are)."""
    if CYRILLIC.search(word):
        word = _stemmer("russian").stemWord(word)
    elif LATIN.search(word) and word.isalpha():
        word = _stemmer("english").stemWord(word)
    return word[:MAX_TERM_LENGTH]


def terms(text: str) -> list[str]:
    """The stems of a text, in order, without stop words and one-letter words."""
    found = []
    for word in WORD.findall(text.lower().replace("ё", "е")):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        found.append(stem(word))
    return found


def query_terms(query: str) -> list[str]:
    """The distinct stems of a search query, at most ``MAX_QUERY_TERMS``."""
    return list(dict.fromkeys(terms(query)))[:MAX_QUERY_TERMS]


# --- Indexing -------------------------------------------------------------------------


def _rows(ticket_id: int, field: str, words: Iterable[str]) -> list[SearchTerm]:
    return [
        SearchTerm(ticket_id=ticket_id, term=term, field=field, weight=WEIGHTS[field])
        for term in set(words)
    ]


def index_ticket(ticket: Ticket) -> None:
    """(Re)build the search terms of one ticket: title, description and every comment."""
    index_tickets([ticket.pk])


def index_tickets(ticket_ids: Iterable[int], *, batch_size: int = 2000) -> int:
    """Rebuild the search terms of many tickets; returns how many rows were written."""
    ids = list(ticket_ids)
    written = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        SearchTerm.objects.filter(ticket_id__in=chunk).delete()
        words: dict[tuple[int, str], set[str]] = {}
        for pk, title, description in Ticket.objects.filter(pk__in=chunk).values_list(
            "pk", "title", "description"
        ):
            words[(pk, Field.TITLE)] = set(terms(title))
            words[(pk, Field.DESCRIPTION)] = set(terms(description))
        comments = Comment.objects.filter(ticket_id__in=chunk).values_list(
            "ticket_id", "body", "is_internal"
        )
        for ticket_id, body, internal in comments.iterator(chunk_size=2000):
            field = Field.INTERNAL if internal else Field.COMMENT
            words.setdefault((ticket_id, field), set()).update(terms(body))
        rows = [row for (pk, field), found in words.items() for row in _rows(pk, field, found)]
        SearchTerm.objects.bulk_create(rows, batch_size=batch_size)
        written += len(rows)
    return written


def index_fields(ticket: Ticket) -> None:
    """Refresh the title and description terms after either changed."""
    SearchTerm.objects.filter(
        ticket_id=ticket.pk, field__in=[Field.TITLE, Field.DESCRIPTION]
    ).delete()
    SearchTerm.objects.bulk_create(
        _rows(ticket.pk, Field.TITLE, terms(ticket.title))
        + _rows(ticket.pk, Field.DESCRIPTION, terms(ticket.description))
    )


def index_comment(comment: Comment) -> None:
    """Add the words of a new comment that the ticket's comments did not have yet."""
    field = Field.INTERNAL if comment.is_internal else Field.COMMENT
    new = set(terms(comment.body))
    if not new:
        return
    known = set(
        SearchTerm.objects.filter(
            ticket_id=comment.ticket_id, field=field, term__in=new
        ).values_list("term", flat=True)
    )
    SearchTerm.objects.bulk_create(_rows(comment.ticket_id, field, new - known))


def reindex_comments(ticket_id: int) -> None:
    """Rebuild the comment terms of a ticket after a comment was edited or removed."""
    SearchTerm.objects.filter(
        ticket_id=ticket_id, field__in=[Field.COMMENT, Field.INTERNAL]
    ).delete()
    words: dict[str, set[str]] = {Field.COMMENT: set(), Field.INTERNAL: set()}
    for body, internal in Comment.objects.filter(ticket_id=ticket_id).values_list(
        "body", "is_internal"
    ):
        words[Field.INTERNAL if internal else Field.COMMENT].update(terms(body))
    SearchTerm.objects.bulk_create(
        [row for field, found in words.items() for row in _rows(ticket_id, field, found)]
    )


# --- Searching ------------------------------------------------------------------------


def _term_q(term: str) -> Q:
    """Rows whose term is ``term`` or, for stems of 3+ letters, starts with it."""
    if len(term) < 3:
        return Q(term=term)
    if connection.vendor == "sqlite":
        # SQLite compares text byte-wise: [term, next string) is an index range.
        upper = term[:-1] + chr(ord(term[-1]) + 1)
        return Q(term__gte=term, term__lt=upper)
    # MySQL/MariaDB use the index for LIKE 'prefix%' in the column's collation.
    return Q(term__istartswith=term)


def search_tickets(
    tickets: QuerySet[Ticket], query: str, *, notes: Q | bool = False
) -> QuerySet[Ticket]:
    """Narrow ``tickets`` to those matching every word of ``query``, with ``search_rank``.

    ``notes`` says whose internal notes are searched too: True for every ticket (managers),
    a filter of tickets (an agent's own queues), or False for none (requesters). A query
    that is a ticket key (``HD-42``) finds that ticket. A query without words leaves
    ``tickets`` as it is.
    """
    key = KEY.match(query)
    if key:
        wanted = f"{key.group(1).upper()}-{int(key.group(2))}"
        return tickets.filter(key=wanted).annotate(search_rank=Value(1000, IntegerField()))
    words = query_terms(query)
    if not words:
        return tickets.annotate(search_rank=Value(0, IntegerField()))
    public = [Field.TITLE, Field.DESCRIPTION, Field.COMMENT]
    for word in words:
        matching = SearchTerm.objects.filter(_term_q(word))
        found = Q(pk__in=matching.filter(field__in=public).values("ticket_id"))
        in_notes = Q(pk__in=matching.filter(field=Field.INTERNAL).values("ticket_id"))
        if notes is True:
            found |= in_notes
        elif notes is not False:
            found |= in_notes & notes
        tickets = tickets.filter(found)
    any_word = Q()
    for word in words:
        any_word |= _term_q(word)
    rank_fields = [*public, Field.INTERNAL] if notes is True else public
    weight = (
        SearchTerm.objects.filter(any_word, ticket_id=OuterRef("pk"), field__in=rank_fields)
        .order_by()
        .values("ticket_id")
        .annotate(total=Sum("weight"))
        .values("total")[:1]
    )
    return tickets.annotate(search_rank=Coalesce(Subquery(weight), Value(0)))


def index_size() -> dict[str, int]:
    """Rows and distinct words in the index (for operators and the benchmark)."""
    stats = SearchTerm.objects.aggregate(rows=Count("pk"), tickets=Count("ticket", distinct=True))
    return {"rows": stats["rows"], "tickets": stats["tickets"]}
