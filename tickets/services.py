"""Every change to tickets goes through these functions.

Each one runs in one transaction, locks the ticket row, writes the history
(``TicketEvent``) and, once the transaction has committed, sends the domain signal
(``tickets.signals``). Views, the API, the admin, management commands and the Redmine
sync all call them, so every path has the same rules and side effects.

Refusals are exceptions: ``ValidationError`` (bad input, with field names),
``PermissionDenied`` (the actor may not do this), ``TransitionNotAllowed`` and
``TicketConflict`` (the ticket changed since the actor saw it).
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import user_is_agent
from tickets import search, signals
from tickets.models import (
    Comment,
    KeyCounter,
    Priority,
    Queue,
    SavedView,
    Source,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)
from tickets.selectors import user_can_see_ticket, user_can_work_ticket
from tickets.uploads import attachment_create, removes_files_on_error, validate_uploads
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
UNSET = object()


class TicketError(Exception):
    """A change refused by a business rule; the message is for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(TicketError):
    pass


class TicketConflict(TicketError):
    """The ticket changed after the actor loaded it (optimistic locking)."""

    def __init__(self, ticket: Ticket, *, changed_by: User | None):
        self.ticket = ticket
        self.changed_by = changed_by
        if changed_by is not None:
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


def _raw(value) -> str:
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


def _send_on_commit(signal: Signal, **kwargs) -> None:
    def send() -> None:
        for receiver, result in signal.send_robust(sender=Ticket, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "receiver %r of a tickets signal failed",
                    receiver,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)


def _lock(ticket: Ticket | int) -> Ticket:
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


def _check_version(ticket: Ticket, version: int | None) -> None:
    if version is not None and version != ticket.version:
        raise TicketConflict(ticket, changed_by=last_changed_by(ticket))


def last_changed_by(ticket: Ticket) -> User | None:
    """Who made the latest change that bumped the ticket's version."""
    event = (
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(kind__in=[TicketEvent.Kind.COMMENTED, TicketEvent.Kind.ATTACHED])
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    return event.actor if event else None


def _check_can_work(actor: User | None, ticket: Ticket) -> None:
    if actor is not None and not user_can_work_ticket(actor, ticket):
        raise PermissionDenied(_("You cannot change this ticket."))


def _top_rank(status_id: int, *, exclude: int | None = None) -> int:
    column = Ticket.objects.filter(status_id=status_id)
    if exclude is not None:
        column = column.exclude(pk=exclude)
    lowest = column.aggregate(lowest=Min("rank"))["lowest"]
    return 0 if lowest is None else lowest - RANK_STEP


def _event(ticket: Ticket, actor, source, kind, now, **values) -> TicketEvent:
    return TicketEvent(
        ticket=ticket, actor=actor, source=source, kind=kind, created_at=now, **values
    )


def _apply_status(ticket: Ticket, status: Status, now) -> None:
    """Move the ticket into ``status``: transition rules and the resolution timestamps."""
    old = ticket.status
    if not workflow().transition_allowed(ticket.queue_id, old.pk, status.pk):
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


def validate_assignee(assignee: User | None) -> None:
    if assignee is not None and not (assignee.is_active and user_is_agent(assignee)):
        raise ValidationError(
            {"assignee": _("%(name)s is not an agent.") % {"name": assignee.get_display_name()}}
        )


def _validate_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("The title is longer than 200 characters.")})
    return title


def _tags(names: Iterable[str]) -> list[Tag]:
    wanted = sorted({Tag.normalize(name) for name in names} - {""})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    for name in wanted:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in wanted]


def _next_key(queue: Queue) -> tuple[int, str]:
    """The next number of the queue's key prefix; the counter row is locked meanwhile."""
    prefix = queue.key_prefix
    _counter, created = KeyCounter.objects.get_or_create(prefix=prefix)
    counter = KeyCounter.objects.select_for_update().get(prefix=prefix)
    if created:
        # A new counter for keys that may already exist (a prefix taken over from another
        # queue, tickets imported in bulk): continue after the highest one, once.
        highest = Ticket.objects.filter(key__startswith=f"{prefix}-").aggregate(
            highest=Max("number")
        )["highest"]
        counter.last_number = max(counter.last_number, highest or 0)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number, f"{prefix}-{counter.last_number}"


# --- Tickets --------------------------------------------------------------------------


