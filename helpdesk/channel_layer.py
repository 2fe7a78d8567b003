"""The site's Redis channel layer: channels-redis's, made to live through Redis outages.

channels-redis keeps one connection pool per event loop. daphne runs one loop for its
whole life, so when Redis restarts the pool still holds connections to the Redis that
went away, and the first commands after it returns fail on them ("Connection closed by
server"): the first socket to each daphne process died with 1011. Here a connection error
drops this loop's idle connections and tries once more, so a stale connection costs a
reconnect, not a socket.

When Redis stays down after that, the layer raises ``ChannelLayerUnavailable`` (logged
once per outage, and once when Redis answers again):

- ``receive``: the consumer closes its socket with a retryable code and the page
  reconnects with backoff; the sockets already waiting for the same process-wide receive
  give up at once instead of each trying Redis in turn;
- ``group_add``: the socket being opened is refused the same way;
- ``send`` / ``group_send``: the caller decides. Live page updates are best effort
  (``notifications.live`` drops them quietly); a notification's page delivery stays
  pending for the sweep, and a page resumes from its last notification when it
  reconnects;
- ``group_discard`` never raises: the membership of a socket that is gone expires with
  the group, and its messages with the channel.
"""

import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a dead, restarted or unreachable Redis raises (BusyLoadingError, a Redis still
# loading its data after a restart, is a ConnectionError too).
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)

# How many receive failures this process had when the current receive() began.
_receive_failures_seen: contextvars.ContextVar[int] = contextvars.ContextVar(
    "receive_failures_seen"
)


class ChannelLayerUnavailable(ConnectionError):
    """Redis did not answer the channel layer, even on a fresh connection."""


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redis_down = False
        self.receive_failures = 0

    # --- Outage bookkeeping ---------------------------------------------------------

    def _failed(self, operation: str, error: BaseException) -> ChannelLayerUnavailable:
        if not self.redis_down:
            self.redis_down = True
            log.warning(
                "Redis is unavailable to the channel layer (%s: %s): live updates are "
                "dropped and sockets closed until it returns",
                operation,
                error,
            )
        return ChannelLayerUnavailable(f"{operation}: {error}")

    def _answered(self) -> None:
        if self.redis_down:
            self.redis_down = False
            log.info("Redis answers the channel layer again")

    async def _drop_idle_connections(self) -> None:
        """Disconnect the idle pooled connections of the running loop: after an outage
        they all point at the Redis that went away. Connections in use (another socket's
        blocking receive) are left to fail or finish on their own."""
        for index in range(self.ring_size):
            pool = self.connection(index).connection_pool
            await pool.disconnect(inuse_connections=False)

    async def _with_retry(
        self, operation: str, method: Callable[..., Awaitable[T]], *args: Any
    ) -> T:
        """``method(*args)``; after a connection error once more, on fresh connections."""
        try:
            result = await method(*args)
        except CONNECTION_ERRORS as first:
            log.debug("channel layer %s failed, retrying on a new connection: %s", operation, first)
            await self._drop_idle_connections()
            try:
                result = await method(*args)
            except CONNECTION_ERRORS as error:
                raise self._failed(operation, error) from error
        self._answered()
        return result

    # --- Channel layer API ----------------------------------------------------------

    async def send(self, channel: str, message: dict) -> None:
        await self._with_retry("send", super().send, channel, message)

    async def group_send(self, group: str, message: dict) -> None:
        await self._with_retry("group_send", super().group_send, group, message)

    async def group_add(self, group: str, channel: str) -> None:
        await self._with_retry("group_add", super().group_add, group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        # Logged once for the outage; the membership expires with the group.
        with contextlib.suppress(ChannelLayerUnavailable):
            await self._with_retry("group_discard", super().group_discard, group, channel)

    async def receive(self, channel: str) -> dict:
        _receive_failures_seen.set(self.receive_failures)
        return await super().receive(channel)

    async def receive_single(self, channel: str) -> tuple[Any, dict]:
        # Runs in the task of the receive() that holds the process's receive lock. If the
        # receive that held it before failed on Redis while this one waited, fail too:
        # with a thousand sockets, a thousand tries in a row would take minutes when
        # Redis does not even refuse the connection.
        if self.receive_failures > _receive_failures_seen.get(self.receive_failures):
            raise ChannelLayerUnavailable("receive: Redis failed while waiting")
        try:
            return await self._with_retry("receive", super().receive_single, channel)
        except ChannelLayerUnavailable:
            self.receive_failures += 1
            raise
