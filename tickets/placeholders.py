"""The placeholders of canned replies: a fixed, documented set, filled in by a small
renderer of our own (never the template engine on text people wrote).

``{{ requester.first_name }}`` and the others below are replaced by plain text; anything
else between ``{{`` and ``}}`` is refused when the reply is saved (``placeholder_errors``).
Dates are written in the format of the reply's reader: the requester's language (their
profile's, else the site's) for a public reply, the agent's own for an internal note.
"""

import datetime
import re
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class Ticket(Protocol):
    """What the placeholders read of a ticket (``tickets.models.Ticket``, which imports
    this module to check what is saved)."""

    key: str
    title: str
    due_date: datetime.date | None

    @property
    def requester(self) -> User: ...

    @property
    def queue(self) -> _Named: ...


# ``{{ name }}`` with any spacing; the name as written, to report it when unknown.
PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
UNCLOSED = re.compile(r"\{\{(?![^{}]*\}\})")

Filler = Callable[[Ticket, User], str]


def _first_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.first_name or user.get_display_name()


def _due_date(ticket: Ticket, agent: User) -> str:
    return formats.date_format(ticket.due_date, "DATE_FORMAT") if ticket.due_date else ""


PLACEHOLDERS: dict[str, tuple[Filler, object]] = {
    "requester.first_name": (
        lambda t, a: _first_name(t.requester),
        gettext_lazy("the requester's first name"),
    ),
    "requester.name": (
        lambda t, a: t.requester.get_display_name(),
        gettext_lazy("the requester's name"),
    ),
    "ticket.key": (lambda t, a: t.key, gettext_lazy("the ticket's key, e.g. HD-42")),
    "ticket.title": (lambda t, a: t.title, gettext_lazy("the ticket's title")),
    "ticket.due_date": (_due_date, gettext_lazy("the due date, in the reader's format")),
    "queue.name": (lambda t, a: t.queue.name, gettext_lazy("the ticket's queue")),
    "agent.name": (lambda t, a: a.get_display_name(), gettext_lazy("your name")),
    "agent.first_name": (lambda t, a: _first_name(a), gettext_lazy("your first name")),
}


def placeholder_errors(text: str) -> list[str]:
    """Why ``text`` cannot be saved as a canned reply: its unknown or unclosed placeholders."""
    errors = []
    unknown = sorted({name for name in PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS})
    if unknown:
        errors.append(
            _("Unknown placeholder: %(names)s. Use one of: %(known)s.")
            % {
                "names": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "known": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS),
            }
        )
    if UNCLOSED.search(PLACEHOLDER.sub("", text or "")):
        errors.append(_("A placeholder is not closed: write it as {{ ticket.key }}."))
    return errors


def reader_language(ticket: Ticket, agent: User, *, is_internal: bool) -> str:
    """The language the reply's reader reads dates in."""
    reader = agent if is_internal else ticket.requester
    return reader.language or agent.language or settings.LANGUAGE_CODE


def render_placeholders(
    text: str, *, ticket: Ticket, agent: User, is_internal: bool = False
) -> str:
    """``text`` with its placeholders filled in for ``ticket`` (an unknown one, which saving
    refuses, is left as written)."""

    def fill(match: re.Match[str]) -> str:
        entry = PLACEHOLDERS.get(match.group(1))
        return entry[0](ticket, agent) if entry else match.group(0)

    with translation.override(reader_language(ticket, agent, is_internal=is_internal)):
        return PLACEHOLDER.sub(fill, text or "")