@removes_files_on_error
@transaction.atomic
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
    files: Sequence = (),
    source: str = Source.WEB,
) -> Ticket:
    """File a new ticket. Requesters file for themselves, in active queues only."""
    title = _validate_title(title)
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
    assignee = assignee if assignee is not None else queue.default_assignee
    validate_assignee(assignee)
    now = timezone.now()
    number, key = _next_key(queue)
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
        resolved_at=now if status.is_closed else None,
        closed_at=now if status.is_closed else None,
        rank=_top_rank(status.pk),
    )
    if tags:
        ticket.tags.set(_tags(tags))
    if watchers:
        ticket.watchers.set(watchers)
    events = [_event(ticket, actor, source, TicketEvent.Kind.CREATED, now, new_value=key)]
    for upload in files:
        attachment = attachment_create(ticket=ticket, upload=upload, uploader=actor, now=now)
        events.append(
            _event(
                ticket,
                actor,
                source,
                TicketEvent.Kind.ATTACHED,
                now,
                field="attachment",
                new_value=str(attachment.pk),
            )
        )
    TicketEvent.objects.bulk_create(events)
    search.index_fields(ticket)
    _send_on_commit(signals.ticket_created, ticket=ticket, actor=actor, source=source)
    return ticket


def _changed_values(ticket: Ticket, changes: dict) -> dict[str, tuple]:
    """The requested changes that differ from the ticket, as {field: (old, new)}."""
    changed = {}
    for name in UPDATABLE_FIELDS:
        if name not in changes:
            continue
        new = changes[name]
        if name == "tags":
            old = {tag.name for tag in ticket.tags.all()}
            new = {tag.name for tag in _tags(new)}
        elif name == "title":
            new = _validate_title(new)
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
    *, actor: User | None, ticket: Ticket, changes: dict, source: str, now, version=None
) -> dict[str, tuple]:
    """Apply ``changes`` to a locked ticket; returns what changed. No signal sent here."""
    _check_can_work(actor, ticket)
    _check_version(ticket, version)
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
        _apply_status(ticket, changed["status"][1], now)
        ticket.rank = _top_rank(ticket.status.pk, exclude=ticket.pk)
    for name, (_old, new) in changed.items():
        if name == "tags":
            ticket.tags.set(_tags(new))
        elif name not in ("queue", "status"):
            setattr(ticket, name, new)
    ticket.version += 1
    ticket.updated_at = now
    ticket.save()
    TicketEvent.objects.bulk_create(
        _event(
            ticket,
            actor,
            source,
            TicketEvent.Kind.CHANGED,
            now,
            field=name,
            old_value=_raw(old),
            new_value=_raw(new),
        )
        for name, (old, new) in changed.items()
    )
    if "title" in changed or "description" in changed:
        search.index_fields(ticket)
    return changed


def _announce_change(ticket: Ticket, actor, source, changed: dict) -> None:
    if changed:
        _send_on_commit(
            signals.ticket_changed,
            ticket=ticket,
            actor=actor,
            source=source,
            fields=list(changed),
            changes={name: (_raw(old), _raw(new)) for name, (old, new) in changed.items()},
        )


@transaction.atomic
def ticket_update(
    *,
    actor: User | None,
    ticket: Ticket,
    source: str = Source.WEB,
    version: int | None = None,
    **changes,
) -> Ticket:
    """Change any of ``UPDATABLE_FIELDS`` (tags as a list of names).

    ``version`` is the version the actor saw; a newer one raises ``TicketConflict``.
    """
    locked = _lock(ticket)
    changed = _update_locked(
        actor=actor,
        ticket=locked,
        changes=changes,
        source=source,
        now=timezone.now(),
        version=version,
    )
    _announce_change(locked, actor, source, changed)
    return locked


@transaction.atomic
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
    locked = _lock(ticket)
    now = timezone.now()
    changed = _update_locked(
        actor=actor,
        ticket=locked,
        changes={"status": status},
        source=source,
        now=now,
        version=version,
    )
    if comment.strip():
        _comment_locked(
            actor=actor,
            ticket=locked,
            body=comment,
            is_internal=is_internal,
            source=source,
            now=now,
            files=(),
        )
    _announce_change(locked, actor, source, changed)
    return locked


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


def ticket_take(*, actor: User, ticket: Ticket, source: str = Source.WEB) -> Ticket:
    """“Take it”: the acting agent becomes the assignee."""
    return ticket_update(actor=actor, ticket=ticket, assignee=actor, source=source)


@dataclass
class MoveResult:
    ticket: Ticket
    from_status_id: int
    previous_id: int | None
    next_id: int | None


def _neighbour(column, pk: int | None) -> Ticket | None:
    if pk is None:
        return None
    return column.filter(pk=pk).only("pk", "rank").first()


