"""Merging a duplicate ticket into another."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tickets import search, signals
from tickets.models import Attachment, Comment, CommentMention, Source, Ticket, TicketEvent
from tickets.selectors import user_can_work_ticket
from tickets.services._base import (
    TicketStateConflict,
    apply_status,
    lock_ticket,
    new_event,
    one_change,
    raw_value,
    send_on_commit,
)
from tickets.services.comments import _comment_locked
from tickets.workflow import workflow


@one_change()
def ticket_merge(
    *, source: Ticket, target: Ticket, by: User | None, version: int | None = None
) -> Ticket:
    """Merge the duplicate ``source`` into ``target``: its comments, attachments and
    watchers move (its requester watches ``target`` from now on), both histories say so
    (source ``merge``), and ``source`` is closed pointing at ``target``, whose URL it
    redirects to. ``target``'s requester and watchers hear of it once, by a public
    comment on ``target``. ``by`` must work both tickets."""
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    # Both rows locked, always in the same order: two merges never wait on each other.
    first, second = sorted((source.pk, target.pk))
    locked = {first: lock_ticket(first), second: lock_ticket(second)}
    duplicate, kept = locked[source.pk], locked[target.pk]
    if by is not None and not (
        user_can_work_ticket(by, duplicate) and user_can_work_ticket(by, kept)
    ):
        raise PermissionDenied(_("You can merge only tickets you work, both of them."))
    if version is not None and version != duplicate.version:
        raise TicketStateConflict(
            duplicate, _("%(key)s changed a moment ago. Look again.") % {"key": duplicate.key}
        )
    for ticket in (duplicate, kept):
        if ticket.merged_into_id:
            raise TicketStateConflict(ticket, _("%(key)s is merged already.") % {"key": ticket.key})
    now = timezone.now()
    Comment.objects.filter(ticket=duplicate).update(ticket=kept)
    CommentMention.objects.filter(ticket=duplicate).update(ticket=kept)
    Attachment.objects.filter(ticket=duplicate).update(ticket=kept)
    watchers = Ticket.watchers.through.objects
    moving = set(watchers.filter(ticket_id=duplicate.pk).values_list("user_id", flat=True))
    moving.add(duplicate.requester_id)
    present = set(watchers.filter(ticket_id=kept.pk).values_list("user_id", flat=True))
    watchers.bulk_create(
        watchers.model(ticket_id=kept.pk, user_id=user_id)
        for user_id in sorted(moving - present - {kept.requester_id})
    )
    watchers.filter(ticket_id=duplicate.pk).delete()

    old_status = duplicate.status
    close = workflow().close_status
    if close is not None and not old_status.is_closed:
        # Merging is not a step of the workflow: the duplicate closes whatever its rules.
        apply_status(duplicate, close, now, enforce=False)
    duplicate.merged_into = kept
    duplicate.version += 1
    duplicate.updated_at = now
    duplicate.save()

    def entry(ticket: Ticket, field: str, old: str = "", new: str = "") -> TicketEvent:
        return new_event(
            ticket,
            by,
            Source.MERGE,
            TicketEvent.Kind.CHANGED,
            now,
            field=field,
            old_value=old,
            new_value=new,
        )

    events = []
    if duplicate.status.pk != old_status.pk:
        events.append(
            entry(duplicate, "status", raw_value(old_status), raw_value(duplicate.status))
        )
    # Keys never change: the history names the other ticket with no query.
    events.append(entry(duplicate, "merged_into", new=kept.key))
    events.append(entry(kept, "merged_from", new=duplicate.key))
    _comment_locked(
        actor=by,
        ticket=kept,
        body=_("%(key)s “%(title)s” was merged into this ticket.")
        % {"key": duplicate.key, "title": duplicate.title},
        is_internal=False,
        source=Source.MERGE,
        now=now,
        files=(),
        history=events,
    )
    TicketEvent.objects.bulk_create(events)
    search.reindex_comments(kept.pk)
    search.reindex_comments(duplicate.pk)
    # Only "merged_into": its requester hears of the merge once, as a watcher of
    # ``target`` (the comment above); boards drop the card (they leave merged tickets out).
    send_on_commit(
        signals.ticket_changed,
        ticket=duplicate,
        actor=by,
        source=Source.MERGE,
        fields=["merged_into"],
        changes={"merged_into": ("", str(kept.pk))},
    )
    send_on_commit(
        signals.ticket_merged, ticket=kept, actor=by, source=Source.MERGE, duplicate=duplicate
    )
    return kept
