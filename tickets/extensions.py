"""What other apps add to ticket lists, the board and the API, so tickets imports none.

An app registers from its ``AppConfig.ready()`` (``tickets.panels`` does the same for the
ticket page):

- ``register_badge(name, values=(...), render=...)``: a small badge on list rows and
  board cards. ``values`` are extra paths read with the page's own query (e.g. columns of
  a one-to-one row: ``"sla_clock__due_at"``, a LEFT JOIN, no query more); ``render(values,
  now)`` gets them as a dict and returns the badge's HTML, or ``""`` for none.
- ``register_filter(name, label=..., choices=..., apply=...)``: a list and API filter
  parameter; ``apply(tickets, value)`` narrows a queryset of visible tickets.
- ``register_sort(name, terms=...)``: a sort of the list and the API; ``terms()`` gives the
  ORDER BY expressions of the ascending order (empty values always last).
- ``register_field(name, related=(...), read=...)``: a read-only field of the ticket API
  resource; ``related`` are ``select_related`` paths the API's query adds (a one-to-one
  row: no query more), ``read(ticket)`` gives the value.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from tickets.models import Ticket


@dataclass(frozen=True)
class Badge:
    name: str
    values: tuple[str, ...]
    render: Callable[[dict[str, Any], dt.datetime], SafeString | str]


@dataclass(frozen=True)
class ListFilter:
    name: str
    label: str | Promise
    choices: Callable[[], Sequence[tuple[str, str | Promise]]]
    apply: Callable[["QuerySet[Ticket]", str], "QuerySet[Ticket]"]


@dataclass(frozen=True)
class ListSort:
    name: str
    label: str | Promise
    terms: Callable[[], tuple]


@dataclass(frozen=True)
class ApiField:
    name: str
    related: tuple[str, ...]
    read: Callable[["Ticket"], Any]


_badges: dict[str, Badge] = {}
_filters: dict[str, ListFilter] = {}
_sorts: dict[str, ListSort] = {}
_fields: dict[str, ApiField] = {}


def register_badge(
    name: str,
    *,
    values: tuple[str, ...],
    render: Callable[[dict[str, Any], dt.datetime], SafeString | str],
) -> None:
    _badges[name] = Badge(name, values, render)


def register_filter(
    name: str,
    *,
    label: str | Promise,
    choices: Callable[[], Sequence[tuple[str, str | Promise]]],
    apply: Callable[["QuerySet[Ticket]", str], "QuerySet[Ticket]"],
) -> None:
    _filters[name] = ListFilter(name, label, choices, apply)


def register_sort(name: str, *, label: str | Promise, terms: Callable[[], tuple]) -> None:
    _sorts[name] = ListSort(name, label, terms)


def register_field(
    name: str, *, related: tuple[str, ...] = (), read: Callable[["Ticket"], Any]
) -> None:
    _fields[name] = ApiField(name, related, read)


def unregister(name: str) -> None:
    """Remove what ``name`` registered (tests of a ticket system without it)."""
    for registry in (_badges, _filters, _sorts, _fields):
        registry.pop(name, None)


def badges() -> list[Badge]:
    return sorted(_badges.values(), key=lambda badge: badge.name)


def badge_values() -> tuple[str, ...]:
    """The extra value paths of every badge, in ``badges()`` order."""
    return tuple(path for badge in badges() for path in badge.values)


def render_badges(extra: Sequence[Any], now: dt.datetime) -> list[SafeString]:
    """The badges of one row, from the values ``badge_values()`` named, in order."""
    rendered = []
    index = 0
    for badge in badges():
        count = len(badge.values)
        values = dict(zip(badge.values, extra[index : index + count], strict=True))
        index += count
        html = badge.render(values, now)
        if html:
            rendered.append(SafeString(html))
    return rendered


def list_filters() -> list[ListFilter]:
    return sorted(_filters.values(), key=lambda item: item.name)


def list_sorts() -> dict[str, ListSort]:
    return dict(_sorts)


def api_fields() -> list[ApiField]:
    return sorted(_fields.values(), key=lambda item: item.name)


def api_related() -> tuple[str, ...]:
    return tuple(path for field in api_fields() for path in field.related)
