"""Live page updates: boards and open ticket pages hear about changes once committed.

These are not notifications (nothing is stored): a page that misses one, e.g. while
Redis is away, catches up on its next load. Internal notes go to the ticket's staff
group only, never to requesters viewing the ticket.
"""

from notifications import live
from notifications.groups import ticket_staff_group
from tickets import signals
from tickets.workflow import workflow


def _actor(actor) -> dict | None:
    return {"id": actor.pk, "name": actor.get_display_name()} if actor else None


def on_moved(ticket, actor, from_status_id, to_status_id, previous_id, next_id, **kwargs):
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


def _changed_payload(ticket, actor, fields) -> dict:
    return {
        "type": "ticket.changed",
        "ticket_id": ticket.pk,
        "key": ticket.key,
        "queue_id": ticket.queue_id,
        "fields": list(fields),
        "version": ticket.version,
        "actor": _actor(actor),
    }


def on_changed(ticket, actor, fields, **kwargs):
    comment = kwargs.get("comment")
    payload = _changed_payload(ticket, actor, fields)
    if comment is not None and comment.is_internal:
        live.send_quietly(ticket_staff_group(ticket.pk), payload)
        return
    live.to_ticket(ticket.pk, payload)
    live.to_board(ticket.queue_id, payload)
    old_queue = kwargs.get("changes", {}).get("queue", (None, None))[0]
    if old_queue and str(old_queue) != str(ticket.queue_id):
        live.to_board(int(old_queue), payload)  # the card leaves that board


def on_created(ticket, actor, **kwargs):
    live.to_board(ticket.queue_id, _changed_payload(ticket, actor, ["created"]))


def on_comment(ticket, actor, comment, **kwargs):
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
