"""An agent's tools for answering faster: canned replies and macros."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import user_is_agent, user_is_manager
from tickets.models import CannedReply, Macro, Queue, Source, Ticket, TicketEvent
from tickets.placeholders import placeholder_errors, render_placeholders
from tickets.selectors import user_can_see_ticket
from tickets.services._base import (
    TicketError,
    TransitionNotAllowed,
    announce_change,
    check_can_work,
    check_version,
    lock_ticket,
    one_change,
)
from tickets.services.comments import _comment_locked
from tickets.services.tickets import BulkResult, _update_locked
from tickets.workflow import workflow

# --- Canned replies -------------------------------------------------------------------


def canned_reply_may_edit(user: User, reply: CannedReply) -> bool:
    """Shared replies are the managers'; a personal one its owner's."""
    if reply.owner_id is not None:
        return reply.owner_id == user.pk
    return user_is_manager(user)


def canned_reply_save(
    *,
    actor: User,
    title: str,
    body: str,
    queue: Queue | None = None,
    reply: CannedReply | None = None,
) -> CannedReply:
    """Create or change a canned reply: with ``queue`` a shared one (managers only),
    without it the actor's own. Unknown placeholders are refused on ``body``."""
    if not user_is_agent(actor):
        raise PermissionDenied(_("Only agents keep canned replies."))
    if queue is not None and not user_is_manager(actor):
        raise PermissionDenied(_("Only managers edit the replies shared by a queue."))
    if reply is not None and not canned_reply_may_edit(actor, reply):
        raise PermissionDenied(_("You cannot change this canned reply."))
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > CannedReply._meta.get_field("title").max_length:  # type: ignore[operator]
        errors["title"] = [_("The title is longer than 120 characters.")]
    if not body:
        errors["body"] = [_("Write the text of the reply.")]
    elif problems := placeholder_errors(body):
        errors["body"] = problems
    if errors:
        raise ValidationError(errors)
    reply = reply or CannedReply()
    reply.title = title
    reply.body = body
    reply.queue = queue
    reply.owner = None if queue is not None else (reply.owner or actor)
    reply.updated_at = timezone.now()
    reply.save()
    return reply


def canned_reply_delete(*, actor: User, reply: CannedReply) -> None:
    if not canned_reply_may_edit(actor, reply):
        raise PermissionDenied(_("You cannot delete this canned reply."))
    reply.delete()


def canned_reply_use(
    *, actor: User, reply: CannedReply, ticket: Ticket, is_internal: bool = False
) -> str:
    """The reply's text for ``ticket`` with its placeholders filled in; counts the use
    (most used first in the picker)."""
    if not user_can_see_ticket(actor, ticket):
        raise PermissionDenied(_("You cannot answer on this ticket."))
    CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    return render_placeholders(reply.body, ticket=ticket, agent=actor, is_internal=is_internal)


# --- Macros ---------------------------------------------------------------------------


def _macro_changes(macro: Macro, ticket: Ticket, actor: User | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if macro.status_id:
        changes["status"] = workflow().status(macro.status_id) or macro.status
    if macro.priority_id:
        changes["priority"] = workflow().priority(macro.priority_id) or macro.priority
    mode = macro.assignee_mode
    if mode == Macro.AssigneeMode.ME:
        changes["assignee"] = actor
    elif mode == Macro.AssigneeMode.USER:
        changes["assignee"] = macro.assignee
    elif mode == Macro.AssigneeMode.NOBODY:
        changes["assignee"] = None
    adding, removing = Macro.tag_names(macro.tags_add), Macro.tag_names(macro.tags_remove)
    if adding or removing:
        current = {tag.name for tag in ticket.tags.all()}
        changes["tags"] = sorted((current | set(adding)) - set(removing))
    return changes


def _check_transition(macro: Macro, ticket: Ticket) -> None:
    if macro.status_id and not workflow().transition_allowed(
        ticket.queue_id, ticket.status_id, macro.status_id
    ):
        target = workflow().status(macro.status_id) or macro.status
        raise TransitionNotAllowed(
            _(
                "Macro “%(macro)s” was not applied: in queue %(queue)s a ticket cannot go "
                "from “%(old)s” to “%(new)s”."
            )
            % {
                "macro": macro.name,
                "queue": ticket.queue.name,
                "old": ticket.status.name,
                "new": target.name if target else "",
            }
        )


@one_change()
def macro_apply(
    *,
    actor: User | None,
    macro: Macro,
    ticket: Ticket,
    version: int | None = None,
    source: str = Source.MACRO,
) -> Ticket:
    """Apply the macro's changes and post its reply, as one change of the ticket: one
    history entry per changed field, with ``source`` macro. Refused as a whole (nothing
    changes) when its status transition is not allowed, saying which."""
    locked = lock_ticket(ticket)
    check_can_work(actor, locked)
    check_version(locked, version, actor=actor)
    if not macro.is_active or macro.queue_id not in (None, locked.queue_id):
        raise ValidationError(
            {
                "macro": _("Macro “%(macro)s” does not apply to tickets of queue %(queue)s.")
                % {"macro": macro.name, "queue": locked.queue.name}
            }
        )
    _check_transition(macro, locked)
    now = timezone.now()
    history: list[TicketEvent] = []
    changed = _update_locked(
        actor=actor,
        ticket=locked,
        changes=_macro_changes(macro, locked, actor),
        source=source,
        now=now,
        history=history,
    )
    reply = macro.reply
    if reply is not None and actor is not None:
        body = render_placeholders(
            reply.body, ticket=locked, agent=actor, is_internal=macro.reply_is_internal
        )
        _comment_locked(
            actor=actor,
            ticket=locked,
            body=body,
            is_internal=macro.reply_is_internal,
            source=source,
            now=now,
            files=(),
            history=history,
        )
        CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    TicketEvent.objects.bulk_create(history)
    announce_change(locked, actor, source, changed)
    return locked


def macros_bulk_apply(*, actor: User | None, macro: Macro, tickets: Iterable[Ticket]) -> BulkResult:
    """Apply the macro to each ticket in its own transaction; a ticket the rules refuse is
    skipped with the reason, the others are changed."""
    result = BulkResult()
    for ticket in tickets:
        try:
            before = ticket.version
            changed = macro_apply(actor=actor, macro=macro, ticket=ticket)
        except (TicketError, PermissionDenied, ValidationError) as exc:
            reason = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
            result.skipped.append((ticket, reason or str(exc)))
            continue
        if changed.version != before or macro.reply_id:
            result.updated.append(changed)
    return result
