"""The one WebSocket consumer. Signed-in users join their personal group."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from notifications.groups import user_group

# Close code for "not signed in" (4000-4999 are free for applications; 4401 mirrors HTTP 401).
CLOSE_UNAUTHENTICATED = 4401


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        # Accept first so the browser receives the close code; a refused handshake
        # would only show up as a generic failure.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        group = user_group(user.pk)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_event(self, event: dict) -> None:
        """Forward an event sent to one of this socket's groups to the browser."""
        await self.send_json(event["payload"])