def _rank_after(column, lower: Ticket) -> int:
    """A rank just after ``lower`` in its column, making room if there is none."""
    after_lower = Q(rank__gt=lower.rank) | Q(rank=lower.rank, pk__gt=lower.pk)
    following = column.filter(after_lower).order_by("rank", "pk").only("rank").first()
    if following is None:
        return lower.rank + RANK_STEP
    if following.rank - lower.rank >= 2:
        return (lower.rank + following.rank) // 2
    column.filter(after_lower).update(rank=F("rank") + 2 * RANK_STEP)
    return lower.rank + RANK_STEP


@transaction.atomic
def ticket_move(
    *,
    actor: User | None,
    ticket: Ticket | int,
    status: Status,
    version: int,
    previous_id: int | None = None,
    next_id: int | None = None,
    visible_ids=None,
    source: str = Source.WEB,
) -> MoveResult:
    """Put a card into ``status`` between the cards ``previous_id`` and ``next_id``.

    Neighbours that are no longer in that column (or not in ``visible_ids``, a queryset
    of the tickets the actor sees) are ignored; without any the card goes to the top.
    """
    locked = _lock(ticket)
    _check_can_work(actor, locked)
    _check_version(locked, version)
    now = timezone.now()
    old_status = locked.status
    if status.pk != old_status.pk:
        _apply_status(locked, status, now)
    column = Ticket.objects.filter(status_id=status.pk).exclude(pk=locked.pk)
    candidates = column if visible_ids is None else column.filter(pk__in=visible_ids)
    lower = _neighbour(candidates, previous_id)
    upper = _neighbour(candidates, next_id)
    if lower is None and upper is not None:
        before_upper = Q(rank__lt=upper.rank) | Q(rank=upper.rank, pk__lt=upper.pk)
        lower = column.filter(before_upper).order_by("-rank", "-pk").only("rank").first()
        if lower is None:
            locked.rank = upper.rank - RANK_STEP
    if lower is not None:
        locked.rank = _rank_after(column, lower)
    elif upper is None:
        locked.rank = _top_rank(status.pk, exclude=locked.pk)
    locked.version += 1
    locked.updated_at = now
    locked.save()
    status_changed = status.pk != old_status.pk
    TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        source=source,
        kind=TicketEvent.Kind.MOVED,
        created_at=now,
        field="status" if status_changed else "rank",
        old_value=_raw(old_status) if status_changed else "",
        new_value=_raw(status) if status_changed else str(locked.rank),
    )
    result = MoveResult(
        ticket=locked,
        from_status_id=old_status.pk,
        previous_id=lower.pk if lower is not None else None,
        next_id=upper.pk if upper is not None else None,
    )
    _send_on_commit(
        signals.ticket_moved,
        ticket=locked,
        actor=actor,
        source=source,
        from_status_id=old_status.pk,
        to_status_id=status.pk,
        previous_id=result.previous_id,
        next_id=result.next_id,
    )
    if status_changed:
        _announce_change(locked, actor, source, {"status": (old_status, status)})
    return result


@transaction.atomic
def ticket_watch(
    *, actor: User | None, ticket: Ticket, user: User, watching: bool, source: str = Source.WEB
) -> bool:
    """Add or remove a watcher; people may (un)watch themselves, agents anyone."""
    locked = _lock(ticket)
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
    return True


# --- Comments and files ---------------------------------------------------------------


def _comment_locked(
    *, actor, ticket: Ticket, body: str, is_internal: bool, source: str, now, files
) -> Comment:
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError({"body": _("Write a comment or attach a file.")})
    if actor is not None:
        if not user_can_see_ticket(actor, ticket):
            raise PermissionDenied(_("You cannot comment on this ticket."))
        if is_internal and not user_can_work_ticket(actor, ticket):
            raise PermissionDenied(_("Only agents may write internal notes."))
    validate_uploads(files)
    comment = Comment.objects.create(
        ticket=ticket,
        author=actor,
        body=body,
        is_internal=is_internal,
        source=source,
        created_at=now,
    )
    events = [
        _event(
            ticket,
            actor,
            source,
            TicketEvent.Kind.COMMENTED,
            now,
            field="comment",
            new_value=str(comment.pk),
            is_internal=is_internal,
        )
    ]
    for upload in files:
        attachment = attachment_create(
            ticket=ticket, upload=upload, uploader=actor, comment=comment, now=now
        )
        events.append(
            _event(
                ticket,
                actor,
                source,
                TicketEvent.Kind.ATTACHED,
                now,
                field="attachment",
                new_value=str(attachment.pk),
                is_internal=is_internal,
            )
        )
    TicketEvent.objects.bulk_create(events)
    # A comment is activity, not a change of the ticket: the version stays.
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    ticket.updated_at = now
    search.index_comment(comment)
    _send_on_commit(
        signals.comment_added, ticket=ticket, actor=actor, source=source, comment=comment
    )
    return comment


