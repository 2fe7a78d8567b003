"""What every ticket service shares: errors, locking, history rows, signals, ranks."""

import enum
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.dispatch import Signal
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import user_is_agent
from tickets import signals
from tickets.models import (
    Attachment,
    Comment,
    KeyCounter,
    Priority,
    Queue,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)
from tickets.selectors import last_changed_by, user_can_work_ticket
from tickets.uploads import Upload, attachment_create
from tickets.workflow import workflow

logger = logging.getLogger(__name__)

RANK_STEP = 1 << 16
# Fields ``ticket_update`` changes, in the order their history entries are written.
UPDATABLE_FIELDS = (
    "title",
    "description",
    "queue",
    "status",
    "priority",
    "assignee",
    "requester",
    "due_date",
    "tags",
)


class _Unset(enum.Enum):
    """A keyword that was not given (``None`` being a value, e.g. "no assignee")."""

    UNSET = "unset"


UNSET = _Unset.UNSET


class TicketError(Exception):
    """A change refused by a business rule; the message is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(TicketError):
    pass


class TicketStateConflict(TicketError):
    """The ticket is not in a state the action applies to (confirming a ticket that is
    not resolved, reopening an open one): the request is fine, the ticket has moved on."""

    def __init__(self, ticket: Ticket, message: str) -> None:
        self.ticket = ticket
        super().__init__(message)


class TicketConflict(TicketError):
    """The ticket changed after the actor loaded it (optimistic locking)."""

    def __init__(
        self, ticket: Ticket, *, changed_by: User | None, actor: User | None = None
    ) -> None:
        self.ticket = ticket
        self.changed_by = changed_by
        if changed_by is not None and actor is not None and changed_by.pk == actor.pk:
            message = _(
                "You changed %(key)s in another tab or window a moment ago. "
                "This change was not saved."
            ) % {"key": ticket.key}
        elif changed_by is not None:
            message = _("%(name)s changed %(key)s a moment ago. Your change was not saved.") % {
                "name": changed_by.get_display_name(),
                "key": ticket.key,
            }
        else:
            message = _("%(key)s changed a moment ago. Your change was not saved.") % {
                "key": ticket.key
            }
        super().__init__(message)


# --- Helpers --------------------------------------------------------------------------


def raw_value(value: object) -> str:
    """A value as stored in the history: ids, ISO dates and plain text, never labels."""
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, list, tuple)):
        return ",".join(sorted(str(item) for item in value))
    return str(value)


Announcement = tuple[Signal, dict[str, Any]]
_change: ContextVar[list[Announcement] | None] = ContextVar("tickets_change", default=None)


@contextmanager
def one_change() -> Iterator[None]:
    """The transaction of a service (a decorator too: ``@one_change()``). What it announces
    reaches the ``change_recorded`` and ``changes_recorded`` receivers at its end, still
    inside it and all together, so that the notifications of a status change with a comment
    are read and written once. A service called by another joins the caller's change in a
    savepoint; if that rolls back, so does what it announced."""
    pending = _change.get()
    if pending is not None:
        mark = len(pending)
        try:
            with transaction.atomic():
                yield
        except BaseException:
            del pending[mark:]
            raise
        return
    pending = []
    token = _change.set(pending)
    recorded = False
    try:
        with transaction.atomic():
            yield
            _change.reset(token)
            recorded = True  # receivers that change tickets start changes of their own
            _record(pending)
    finally:
        if not recorded:
            _change.reset(token)


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    """Announce a change: ``change_recorded`` inside the transaction (at the end of the
    service's ``one_change``), and ``signal`` once it commits (never, if it rolls back).
    Nothing inside ``signals.muted()``."""
    if signals.is_muted():
        return
    pending = _change.get()
    if pending is not None:
        pending.append((signal, kwargs))
    else:
        _record([(signal, kwargs)])
    transaction.on_commit(
        lambda: _report("a tickets signal", signal.send_robust(sender=Ticket, **kwargs))
    )


def _record(announced: list[Announcement]) -> None:
    if not announced:
        return
    for signal, kwargs in announced:
        _report(
            "change_recorded",
            signals.change_recorded.send_robust(sender=Ticket, event=signal, **kwargs),
        )
    _report(
        "changes_recorded",
        signals.changes_recorded.send_robust(sender=Ticket, events=announced),
    )


def _report(name: str, results: list[tuple[Callable[..., Any], Any]]) -> None:
    """A failing receiver is logged and never undoes the change; with
    ``RAISE_RECEIVER_ERRORS`` (the tests) it raises, so a broken receiver fails its test."""
    failures = [(receiver, result) for receiver, result in results if isinstance(result, Exception)]
    for receiver, error in failures:
        logger.error(
            "receiver %r of %s failed",
            receiver,
            name,
            exc_info=(type(error), error, error.__traceback__),
        )
    if failures and settings.RAISE_RECEIVER_ERRORS:
        raise failures[0][1]


def lock_ticket(ticket: Ticket | int) -> Ticket:
    """The ticket's row, locked until the transaction ends, with its workflow objects."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    locked = Ticket.objects.select_for_update().get(pk=pk)
    flow = workflow()
    # From the cache: joining them here would lock their rows too on MariaDB.
    locked.status = flow.status(locked.status_id) or Status.objects.get(pk=locked.status_id)
    locked.priority = flow.priority(locked.priority_id) or Priority.objects.get(
        pk=locked.priority_id
    )
    locked.queue = flow.queue(locked.queue_id) or Queue.objects.get(pk=locked.queue_id)
    return locked


def check_version(ticket: Ticket, version: int | None, *, actor: User | None = None) -> None:
    if version is not None and version != ticket.version:
        raise TicketConflict(ticket, changed_by=last_changed_by(ticket), actor=actor)


def check_can_work(actor: User | None, ticket: Ticket) -> None:
    if actor is not None and not user_can_work_ticket(actor, ticket):
        raise PermissionDenied(_("You cannot change this ticket."))


def top_rank(status_id: int, *, exclude: int | None = None) -> int:
    column = Ticket.objects.filter(status_id=status_id)
    if exclude is not None:
        column = column.exclude(pk=exclude)
    lowest = column.aggregate(lowest=Min("rank"))["lowest"]
    return 0 if lowest is None else lowest - RANK_STEP


def store_files(
    ticket: Ticket,
    files: Sequence[Upload],
    *,
    actor: User | None,
    source: str,
    now: datetime,
    comment: Comment | None = None,
) -> tuple[list[Attachment], list[TicketEvent]]:
    """Store validated uploads; returns the attachments and their (unsaved) history rows."""
    internal = bool(comment and comment.is_internal)
    attachments: list[Attachment] = []
    events: list[TicketEvent] = []
    for upload in files:
        attachment = attachment_create(
            ticket=ticket, upload=upload, uploader=actor, comment=comment, now=now
        )
        attachments.append(attachment)
        events.append(
            new_event(
                ticket,
                actor,
                source,
                TicketEvent.Kind.ATTACHED,
                now,
                field="attachment",
                new_value=str(attachment.pk),
                is_internal=internal,
            )
        )
    return attachments, events


def new_event(
    ticket: Ticket, actor: User | None, source: str, kind: str, now: datetime, **values: Any
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket, actor=actor, source=source, kind=kind, created_at=now, **values
    )


def apply_status(ticket: Ticket, status: Status, now: datetime, *, enforce: bool = True) -> None:
    """Move the ticket into ``status``: transition rules (unless ``enforce`` is off) and
    the resolution timestamps."""
    old = ticket.status
    if enforce and not workflow().transition_allowed(ticket.queue_id, old.pk, status.pk):
        raise TransitionNotAllowed(
            _("In queue %(queue)s a ticket cannot go from “%(old)s” to “%(new)s”.")
            % {"queue": ticket.queue.name, "old": old.name, "new": status.name}
        )
    if status.is_closed and not old.is_closed:
        ticket.resolved_at = now
    if status.is_closed:
        ticket.closed_at = now
    else:
        ticket.resolved_at = ticket.closed_at = None
    ticket.status = status


def reply_reopens(actor: User | None, ticket: Ticket) -> bool:
    """Does a public reply of ``actor`` open the ticket again: its requester answers on a
    resolved or closed ticket of a queue that reopens on reply, and the queue's rules
    allow an open status to go to?"""
    return (
        actor is not None
        and actor.pk == ticket.requester_id
        and ticket.status.is_closed
        and ticket.queue.reopen_on_reply
        and workflow().reopen_status(ticket.queue_id, ticket.status_id) is not None
    )


def reopen_on_reply(
    *, actor: User | None, ticket: Ticket, is_internal: bool, source: str, now: datetime
) -> dict[str, tuple[Any, Any]]:
    """Before the requester's reply is stored on the locked ``ticket``: move it to the
    workflow's ``reopen_status`` when ``reply_reopens``. Returns the change, to be
    announced with ``announce_change`` once the reply is written too."""
    old = ticket.status
    target = workflow().reopen_status(ticket.queue_id, old.pk)
    if is_internal or target is None or not reply_reopens(actor, ticket):
        return {}
    apply_status(ticket, target, now)
    ticket.rank = top_rank(target.pk, exclude=ticket.pk)
    ticket.version += 1
    ticket.updated_at = now
    ticket.save()
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        source=source,
        kind=TicketEvent.Kind.CHANGED,
        created_at=now,
        field="status",
        old_value=raw_value(old),
        new_value=raw_value(target),
    )
    return {"status": (old, target)}


