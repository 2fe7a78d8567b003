"""Live connections across a Redis outage, on a real daphne process: open sockets close
with a retryable code (the page reconnects and resumes), the first socket after Redis
returns works (no stale connection left in the process's channel layer), and sends
while Redis is down neither raise nor flood the log."""

import asyncio
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from django.conf import settings as django_settings

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from helpdesk.testing import (
    database_url_for_subprocess,
    free_port,
    redis_channel_layers,
    wait_for_port,
)
from helpdesk.testing.redis_server import PrivateRedis
from notifications import live
from notifications.consumers import CLOSE_TRY_AGAIN
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
# Upper bounds on a busy machine; every wait ends as soon as what it waits for happens.
TIMEOUT = 30


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> str:
    return f"helpdesk-outage-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def layer(settings, private_redis: PrivateRedis, prefix: str) -> Iterator[None]:
    """This process's channel layer: the private Redis, under the daphne's prefix."""
    settings.CHANNEL_LAYERS = redis_channel_layers(private_redis.url, prefix)
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def daphne(
    transactional_db: None, private_redis: PrivateRedis, prefix: str, tmp_path: Path
) -> Iterator[str]:
    """The app under a real daphne process with production settings on the private Redis
    (cache, channel layer) and the test database; its ``ws://`` address."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": private_redis.url,
        "CHANNEL_LAYER_PREFIX": prefix,
        "CACHE_KEY_PREFIX": prefix,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = (tmp_path / "daphne.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "helpdesk.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, process=server, timeout=TIMEOUT)
        yield f"ws://127.0.0.1:{port}/ws/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        print((tmp_path / "daphne.log").read_text())  # shown when the test fails


@pytest.fixture
def world(db):
    agent = UserFactory(username="agent", roles=[Role.AGENT])
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, actor=agent)
    return {"agent": agent, "queue": queue, "ticket": ticket}


def session_cookie(client, user) -> str:
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


class Socket:
    """A browser's socket to daphne: aiohttp's WebSocket client with the session cookie."""

    def __init__(self, http: aiohttp.ClientSession, url: str, cookie: str) -> None:
        self.http, self.url, self.cookie = http, url, cookie
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def open(self) -> None:
        origin = self.url.replace("ws://", "http://").removesuffix("/ws/")
        self.ws = await self.http.ws_connect(
            self.url, headers={"Cookie": self.cookie, "Origin": origin}
        )

    async def send(self, message: dict) -> None:
        assert self.ws is not None
        await self.ws.send_json(message)

    async def receive(self, kind: str) -> dict:
        """The next message of type ``kind``; fails if the socket closes first."""
        assert self.ws is not None
        while True:
            message = await self.ws.receive(timeout=TIMEOUT)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"closed with {self.ws.close_code} waiting for {kind}")
            payload = message.json()
            if payload.get("type") == kind:
                return payload

    async def close_code(self) -> int | None:
        """The code the server closes the socket with (waits for the close)."""
        assert self.ws is not None
        while True:
            message = await self.ws.receive(timeout=TIMEOUT)
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return self.ws.close_code


async def signed_in(http: aiohttp.ClientSession, url: str, cookie: str) -> Socket:
    socket = Socket(http, url, cookie)
    await socket.open()
    await socket.receive("hello")
    return socket


def test_open_sockets_close_with_a_retryable_code_when_redis_stops(
    client, daphne, private_redis, world
):
    cookie = session_cookie(client, world["agent"])

    async def scenario() -> list[int | None]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
            sockets = [await signed_in(http, daphne, cookie) for _ in range(3)]
            await sync_to_async(private_redis.stop)()
            codes = [await socket.close_code() for socket in sockets]
            # A socket opened during the outage is refused cleanly too: the page retries.
            refused = Socket(http, daphne, cookie)
            await refused.open()
            return [*codes, await refused.close_code()]

    assert async_to_sync(scenario)() == [CLOSE_TRY_AGAIN] * 4


def test_the_first_socket_after_redis_returns_gets_board_events(
    client, daphne, layer, private_redis, world
):
    cookie = session_cookie(client, world["agent"])
    ticket, queue = world["ticket"], world["queue"]
    in_progress = status("in_progress")

    async def scenario() -> dict:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
            # Opened side by side, so that daphne's pool holds several connections.
            before = await asyncio.gather(*(signed_in(http, daphne, cookie) for _ in range(5)))
            await sync_to_async(private_redis.stop)()
            for socket in before:
                await socket.close_code()
            await sync_to_async(private_redis.start)()

            first = await signed_in(http, daphne, cookie)
            await first.send({"type": "subscribe", "board": [queue.pk]})
            assert (await first.receive("subscribed"))["board"] == [queue.pk]
            await sync_to_async(services.ticket_move)(
                actor=world["agent"], ticket=ticket, status=in_progress, version=ticket.version
            )
            return await first.receive("ticket.moved")

    moved = async_to_sync(scenario)()
    assert moved["ticket_id"] == ticket.pk and moved["status"] == "in_progress"


def test_sends_while_redis_is_down_do_not_raise_and_warn_once(layer, private_redis, world, caplog):
    private_redis.stop()
    caplog.set_level(logging.WARNING)

    for _ in range(3):
        live.to_board(world["queue"].pk, {"type": "ticket.moved"})
        live.tell_sockets("user.1", "access.changed")

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]

    # Back again: sends go through, and the next outage is reported again.
    private_redis.start()
    caplog.clear()
    live.to_board(world["queue"].pk, {"type": "ticket.moved"})
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    private_redis.stop()
    live.to_board(world["queue"].pk, {"type": "ticket.moved"})
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
