"""Words reduced to one normal form, the same for the search index and for queries.

A Russian word the dictionary knows becomes its lemma (pymorphy3 with the OpenCorpora
dictionary: ``записи``, ``записью`` and ``записей`` all become ``запись``; ``настроил`` and
``настроена`` become ``настроить``). Other Russian words go through the Russian Snowball
stemmer, Latin words through the English one, numbers and mixed tokens (``1с``, ``x64``)
stay as they are. Text is lower-cased and ``ё`` is ``е``.

A term shorter than three characters is padded with ``_`` (``1с`` → ``1с_``): InnoDB's
full-text index skips tokens shorter than ``innodb_ft_min_token_size`` (3 by default), and
both engines treat ``_`` as part of a word here, so short terms are found on both.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import pymorphy3
import snowballstemmer

MIN_TERM_LENGTH = 3
MAX_TERM_LENGTH = 40
MAX_QUERY_UNITS = 8
WORD = re.compile(r"[^\W_]+", re.UNICODE)
CYRILLIC = re.compile(r"^[а-я]+$")
LATIN = re.compile(r"^[a-z]+$")
# A quoted phrase, or a word with an optional "-" that excludes it.
QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')

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


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    # Loads the dictionary installed with pymorphy3-dicts-ru (about 15 MB, once).
    return pymorphy3.MorphAnalyzer(lang="ru")


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...


@lru_cache(maxsize=4)
def _stemmer(language: str) -> _Stemmer:
    return snowballstemmer.stemmer(language)


def _fit(term: str) -> str:
    term = term[:MAX_TERM_LENGTH].replace("ё", "е")
    return term.ljust(MIN_TERM_LENGTH, "_")


@lru_cache(maxsize=50_000)
def lemmas(word: str) -> tuple[str, ...]:
    """Every normal form of one lower-case word, the likeliest first."""
    if CYRILLIC.match(word):
        morph = _morph()
        if morph.word_is_known(word):
            forms = dict.fromkeys(_fit(parse.normal_form) for parse in morph.parse(word))
            return tuple(forms)
        return (_fit(_stemmer("russian").stemWord(word)),)
    if LATIN.match(word):
        return (_fit(_stemmer("english").stemWord(word)),)
    return (_fit(word),)


def lemma(word: str) -> str:
    """The normal form of one lower-case word that the index stores."""
    return lemmas(word)[0]


def words(text: str) -> list[str]:
    """The words of a text, lower case, ``ё`` as ``е``, without stop words and one-letter
    words (one digit is a word)."""
    return [
        word
        for word in WORD.findall(text.lower().replace("ё", "е"))
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    ]


def normalise(text: str) -> str:
    """A text as the index stores it: its words' normal forms, separated by spaces."""
    return " ".join(lemma(word) for word in words(text))


@lru_cache(maxsize=10_000)
def prefix(term: str) -> str | None:
    """A prefix that also finds related words (``сеть`` → ``сет``: ``сетевой``), or None.

    It is the Snowball stem of the term when that only drops an ending (at most one letter
    shorter and at least three letters long): ``запись`` stems to ``зап``, which would find
    ``запрос`` and ``запуск``, so it gets no prefix.
    """
    if not CYRILLIC.match(term) and not LATIN.match(term):
        return None
    stem = _stemmer("russian" if CYRILLIC.match(term) else "english").stemWord(term)
    if len(stem) < MIN_TERM_LENGTH or len(term) - len(stem) > 1 or not term.startswith(stem):
        return None
    return stem


@dataclass(frozen=True)
class Unit:
    """One part of a query: a word (any of ``forms``) or a phrase (``phrase``, in order),
    or a match of either to exclude."""

    forms: tuple[str, ...] = ()
    prefix: str | None = None
    phrase: tuple[str, ...] = ()
    exclude: bool = False


def parse_query(query: str) -> list[Unit]:
    """A search query as units: every word must match, ``"..."`` a phrase, ``-word`` and
    ``-"..."`` exclude; stop words are dropped, at most ``MAX_QUERY_UNITS`` units."""
    units: list[Unit] = []
    for match in QUERY_PART.finditer(query):
        if match.group(2) is not None:
            exclude, found = bool(match.group(1)), words(match.group(2))
            if len(found) > 1:
                units.append(Unit(phrase=tuple(lemma(w) for w in found), exclude=exclude))
                continue
        else:
            exclude, found = bool(match.group(3)), words(match.group(4))
            if len(found) > 1:  # "wi-fi", "1с:бухгалтерия": a phrase of its parts
                units.append(Unit(phrase=tuple(lemma(w) for w in found), exclude=exclude))
                continue
        for word in found:
            forms = lemmas(word)
            units.append(Unit(forms=forms, prefix=prefix(forms[0]), exclude=exclude))
    return list(dict.fromkeys(units))[:MAX_QUERY_UNITS]


def query_terms(query: str) -> list[str]:
    """The distinct normal forms of a query's words (for a quick look at what it seeks)."""
    return list(
        dict.fromkeys(
            unit.forms[0] if unit.forms else " ".join(unit.phrase) for unit in parse_query(query)
        )
    )
