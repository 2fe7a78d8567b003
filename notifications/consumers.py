"""The one WebSocket consumer (``/ws/``), for signed-in users only.

Every socket joins its user's group (notifications). The page may then send:

- ``{"type": "subscribe", "board": [queue ids]}``: live moves and changes of those
  queues' boards (queues the user works, or every queue for managers);
- ``{"type": "subscribe", "ticket": id}``: changes and comments of a ticket the user may
  see (internal notes only for those who work it), and who else is viewing it;
- ``{"type": "resume", "after": id}``: the user's notifications newer than ``id`` (after a
  reconnect; none for ``0``, a page that has seen none yet), then
  ``{"type": "resumed", "unread": n, "last": newest id}``;
- ``{"type": "ping"}`` → ``{"type": "pong"}``.

Every subscription is checked against ``tickets.selectors``; a refused one is answered
``{"type": "refused", ...}`` and joins nothing. Subscriptions follow the rights: when they
change (``live_access.py``) the socket checks them again and drops what is no longer
allowed, with ``{"type": "revoked", "board": [queue ids]}`` or ``{"type": "revoked",
"ticket": id}``; a user no longer active is disconnected. Anything else (another type, a
binary frame, text that is not JSON or is nested too deeply) is ignored and the socket
stays open.

When Redis goes away (``helpdesk.channel_layer.ChannelLayerUnavailable``) the socket is
closed with 4503 (``CLOSE_TRY_AGAIN``): the page reconnects with backoff, subscribes again and
resumes its notifications from the last one it saw. A socket opened while Redis is still
away is closed the same way right after it is accepted.
"""

import contextlib
from typing import TYPE_CHECKING, Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from helpdesk.channel_layer import ChannelLayerUnavailable
from helpdesk.json_input import json_loads
from notifications.groups import board_group, ticket_group, ticket_staff_group, user_group
from notifications.models import Notification
from notifications.text import as_message

if TYPE_CHECKING:
    from accounts.models import User

# Close code for "not signed in" (4000-4999 are free for applications; 4401 mirrors HTTP 401).
CLOSE_UNAUTHENTICATED = 4401
# Close code for "the channel layer's Redis is away, come back later" (4503 mirrors HTTP
# 503). RFC 6455's 1013 would say the same, but daphne (autobahn) sends only 1000 and
# 3000-4999; an error in the consumer would be 1011.
CLOSE_TRY_AGAIN = 4503
RESUME_LIMIT = 50
MAX_BOARD_QUEUES = 100
# Handlers that only write to the socket (or the channel layer) and never touch the
# database. Channels' ``dispatch`` first closes stale database connections through a
# thread hop (``aclose_old_connections``), for every message: a board move to 500 sockets
# of one daphne process was 500 hops through asgiref's one thread, most of the process's
# CPU for the move. Our database work all runs in ``database_sync_to_async``, which
# closes stale connections itself, so these skip the hop.
SEND_ONLY = frozenset({"live.event", "presence.event"})


@database_sync_to_async
def _board_queue_ids(user: "User", wanted: list[int]) -> list[int]:
    from tickets.selectors import whole_board_queue_ids
    from tickets.workflow import workflow

    whole = whole_board_queue_ids(user)
    allowed = {queue.pk for queue in workflow().queues} if whole is None else whole
    return [queue_id for queue_id in wanted if queue_id in allowed]


@database_sync_to_async
def _ticket_access(user: "User", ticket_id: int) -> tuple[bool, bool]:
    """(may see, may work) the ticket."""
    from tickets.selectors import user_can_work_ticket, visible_tickets

    ticket = visible_tickets(user).filter(pk=ticket_id).first()
    if ticket is None:
        return False, False
    return True, user_can_work_ticket(user, ticket)


@database_sync_to_async
def _missed(user: "User", after: int) -> tuple[list[dict], int, int]:
    """Notifications newer than ``after`` (none when the page has seen none yet: it just
    loaded), the unread count and the newest id."""
    mine = Notification.objects.filter(recipient=user)
    rows = []
    if after > 0:
        rows = list(
            mine.filter(pk__gt=after).select_related("recipient").order_by("pk")[:RESUME_LIMIT]
        )
    unread = mine.filter(read_at__isnull=True).count()
    newest = mine.order_by("-pk").values_list("pk", flat=True).first() or 0
    return [as_message(row) for row in rows], unread, newest


@database_sync_to_async
def _current_user(user_id: int) -> "User | None":
    """The user as the database has them now (roles and queues read afresh)."""
    from accounts.models import User

    return User.objects.filter(pk=user_id, is_active=True).first()


