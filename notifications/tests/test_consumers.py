"""The /ws/ endpoint through the real ASGI application (auth, origin check, routing)."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from helpdesk.asgi import application
from helpdesk.testing import redis_channel_layers
from notifications.consumers import CLOSE_UNAUTHENTICATED
from notifications.groups import user_group

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


async def _session_cookie(client, user) -> tuple[bytes, bytes]:
    await sync_to_async(client.force_login)(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode())


def _communicator(*headers) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/", headers=[(b"host", b"localhost"), *headers])


async def _signed_in_round_trip(client, user) -> None:
    communicator = _communicator(ORIGIN, await _session_cookie(client, user))
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"type": "hello", "user": user.pk}

    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}

    # An event sent to the user's group reaches this socket.
    await get_channel_layer().group_send(
        user_group(user.pk), {"type": "live.event", "payload": {"type": "test", "n": 1}}
    )
    assert await communicator.receive_json_from(timeout=5) == {"type": "test", "n": 1}
    await communicator.disconnect()


async def test_anonymous_socket_is_closed_with_4401():
    communicator = _communicator(ORIGIN)
    connected, _ = await communicator.connect()
    assert connected  # accepted only to deliver the close code
    message = await communicator.receive_output(timeout=5)
    assert message == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_signed_in_socket_is_accepted(client, agent):
    await _signed_in_round_trip(client, agent)


async def test_foreign_origin_is_refused(client, agent):
    communicator = _communicator(
        (b"origin", b"http://evil.example"), await _session_cookie(client, agent)
    )
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.parametrize(
    "frame",
    [
        {"text_data": "[" * 1000 + "]" * 1000},
        {"text_data": '{"type": "subscribe", "board": ' + "[" * 100 + "]" * 100 + "}"},
        {"text_data": "not json"},
        {"bytes_data": b"\x00\x01"},
    ],
)
async def test_odd_messages_are_ignored_and_the_socket_stays_open(client, agent, frame):
    communicator = _communicator(ORIGIN, await _session_cookie(client, agent))
    await communicator.connect()
    assert await communicator.receive_json_from(timeout=5) == {"type": "hello", "user": agent.pk}

    await communicator.send_to(**frame)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.redis
async def test_signed_in_socket_over_the_redis_channel_layer(client, agent, settings, redis_url):
    settings.CHANNEL_LAYERS = redis_channel_layers(redis_url, "helpdesk-test")
    channel_layers.backends.clear()
    try:
        assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
        await _signed_in_round_trip(client, agent)
    finally:
        await get_channel_layer().flush()
        channel_layers.backends.clear()


async def test_a_live_event_is_forwarded_without_a_database_round_trip(client, agent, monkeypatch):
    """Channels closes stale database connections (a thread hop) before every handler; a
    board move to 500 sockets of one process made 500 of them. A forwarded event touches
    no database, so it makes none; a message that may (the page's own) still does."""
    import channels.consumer

    hops: list[str] = []
    closing = channels.consumer.aclose_old_connections

    async def counted() -> None:
        hops.append("close")
        await closing()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    communicator = _communicator(ORIGIN, await _session_cookie(client, agent))
    await communicator.connect()
    assert await communicator.receive_json_from(timeout=5) == {"type": "hello", "user": agent.pk}
    hops.clear()

    await get_channel_layer().group_send(
        user_group(agent.pk), {"type": "live.event", "payload": {"type": "test", "n": 1}}
    )
    assert await communicator.receive_json_from(timeout=5) == {"type": "test", "n": 1}
    assert hops == []

    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    assert hops == ["close"]
    await communicator.disconnect()
