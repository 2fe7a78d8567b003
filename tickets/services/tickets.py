"""Filing and changing tickets: fields, status, assignment, watchers, bulk changes."""

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import user_is_agent
from tickets import search, signals
from tickets.models import (
    Comment,
    Priority,
    Queue,
    Source,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.selectors import last_changed_by, user_can_see_ticket, user_can_work_ticket
from tickets.services._base import (
    UNSET,
    UPDATABLE_FIELDS,
    TicketConflict,
    TicketError,
    TicketStateConflict,
    TransitionNotAllowed,
    _Unset,
    announce_change,
    apply_status,
    check_can_work,
    check_version,
    lock_ticket,
    new_event,
    next_key,
    one_change,
    raw_value,
    reopen_on_reply,
    send_on_commit,
    store_files,
    tags_named,
    top_rank,
    validate_assignee,
    validate_title,
)
from tickets.services.comments import _comment_locked
from tickets.uploads import Upload, removes_files_on_error, validate_uploads
from tickets.workflow import workflow

# --- Tickets --------------------------------------------------------------------------


@removes_files_on_error
@one_change()
def ticket_create(
    *,
    actor: User | None,
    queue: Queue,
    title: str,
    description: str = "",
    requester: User | None = None,
    assignee: User | None = None,
    priority: Priority | None = None,
    status: Status | None = None,
    due_date: date | None = None,
    tags: Iterable[str] = (),
    watchers: Iterable[User] = (),
    files: Sequence[Upload] = (),
    source: str = Source.WEB,
    created_at: datetime | None = None,
    closed_at: datetime | None = None,
    default_assignee: bool = True,
) -> Ticket:
    """File a new ticket. Requesters file for themselves, in active queues only.

    Without an assignee the queue's default assignee takes it, unless
    ``default_assignee`` is off (a ticket imported as unassigned stays so).
    ``created_at`` keeps the original time of a ticket imported from elsewhere, and
    ``closed_at`` the time an imported closed ticket was closed."""
    title = validate_title(title)
    requester = requester or actor
    if requester is None:
        raise ValidationError({"requester": _("Choose who the ticket is for.")})
    if actor is not None and not user_is_agent(actor):
        if requester != actor or assignee or priority or status:
            raise PermissionDenied(_("Only agents may set these fields."))
        if not queue.is_active:
            raise ValidationError({"queue": _("This queue does not accept new tickets.")})
    validate_uploads(files)
    flow = workflow()
    status = status or flow.initial_status
    if assignee is None and default_assignee:
        assignee = queue.default_assignee
    validate_assignee(assignee)
    now = created_at or timezone.now()
    number, key = next_key(queue)
    ticket = Ticket.objects.create(
        queue=queue,
        number=number,
        key=key,
        title=title,
        description=description or "",
        requester=requester,
        assignee=assignee,
        status=status,
        priority=priority or flow.default_priority,
        due_date=due_date,
        source=source,
        created_at=now,
        updated_at=now,
        resolved_at=(closed_at or now) if status.is_closed else None,
        closed_at=(closed_at or now) if status.is_closed else None,
        rank=top_rank(status.pk),
    )
    if tags:
        ticket.tags.set(tags_named(tags))
    if watchers:
        ticket.watchers.set(watchers)
    events = [new_event(ticket, actor, source, TicketEvent.Kind.CREATED, now, new_value=key)]
    events += store_files(ticket, files, actor=actor, source=source, now=now)[1]
    TicketEvent.objects.bulk_create(events)
    search.index_new_ticket(ticket)
    send_on_commit(signals.ticket_created, ticket=ticket, actor=actor, source=source)
    return ticket


def _changed_values(ticket: Ticket, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The requested changes that differ from the ticket, as {field: (old, new)}."""
    changed = {}
    old: Any
    new: Any
    for name in UPDATABLE_FIELDS:
        if name not in changes:
            continue
        new = changes[name]
        if name == "tags":
            old = {tag.name for tag in ticket.tags.all()}
            new = {tag.name for tag in tags_named(new)}
        elif name == "title":
            new = validate_title(new)
            old = ticket.title
        elif name == "description":
            new = new or ""
            old = ticket.description
        else:
            old = getattr(ticket, name)
        old_key = old.pk if hasattr(old, "pk") else old
        new_key = new.pk if hasattr(new, "pk") else new
        if old_key != new_key:
            changed[name] = (old, new)
    return changed


def _update_locked(
    *,
    actor: User | None,
    ticket: Ticket,
    changes: dict[str, Any],
    source: str,
    now: datetime,
    version: int | None = None,
    closed_at: datetime | None = None,
    authorised: bool = False,
    history: list[TicketEvent] | None = None,
    guard: int | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Apply ``changes`` to a locked ticket; returns what changed. No signal sent here.
    ``authorised``: the caller has checked the actor's right (a requester reopening).
    ``history``: the caller writes the history entries, added to this list.
    ``guard``: the ticket is not locked but read at this version, which the write
    requires (``_save_at_version``)."""
    if not authorised:
        check_can_work(actor, ticket)
    check_version(ticket, version, actor=actor)
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    changed = _changed_values(ticket, changes)
    if not changed:
        return {}
    if "assignee" in changed:
        validate_assignee(changed["assignee"][1])
    if "queue" in changed:
        ticket.queue = changed["queue"][1]
    if "status" in changed:
        # Redmine applied its own workflow to what it sends; ours is for people here.
        apply_status(
            ticket, changed["status"][1], closed_at or now, enforce=source != Source.REDMINE
        )
        ticket.rank = top_rank(ticket.status.pk, exclude=ticket.pk)
    for name, (_old, new) in changed.items():
        if name == "tags":
            ticket.tags.set(tags_named(new))
        elif name not in ("queue", "status"):
            setattr(ticket, name, new)
    ticket.version += 1
    ticket.updated_at = now
    if guard is None:
        ticket.save()
    else:
        _save_at_version(ticket, guard, actor=actor)
    events = [
        new_event(
            ticket,
            actor,
            source,
            TicketEvent.Kind.CHANGED,
            now,
            field=name,
            old_value=raw_value(old),
            new_value=raw_value(new),
        )
        for name, (old, new) in changed.items()
    ]
    if history is None:
        TicketEvent.objects.bulk_create(events)
    else:
        history += events
    if "title" in changed or "description" in changed:
        search.index_fields(ticket)
    return changed


@one_change()
def ticket_update(
    *,
    actor: User | None,
    ticket: Ticket,
    source: str = Source.WEB,
    version: int | None = None,
    closed_at: datetime | None = None,
    **changes: Any,
) -> Ticket:
    """Change any of ``UPDATABLE_FIELDS`` (tags as a list of names).

    ``version`` is the version the actor saw; a newer one raises ``TicketConflict``.
    ``closed_at`` is when a status change happened elsewhere (an imported closing time):
    the resolution timestamps take it instead of now.
    """
    locked = lock_ticket(ticket)
    changed = _update_locked(
        actor=actor,
        ticket=locked,
        changes=changes,
        source=source,
        now=timezone.now(),
        version=version,
        closed_at=closed_at,
    )
    announce_change(locked, actor, source, changed)
    return locked


@one_change()
def ticket_change_status(
    *,
    actor: User | None,
    ticket: Ticket,
    status: Status,
    comment: str = "",
    is_internal: bool = False,
    source: str = Source.WEB,
    version: int | None = None,
) -> Ticket:
    """Change the status, optionally with a comment explaining why, as one change."""
    locked, _comment = _reply(
        actor=actor,
        ticket=ticket,
        body=comment,
        files=(),
        is_internal=is_internal,
        status=status,
        version=version,
        source=source,
    )
    return locked


@removes_files_on_error
@one_change()
def ticket_reply(
    *,
    actor: User | None,
    ticket: Ticket,
    body: str,
    files: Sequence[Upload] = (),
    is_internal: bool = False,
    status: Status | None = None,
    version: int | None = None,
    source: str = Source.WEB,
) -> Comment | None:
    """Answer on a ticket: a public reply or an internal note with its files, and with
    ``status`` a new status, as one change (``version`` guards the status change). A
    status change needs no text; returns the comment, or None when there is none."""
    _locked, comment = _reply(
        actor=actor,
        ticket=ticket,
        body=body,
        files=files,
        is_internal=is_internal,
        status=status,
        version=version,
        source=source,
    )
    return comment


def _save_at_version(ticket: Ticket, version: int, *, actor: User | None) -> None:
    """Write the ticket's row only if it is still at ``version``: one conditional UPDATE
    instead of a locking read and a write (the UPDATE locks the row until the end of the
    transaction). Raises ``TicketConflict`` with the ticket as it is now otherwise."""
    values = {
        field.attname: getattr(ticket, field.attname)
        for field in Ticket._meta.concrete_fields
        if not field.primary_key
    }
    if not Ticket.objects.filter(pk=ticket.pk, version=version).update(**values):
        current = lock_ticket(ticket.pk)
        raise TicketConflict(current, changed_by=last_changed_by(current), actor=actor)


def _reply(
    *,
    actor: User | None,
    ticket: Ticket,
    body: str,
    files: Sequence[Upload],
    is_internal: bool,
    status: Status | None,
    version: int | None,
    source: str,
) -> tuple[Ticket, Comment | None]:
    # A status change at the version the caller read, from a ticket read at that version
    # (the page's): no locking read, the write itself checks the version. Otherwise (a
    # reply alone may reopen the ticket) the row is locked and read again.
    guarded = status is not None and version is not None and version == ticket.version
    locked = copy.copy(ticket) if guarded else lock_ticket(ticket)
    now = timezone.now()
    changed = {}
    history: list[TicketEvent] = []  # the status change's and the comment's: one INSERT
    if status is not None:
        changed = _update_locked(
            actor=actor,
            ticket=locked,
            changes={"status": status},
            source=source,
            now=now,
            version=version,
            history=history,
            guard=version if guarded else None,
        )
    if status is None:
        changed = reopen_on_reply(
            actor=actor, ticket=locked, is_internal=is_internal, source=source, now=now
        )
    comment = None
    if status is None or (body or "").strip() or files:
        comment = _comment_locked(
            actor=actor,
            ticket=locked,
            body=body,
            is_internal=is_internal,
            source=source,
            now=now,
            files=files,
            history=history,
        )
    TicketEvent.objects.bulk_create(history)
    announce_change(locked, actor, source, changed)
    return locked, comment


def _requester_decision(
    *, actor: User | None, ticket: Ticket, reopen: bool, version: int | None, source: str
) -> Ticket:
    locked = lock_ticket(ticket)
    if actor is not None and not (
        actor.pk == locked.requester_id or user_can_work_ticket(actor, locked)
    ):
        raise PermissionDenied(_("Only the ticket's requester can confirm or reopen it."))
    check_version(locked, version, actor=actor)
    flow = workflow()
    if not flow.is_resolved(locked.status) and not (reopen and locked.status.is_closed):
        raise TicketStateConflict(
            locked,
            _("%(key)s is not resolved: there is nothing to confirm.") % {"key": locked.key}
            if not reopen
            else _("%(key)s is open already.") % {"key": locked.key},
        )
    target = flow.reopen_status(locked.queue_id, locked.status_id) if reopen else flow.close_status
    if target is None:
        raise TransitionNotAllowed(
            _("In queue %(queue)s a ticket cannot leave “%(status)s”.")
            % {"queue": locked.queue.name, "status": locked.status.name}
        )
    changed = _update_locked(
        actor=actor,
        ticket=locked,
        changes={"status": target},
        source=source,
        now=timezone.now(),
        authorised=True,
    )
    announce_change(locked, actor, source, changed)
    return locked


@one_change()
def ticket_confirm_resolved(
    *, actor: User | None, ticket: Ticket, version: int | None = None, source: str = Source.WEB
) -> Ticket:
    """“The problem is solved”: the requester confirms a resolved ticket, which moves to
    the workflow's ``close_status``."""
    return _requester_decision(
        actor=actor, ticket=ticket, reopen=False, version=version, source=source
    )


@one_change()
def ticket_reopen(
    *, actor: User | None, ticket: Ticket, version: int | None = None, source: str = Source.WEB
) -> Ticket:
    """“Open again”: the requester says a resolved (or closed) ticket is not done; it
    goes to the workflow's ``reopen_status``."""
    return _requester_decision(
        actor=actor, ticket=ticket, reopen=True, version=version, source=source
    )


def ticket_assign(
    *,
    actor: User | None,
    ticket: Ticket,
    assignee: User | None,
    source: str = Source.WEB,
    version: int | None = None,
) -> Ticket:
    return ticket_update(
        actor=actor, ticket=ticket, assignee=assignee, source=source, version=version
    )


def ticket_take(
    *, actor: User, ticket: Ticket, source: str = Source.WEB, version: int | None = None
) -> Ticket:
    """“Take it”: the acting agent becomes the assignee. ``version`` is the version the
    actor saw: a ticket taken or changed since is refused (``TicketConflict``), never
    taken over silently."""
    return ticket_update(actor=actor, ticket=ticket, assignee=actor, source=source, version=version)


@one_change()
def ticket_watch(
    *, actor: User | None, ticket: Ticket, user: User, watching: bool, source: str = Source.WEB
) -> bool:
    """Add or remove a watcher; people may (un)watch themselves, agents anyone."""
    locked = lock_ticket(ticket)
    if actor is not None and not (
        user_can_work_ticket(actor, locked)
        or (actor == user and user_can_see_ticket(actor, locked))
    ):
        raise PermissionDenied(_("You cannot change the watchers of this ticket."))
    present = locked.watchers.filter(pk=user.pk).exists()
    if present == watching:
        return False
    if watching:
        locked.watchers.add(user)
    else:
        locked.watchers.remove(user)
    kind = TicketEvent.Kind.WATCHER_ADDED if watching else TicketEvent.Kind.WATCHER_REMOVED
    TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        source=source,
        kind=kind,
        field="watchers",
        new_value=str(user.pk),
    )
    send_on_commit(
        signals.watchers_changed,
        ticket=locked,
        actor=actor,
        source=source,
        user=user,
        watching=watching,
    )
    return True


# --- Bulk actions ---------------------------------------------------------------------


@dataclass
class BulkResult:
    updated: list[Ticket] = field(default_factory=list)
    skipped: list[tuple[Ticket, str]] = field(default_factory=list)


@one_change()
def tickets_bulk_update(
    *,
    actor: User | None,
    tickets: Iterable[Ticket],
    assignee: User | _Unset | None = UNSET,
    status: Status | None = None,
    source: str = Source.WEB,
) -> BulkResult:
    """Assign and/or change the status of many tickets in one transaction.

    A ticket the rules refuse (permissions, transitions) is skipped with the reason;
    the others are changed, each with its own history and signal.
    """
    changes: dict[str, Any] = {}
    if assignee is not UNSET:
        validate_assignee(assignee)
        changes["assignee"] = assignee
    if status is not None:
        changes["status"] = status
    if not changes:
        raise ValidationError({"action": _("Choose what to change.")})
    result = BulkResult()
    now = timezone.now()
    for ticket in tickets:
        try:
            with transaction.atomic():
                locked = lock_ticket(ticket)
                changed = _update_locked(
                    actor=actor, ticket=locked, changes=changes, source=source, now=now
                )
        except (TicketError, PermissionDenied, ValidationError) as exc:
            reason = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
            result.skipped.append((ticket, reason or str(exc)))
            continue
        if changed:
            announce_change(locked, actor, source, changed)
            result.updated.append(locked)
    return result
