"""Sending to the pages over Channels: a person, a board (queue) or an open ticket.

With Redis away the site's layer raises ``ChannelLayerUnavailable`` after logging the
outage once (``helpdesk.channel_layer``): the best-effort sends here drop the message
without a line of their own, so an outage is one warning, not one per change.
"""

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from helpdesk.channel_layer import ChannelLayerUnavailable
from notifications.groups import board_group, ticket_group, user_group

log = logging.getLogger(__name__)


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, message)


def send_to_group(group: str, payload: dict) -> None:
    """Send ``payload`` to every socket in ``group``; raises when the layer is down."""
    _group_send(group, {"type": "live.event", "payload": payload})


def send_to_groups(payloads: list[tuple[str, dict]]) -> list[BaseException | None]:
    """Send each ``(group, payload)`` in one go (one event loop for all, the sends side by
    side); returns, in the same order, None or the error of each."""
    layer = get_channel_layer()
    if layer is None or not payloads:
        return [None] * len(payloads)

    async def send_all() -> list:
        sends = (
            layer.group_send(group, {"type": "live.event", "payload": payload})
            for group, payload in payloads
        )
        return await asyncio.gather(*sends, return_exceptions=True)

    results = async_to_sync(send_all)()
    return [result if isinstance(result, BaseException) else None for result in results]


def tell_sockets(group: str, message_type: str, **data: Any) -> None:
    """A message for the sockets of ``group`` themselves (handled by the consumer, not
    forwarded to the page); best effort, like live updates."""
    try:
        _group_send(group, {"type": message_type, **data})
    except ChannelLayerUnavailable:
        pass  # the sockets closed with Redis; they check their rights again on reconnect
    except Exception as exc:
        log.warning("%s not sent to %s: %s", message_type, group, exc)


def send_quietly(group: str, payload: dict) -> None:
    """Live page updates are best effort: a page that missed one reloads its data."""
    try:
        send_to_group(group, payload)
    except ChannelLayerUnavailable:
        pass  # the change is saved; the page reloads its data when it reconnects
    except Exception as exc:
        log.warning("live update to %s not sent: %s", group, exc)


def to_user(user_id: int, payload: dict) -> None:
    send_to_group(user_group(user_id), payload)


def to_board(queue_id: int, payload: dict) -> None:
    send_quietly(board_group(queue_id), payload)


def to_ticket(ticket_id: int, payload: dict) -> None:
    send_quietly(ticket_group(ticket_id), payload)