@removes_files_on_error
@transaction.atomic
def comment_add(
    *,
    actor: User | None,
    ticket: Ticket,
    body: str,
    is_internal: bool = False,
    files: Sequence = (),
    source: str = Source.WEB,
) -> Comment:
    """A public reply or an internal note, with optional files."""
    locked = _lock(ticket)
    return _comment_locked(
        actor=actor,
        ticket=locked,
        body=body,
        is_internal=is_internal,
        source=source,
        now=timezone.now(),
        files=files,
    )


@transaction.atomic
def comment_edit(
    *, actor: User | None, comment: Comment, body: str, source: str = Source.WEB
) -> Comment:
    """Change a comment's text: its author may, and those who work the ticket."""
    locked = _lock(comment.ticket_id)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if actor is not None and actor.pk != comment.author_id:
        _check_can_work(actor, locked)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("A comment cannot be empty.")})
    if body == comment.body:
        return comment
    now = timezone.now()
    TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        source=source,
        kind=TicketEvent.Kind.CHANGED,
        created_at=now,
        field="comment",
        old_value=comment.body,
        new_value=body,
        is_internal=comment.is_internal,
    )
    comment.body = body
    comment.edited_at = now
    comment.save(update_fields=["body", "edited_at"])
    search.reindex_comments(locked.pk)
    _send_on_commit(
        signals.ticket_changed,
        ticket=locked,
        actor=actor,
        source=source,
        fields=["comment"],
        changes={"comment": (str(comment.pk), str(comment.pk))},
    )
    return comment


@removes_files_on_error
@transaction.atomic
def attachment_add(
    *,
    actor: User | None,
    ticket: Ticket,
    files: Sequence,
    source: str = Source.WEB,
):
    """Attach files to the ticket itself (not to a comment)."""
    locked = _lock(ticket)
    if actor is not None and not user_can_see_ticket(actor, locked):
        raise PermissionDenied(_("You cannot add files to this ticket."))
    if not files:
        raise ValidationError({"files": _("Choose a file to attach.")})
    validate_uploads(files)
    now = timezone.now()
    attachments = [
        attachment_create(ticket=locked, upload=upload, uploader=actor, now=now) for upload in files
    ]
    TicketEvent.objects.bulk_create(
        _event(
            locked,
            actor,
            source,
            TicketEvent.Kind.ATTACHED,
            now,
            field="attachment",
            new_value=str(attachment.pk),
        )
        for attachment in attachments
    )
    Ticket.objects.filter(pk=locked.pk).update(updated_at=now)
    _send_on_commit(
        signals.ticket_changed,
        ticket=locked,
        actor=actor,
        source=source,
        fields=["attachments"],
        changes={"attachments": ("", _raw([a.pk for a in attachments]))},
    )
    return attachments


# --- Bulk actions ---------------------------------------------------------------------


@dataclass
class BulkResult:
    updated: list[Ticket] = field(default_factory=list)
    skipped: list[tuple[Ticket, str]] = field(default_factory=list)


@transaction.atomic
def tickets_bulk_update(
    *,
    actor: User | None,
    tickets: Iterable[Ticket],
    assignee=UNSET,
    status: Status | None = None,
    source: str = Source.WEB,
) -> BulkResult:
    """Assign and/or change the status of many tickets in one transaction.

    A ticket the rules refuse (permissions, transitions) is skipped with the reason;
    the others are changed, each with its own history and signal.
    """
    changes = {}
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
                locked = _lock(ticket)
                changed = _update_locked(
                    actor=actor, ticket=locked, changes=changes, source=source, now=now
                )
        except (TicketError, PermissionDenied, ValidationError) as exc:
            reason = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
            result.skipped.append((ticket, reason or str(exc)))
            continue
        if changed:
            _announce_change(locked, actor, source, changed)
            result.updated.append(locked)
    return result


# --- Saved views ----------------------------------------------------------------------


@transaction.atomic
def saved_view_save(*, user: User, name: str, query: str) -> SavedView:
    """Save (or overwrite) the user's list view called ``name``."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    if len(query) > 2000:
        raise ValidationError({"query": _("This view has too many filters to save.")})
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query}
    )
    return view


def saved_view_delete(*, user: User, view_id: int) -> None:
    SavedView.objects.filter(user=user, pk=view_id).delete()
