"""Full-text search on the database's own engine, with Russian and English word forms.

Each ticket has one ``SearchDocument``: the normal forms (``tickets.lemmas``) of its title,
description, public comments and internal notes, one column each. The database indexes
it: an FTS5 table kept in step by triggers on SQLite, FULLTEXT indexes on MariaDB/MySQL
(migration 0005). The services rewrite the document in the same transaction as the change.

A query is normalised the same way. Every word must match (a form of it, or a prefix of
related words), ``"..."`` is a phrase, ``-word`` excludes; internal notes are matched only
for whom ``notes`` allows. Tickets are ranked by where the words are: title above
description above comments. See docs/search.md.
"""

import html
import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import (
    Case,
    Expression,
    F,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, Trim
from django.utils.safestring import SafeString

from tickets import lemmas
from tickets.lemmas import Unit
from tickets.models import Comment, SearchDocument, Ticket

KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{0,9})-(\d{1,9})\s*$")
WEIGHTS = {"title": 8, "description": 3}
SNIPPET_WORDS = 24


# --- Indexing -------------------------------------------------------------------------


def _documents(ticket_ids: list[int]) -> list[SearchDocument]:
    texts: dict[int, dict[str, list[str]]] = {}
    for pk, title, description in Ticket.objects.filter(pk__in=ticket_ids).values_list(
        "pk", "title", "description"
    ):
        texts[pk] = {"title": [title], "description": [description], "comments": [], "notes": []}
    comments = (
        Comment.objects.filter(ticket_id__in=ticket_ids)
        .order_by("pk")
        .values_list("ticket_id", "body", "is_internal")
    )
    for ticket_id, body, internal in comments.iterator(chunk_size=2000):
        texts[ticket_id]["notes" if internal else "comments"].append(body)
    return [
        SearchDocument(
            ticket_id=pk,
            **{name: lemmas.normalise("\n".join(parts)) for name, parts in doc.items()},
        )
        for pk, doc in texts.items()
    ]


def index_tickets(ticket_ids: Iterable[int], *, batch_size: int = 500) -> int:
    """Rebuild the search documents of many tickets; returns how many were written."""
    ids = list(ticket_ids)
    written = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        SearchDocument.objects.filter(ticket_id__in=chunk).delete()
        documents = _documents(chunk)
        SearchDocument.objects.bulk_create(documents)
        written += len(documents)
    return written


def index_ticket(ticket: Ticket) -> None:
    """(Re)build the search document of one ticket."""
    index_tickets([ticket.pk])


def index_new_ticket(ticket: Ticket) -> None:
    """The search document of a ticket just filed (no comments yet): one INSERT."""
    SearchDocument.objects.create(
        ticket_id=ticket.pk,
        title=lemmas.normalise(ticket.title),
        description=lemmas.normalise(ticket.description),
    )


def index_fields(ticket: Ticket) -> None:
    """Refresh the title and description after either changed (or a new ticket)."""
    updated = SearchDocument.objects.filter(ticket_id=ticket.pk).update(
        title=lemmas.normalise(ticket.title), description=lemmas.normalise(ticket.description)
    )
    if not updated:
        index_tickets([ticket.pk])


def index_comment(comment: Comment) -> None:
    """Add a new comment's words to its ticket's comments (or notes)."""
    text = lemmas.normalise(comment.body)
    if not text:
        return
    column = "notes" if comment.is_internal else "comments"
    updated = SearchDocument.objects.filter(ticket_id=comment.ticket_id).update(
        **{column: Trim(Concat(F(column), Value(f" {text}"), output_field=TextField()))}
    )
    if not updated:
        index_tickets([comment.ticket_id])


def reindex_comments(ticket_id: int) -> None:
    """Rebuild a ticket's comments and notes after a comment was edited or removed."""
    index_tickets([ticket_id])


# --- Searching ------------------------------------------------------------------------


def _quote(term: str) -> str:
    return f'"{term}"'  # terms are letters, digits and "_": nothing to escape


def _fts5(unit: Unit) -> str:
    if unit.phrase:
        return _quote(" ".join(unit.phrase))
    options = [_quote(form) for form in unit.forms]
    if unit.prefix:
        options = [_quote(unit.prefix) + " *"]
    return " OR ".join(options)


def _innodb(unit: Unit) -> str:
    if unit.phrase:
        return '+"{}"'.format(" ".join(unit.phrase))
    options = list(unit.forms)
    if unit.prefix:
        options = [f"{unit.prefix}*"]
    return "+({})".format(" ".join(options))


# The engine's match, by vendor and by which columns: the public ones or the notes.
# (SQLite has one FTS5 table; the query names the columns.)
MATCH_SQL = {
    ("sqlite", False): "SELECT rowid FROM tickets_search_fts WHERE tickets_search_fts MATCH %s",
    ("mysql", False): "SELECT ticket_id FROM tickets_searchdocument "
    "WHERE MATCH(title, description, comments) AGAINST (%s IN BOOLEAN MODE)",
    ("mysql", True): "SELECT ticket_id FROM tickets_searchdocument "
    "WHERE MATCH(notes) AGAINST (%s IN BOOLEAN MODE)",
}


def _matching(unit: Unit, *, notes: bool) -> Q:
    """Tickets whose public columns (or notes) match ``unit``, by the engine's index."""
    if connection.vendor == "sqlite":
        columns = "notes" if notes else "title description comments"
        expression = f"{{{columns}}} : ({_fts5(unit)})"
    else:
        expression = _innodb(unit)
    sql = MATCH_SQL[(connection.vendor, notes and connection.vendor != "sqlite")]
    return Q(pk__in=RawSQL(sql, [expression]))  # noqa: S611 - constant SQL, bound parameter