def validate_assignee(assignee: User | None) -> None:
    if assignee is not None and not (assignee.is_active and user_is_agent(assignee)):
        raise ValidationError(
            {"assignee": _("%(name)s is not an agent.") % {"name": assignee.get_display_name()}}
        )


def validate_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("The title is longer than 200 characters.")})
    return title


def tags_named(names: Iterable[str]) -> list[Tag]:
    wanted = sorted({Tag.normalize(name) for name in names} - {""})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    for name in wanted:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in wanted]


def next_key(queue: Queue) -> tuple[int, str]:
    """The next number of the queue's key prefix; the counter row is locked meanwhile."""
    prefix = queue.key_prefix
    number = _counter_increment(prefix)
    if number is None:
        KeyCounter.objects.get_or_create(prefix=prefix)
        counter = KeyCounter.objects.select_for_update().get(prefix=prefix)
        # A new counter for keys that may already exist (a prefix taken over from another
        # queue, tickets imported in bulk): continue after the highest one, once.
        highest = Ticket.objects.filter(key__startswith=f"{prefix}-").aggregate(
            highest=Max("number")
        )["highest"]
        number = max(counter.last_number, highest or 0) + 1
        KeyCounter.objects.filter(prefix=prefix).update(last_number=number)
    return number, f"{prefix}-{number}"