def _ids(value: object) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ChannelLayerUnavailable:
            # Logged once per outage by the layer; the page reconnects after a pause.
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})

    async def dispatch(self, message: dict) -> None:
        if message["type"] in SEND_ONLY:
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def connect(self) -> None:
        self.groups_joined = []
        self.viewing: set[int] = set()
        self.boards: set[int] = set()
        user = self.scope.get("user")
        # Accept first so the browser receives the close code; a refused handshake
        # would only show up as a generic failure.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        await self._join(user_group(user.pk))
        await self.send_json({"type": "hello", "user": user.pk})

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)

    async def _leave(self, group: str) -> None:
        if group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.remove(group)

    async def disconnect(self, code: int) -> None:
        for ticket_id in self.viewing:
            with contextlib.suppress(ChannelLayerUnavailable):  # nobody to tell then
                await self._presence(ticket_id, "leave")
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # The base class lets a binary frame or malformed JSON end the socket with an error.
        try:
            content = json_loads(text_data) if text_data else None
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not hasattr(self, "user"):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "subscribe" and "board" in content:
            await self._subscribe_board(_ids(content["board"])[:MAX_BOARD_QUEUES])
        elif kind == "subscribe" and "ticket" in content:
            ids = _ids(content["ticket"])
            await self._subscribe_ticket(ids[0] if ids else None)
        elif kind == "resume":
            after = _ids(content.get("after"))
            missed, unread, newest = await _missed(self.user, after[0] if after else 0)
            for message in missed:
                await self.send_json(
                    {"type": "notification", "notification": message, "resumed": True}
                )
            await self.send_json({"type": "resumed", "unread": unread, "last": newest})

    async def _subscribe_board(self, wanted: list[int]) -> None:
        allowed = await _board_queue_ids(self.user, wanted)
        for queue_id in allowed:
            await self._join(board_group(queue_id))
        self.boards.update(allowed)
        refused = [queue_id for queue_id in wanted if queue_id not in allowed]
        if refused:
            await self.send_json({"type": "refused", "board": refused})
        await self.send_json({"type": "subscribed", "board": allowed})

    async def _subscribe_ticket(self, ticket_id: int | None) -> None:
        can_see, can_work = (False, False)
        if ticket_id is not None:
            can_see, can_work = await _ticket_access(self.user, ticket_id)
        if ticket_id is None or not can_see:
            await self.send_json({"type": "refused", "ticket": ticket_id})
            return
        await self._join(ticket_group(ticket_id))
        if can_work:
            await self._join(ticket_staff_group(ticket_id))
        self.viewing.add(ticket_id)
        await self.send_json({"type": "subscribed", "ticket": ticket_id})
        await self._presence(ticket_id, "join")

    # --- Rights that changed (live_access.py) -------------------------------------------

    async def access_changed(self, event: dict) -> None:
        if not hasattr(self, "user"):
            return
        user = await _current_user(self.user.pk)
        if user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        if "ticket_id" in event:
            await self._recheck_ticket(event["ticket_id"])
            return
        for ticket_id in sorted(self.viewing):
            await self._recheck_ticket(ticket_id)
        allowed = set(await _board_queue_ids(user, sorted(self.boards)))
        revoked = sorted(self.boards - allowed)
        for queue_id in revoked:
            await self._leave(board_group(queue_id))
        self.boards = allowed
        if revoked:
            await self.send_json({"type": "revoked", "board": revoked})

    async def _recheck_ticket(self, ticket_id: int) -> None:
        if ticket_id not in self.viewing:
            return
        can_see, can_work = await _ticket_access(self.user, ticket_id)
        if can_work:
            await self._join(ticket_staff_group(ticket_id))
            return
        await self._leave(ticket_staff_group(ticket_id))  # no more internal notes
        if not can_see:
            await self._presence(ticket_id, "leave")
            await self._leave(ticket_group(ticket_id))
            self.viewing.discard(ticket_id)
            await self.send_json({"type": "revoked", "ticket": ticket_id})

    # --- Presence: who else has the ticket open ----------------------------------------

    def _me(self) -> dict:
        return {"id": self.user.pk, "name": self.user.get_display_name()}

    async def _presence(self, ticket_id: int, action: str) -> None:
        await self.channel_layer.group_send(
            ticket_group(ticket_id),
            {
                "type": "presence.event",
                "action": action,
                "ticket_id": ticket_id,
                "user": self._me(),
                "reply_to": self.channel_name,
            },
        )

    async def presence_event(self, event: dict) -> None:
        if event["reply_to"] == self.channel_name:
            return
        ticket_id = event["ticket_id"]
        await self.send_json(
            {
                "type": "presence",
                "action": event["action"],
                "ticket_id": ticket_id,
                "user": event["user"],
            }
        )
        if event["action"] == "join" and ticket_id in self.viewing:
            # Tell the newcomer we are here too.
            await self.channel_layer.send(
                event["reply_to"],
                {
                    "type": "presence.event",
                    "action": "here",
                    "ticket_id": ticket_id,
                    "user": self._me(),
                    "reply_to": self.channel_name,
                },
            )

    async def live_event(self, event: dict) -> None:
        """Forward an event sent to one of this socket's groups to the browser."""
        await self.send_json(event["payload"])