def _contains(field: str, unit: Unit) -> Q:
    """``field`` (an annotation with a space at each end) holds ``unit``."""
    if unit.phrase:
        return Q(**{f"{field}__contains": " {} ".format(" ".join(unit.phrase))})
    if unit.prefix:
        return Q(**{f"{field}__contains": f" {unit.prefix}"})
    found = Q()
    for form in unit.forms:
        found |= Q(**{f"{field}__contains": f" {form} "})
    return found


def _padded(column: str) -> Concat:
    return Concat(Value(" "), F(f"search_document__{column}"), Value(" "), output_field=TextField())


def _rank(units: list[Unit]) -> Expression:
    """8 for each word in the title, else 3 in the description, else 1."""
    weights = [
        Case(
            When(_contains("search_title", unit), then=Value(WEIGHTS["title"])),
            When(_contains("search_description", unit), then=Value(WEIGHTS["description"])),
            default=Value(1),
            output_field=IntegerField(),
        )
        for unit in units
    ]
    total: Expression = weights[0]
    for weight in weights[1:]:
        total = total + weight
    return total


def _constant_rank(value: int) -> Cast:
    # A cast, not a bare literal: MySQL reads "ORDER BY 1000" as a column position.
    return Cast(Value(value), output_field=IntegerField())


def search_tickets(
    tickets: QuerySet[Ticket], query: str, *, notes: Q | bool = False
) -> QuerySet[Ticket]:
    """Narrow ``tickets`` to those matching ``query``, with ``search_rank``.

    ``notes`` says whose internal notes are searched too: True for every ticket (managers),
    a filter of tickets (an agent's own queues), or False for none (requesters). A query
    that is a ticket key (``HD-42``) finds that ticket. A query without words leaves
    ``tickets`` as it is.
    """
    key = KEY.match(query)
    if key:
        ticket_key = f"{key.group(1).upper()}-{int(key.group(2))}"
        return tickets.filter(key=ticket_key).annotate(search_rank=_constant_rank(1000))
    units = lemmas.parse_query(query)
    for unit in units:
        found = _matching(unit, notes=False)
        if notes is not False:
            in_notes = _matching(unit, notes=True)
            found |= in_notes if notes is True else in_notes & notes
        tickets = tickets.exclude(found) if unit.exclude else tickets.filter(found)
    wanted = [unit for unit in units if not unit.exclude]
    if not wanted:
        return tickets.annotate(search_rank=_constant_rank(0))
    return tickets.annotate(
        search_title=_padded("title"), search_description=_padded("description")
    ).annotate(search_rank=_rank(wanted))


# --- Snippets -------------------------------------------------------------------------


def _hits(word: str, units: list[Unit]) -> bool:
    forms = lemmas.lemmas(word)
    for unit in units:
        wanted = unit.phrase or unit.forms
        if any(form in wanted for form in forms):
            return True
        if unit.prefix and any(form.startswith(unit.prefix) for form in forms):
            return True
    return False


# Markdown's marks, dropped from a snippet: a link or an image becomes its text, emphasis
# and code marks go, and so do the marks that open a heading, a quote or a list item.
MARKDOWN_MARKS = re.compile(
    r"!?\[([^\]]*)\]\([^)]*\)|\*\*|__|\*|`+|~~|^[ \t]*(?:#{1,6}|>|[-+]|\d+\.)[ \t]+",
    re.MULTILINE,
)


def plain_text(markdown: str) -> str:
    """The words of a Markdown text without its marks (for snippets)."""
    return MARKDOWN_MARKS.sub(lambda match: match.group(1) or "", markdown)


def snippet(text: str, query: str, *, size: int = SNIPPET_WORDS) -> str:
    """HTML: the part of ``text`` (Markdown) around the first word ``query`` looks for,
    without Markdown's marks, matched words in ``<mark>``; ``""`` when none is there. Give
    it only what the reader may see."""
    units = [unit for unit in lemmas.parse_query(query) if not unit.exclude]
    if not units or not text:
        return ""
    tokens = re.split(r"([^\W_]+)", plain_text(text))  # odd items are words
    hits = [
        index
        for index in range(1, len(tokens), 2)
        if tokens[index].lower().replace("ё", "е") not in lemmas.STOPWORDS
        and _hits(tokens[index].lower().replace("ё", "е"), units)
    ]
    if not hits:
        return ""
    first = max(1, hits[0] - size // 3 * 2)
    last = min(len(tokens), first + size * 2)
    parts = []
    for index in range(first if first > 1 else 0, last):
        piece = html.escape(tokens[index])
        parts.append(f"<mark>{piece}</mark>" if index in hits else piece)
    body = " ".join("".join(parts).split())
    prefix = "… " if first > 1 else ""
    suffix = " …" if last < len(tokens) else ""
    return f"{prefix}{body}{suffix}"


def page_snippets(ticket_ids: list[int], query: str) -> dict[int, SafeString]:
    """Snippets for the tickets of one list page, from the description or else the first
    public comment that holds a searched word (never internal notes): two queries."""
    found: dict[int, SafeString] = {}
    if not ticket_ids or KEY.match(query):
        return found
    for pk, description in Ticket.objects.filter(pk__in=ticket_ids).values_list(
        "pk", "description"
    ):
        if text := snippet(description, query):
            found[pk] = SafeString(text)
    rest = [pk for pk in ticket_ids if pk not in found]
    if rest:
        comments = Comment.objects.filter(ticket_id__in=rest, is_internal=False).order_by("pk")
        for ticket_id, body in comments.values_list("ticket_id", "body").iterator():
            if ticket_id not in found and (text := snippet(body, query)):
                found[ticket_id] = SafeString(text)
    return found


def index_size() -> dict[str, int]:
    """Documents in the index (for operators and the benchmark)."""
    return {"documents": SearchDocument.objects.count()}