def _counter_increment(prefix: str) -> int | None:
    """Add one to the prefix's counter and return it, in one statement where the database
    can (``UPDATE ... RETURNING`` on SQLite; on MariaDB ``LAST_INSERT_ID(expr)``, which
    the server returns with the UPDATE's answer); None if there is no counter yet.
    Only the model's own quoted names go into the SQL; the prefix is a parameter."""
    table = connection.ops.quote_name(KeyCounter._meta.db_table)
    column = connection.ops.quote_name("last_number")
    key = connection.ops.quote_name("prefix")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"UPDATE {table} SET {column} = {column} + 1 WHERE {key} = %s "  # noqa: S608
                f"RETURNING {column}",
                [prefix],
            )
            row = cursor.fetchone()
            return None if row is None else int(row[0])
        if connection.vendor == "mysql":
            cursor.execute(
                f"UPDATE {table} SET {column} = LAST_INSERT_ID({column} + 1) "  # noqa: S608
                f"WHERE {key} = %s",
                [prefix],
            )
            return int(cursor.lastrowid) if cursor.rowcount == 1 else None
    if not KeyCounter.objects.filter(prefix=prefix).update(last_number=F("last_number") + 1):
        return None
    return KeyCounter.objects.get(prefix=prefix).last_number


def announce_change(
    ticket: Ticket, actor: User | None, source: str, changed: dict[str, tuple[Any, Any]]
) -> None:
    if changed:
        send_on_commit(
            signals.ticket_changed,
            ticket=ticket,
            actor=actor,
            source=source,
            fields=list(changed),
            changes={
                name: (raw_value(old), raw_value(new)) for name, (old, new) in changed.items()
            },
        )


@one_change()
def history_add(
    *,
    ticket: Ticket,
    field: str,
    old_value: str = "",
    new_value: str = "",
    source: str,
    actor: User | None = None,
    is_internal: bool = True,
) -> TicketEvent:
    """A history entry about the ticket that changes none of its fields: a link to an
    outside system made or broken, a conflict resolved by an integration."""
    locked = lock_ticket(ticket)
    return TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        source=source,
        kind=TicketEvent.Kind.CHANGED,
        field=field,
        old_value=old_value,
        new_value=new_value,
        is_internal=is_internal,
    )
