"""Live page updates: boards and open ticket pages hear about changes once committed.

These are not notifications (nothing is stored): a page that misses one, e.g. while
Redis is away, catches up on its next load. Internal notes go to the ticket's staff
group only, never to requesters viewing the ticket.
"""

from collections.abc import Iterable
from typing import Any

from accounts.models import User
from notifications import live
from notifications.groups import ticket_staff_group
from tickets import signals
from tickets.models import Comment, Ticket
from tickets.timeline import change_sentences
from tickets.workflow import workflow


def _actor(actor: User | None) -> dict | None:
    return {"id": actor.pk, "name": actor.get_display_name()} if actor else None


def on_moved(
    ticket: Ticket,
    actor: User | None,
    from_status_id: int,
    to_status_id: int,
    previous_id: int | None,
    next_id: int | None,
    **kwargs: Any,
) -> None:
    found = workflow().status(to_status_id)
    live.to_board(
        ticket.queue_id,
        {
            "type": "ticket.moved",
            "ticket_id": ticket.pk,
            "key": ticket.key,
            "queue_id": ticket.queue_id,
            "status_id": to_status_id,
            "status": found.code if found else "",
            "previous_id": previous_id,
            "next_id": next_id,
            "version": ticket.version,
            "rank": ticket.rank,
            "actor": _actor(actor),
        },
    )


def _changed_payload(ticket: Ticket, actor: User | None, fields: Iterable[str]) -> dict:
    return {
        "type": "ticket.changed",
        "ticket_id": ticket.pk,
        "key": ticket.key,
        "queue_id": ticket.queue_id,
        "fields": list(fields),
        "version": ticket.version,
        "actor": _actor(actor),
    }


def on_changed(ticket: Ticket, actor: User | None, fields: list[str], **kwargs: Any) -> None:
    comment = kwargs.get("comment")
    payload = _changed_payload(ticket, actor, fields)
    # What changed, in each language: an open ticket page says it, not only who.
    payload["summary"] = change_sentences(actor=actor, changes=kwargs.get("changes", {}))
    if comment is not None and comment.is_internal:
        live.send_quietly(ticket_staff_group(ticket.pk), payload)
        return
    live.to_ticket(ticket.pk, payload)
    live.to_board(ticket.queue_id, payload)
    old_queue = kwargs.get("changes", {}).get("queue", (None, None))[0]
    if old_queue and str(old_queue) != str(ticket.queue_id):
        live.to_board(int(old_queue), payload)  # the card leaves that board


def on_created(ticket: Ticket, actor: User | None, **kwargs: Any) -> None:
    live.to_board(ticket.queue_id, _changed_payload(ticket, actor, ["created"]))


def on_comment(ticket: Ticket, actor: User | None, comment: Comment, **kwargs: Any) -> None:
    payload = {
        "type": "ticket.commented",
        "ticket_id": ticket.pk,
        "key": ticket.key,
        "comment_id": comment.pk,
        "internal": comment.is_internal,
        "version": ticket.version,
        "actor": _actor(actor),
    }
    if comment.is_internal:
        live.send_quietly(ticket_staff_group(ticket.pk), payload)
    else:
        live.to_ticket(ticket.pk, payload)


def connect() -> None:
    signals.ticket_moved.connect(on_moved, dispatch_uid="live-moved")
    signals.ticket_changed.connect(on_changed, dispatch_uid="live-changed")
    signals.ticket_created.connect(on_created, dispatch_uid="live-created")
    signals.comment_added.connect(on_comment, dispatch_uid="live-comment")
