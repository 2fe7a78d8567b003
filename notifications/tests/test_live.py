"""The /ws/ consumer on the real Redis channel layer: subscriptions checked against the
visibility rules, live events of boards and tickets, presence, resuming notifications."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from helpdesk.testing import redis_channel_layers
from notifications.models import Notification
from notifications.testing import ws_connect
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture
def redis_layer(settings, redis_url):
    settings.CHANNEL_LAYERS = redis_channel_layers(redis_url, "helpdesk-live-test")
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def world(db):
    agent = UserFactory(username="agent", roles=[Role.AGENT])
    other = UserFactory(username="netagent", roles=[Role.AGENT])
    requester = UserFactory(username="requester", roles=[Role.REQUESTER])
    hd = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    net = QueueFactory(key_prefix="NET", slug="net", members=[other])
    ticket = TicketFactory(queue=hd, requester=requester, actor=requester)
    return {"agent": agent, "other": other, "requester": requester, "hd": hd, "net": net,
            "ticket": ticket}  # fmt: skip


async def receive_type(communicator, kind: str, timeout=5) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message.get("type") == kind:
            return message


async def test_boards_and_tickets_one_cannot_see_are_refused(client, redis_layer, world):
    socket = await ws_connect(client, world["other"])
    await socket.send_json_to({"type": "subscribe", "board": [world["hd"].pk, world["net"].pk]})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "refused",
        "board": [world["hd"].pk],
    }
    assert await socket.receive_json_from(timeout=5) == {
        "type": "subscribed",
        "board": [world["net"].pk],
    }
    await socket.send_json_to({"type": "subscribe", "ticket": world["ticket"].pk})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "refused",
        "ticket": world["ticket"].pk,
    }
    await socket.send_json_to({"type": "subscribe", "ticket": "1 OR 1=1"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "refused"

    # A move on the refused board never reaches this socket.
    await sync_to_async(services.ticket_move)(
        actor=world["agent"],
        ticket=world["ticket"],
        status=await sync_to_async(status)("in_progress"),
        version=world["ticket"].version,
    )
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_requesters_may_not_watch_boards(client, redis_layer, world):
    socket = await ws_connect(client, world["requester"])
    await socket.send_json_to({"type": "subscribe", "board": [world["hd"].pk]})
    assert (await socket.receive_json_from(timeout=5))["type"] == "refused"
    await socket.disconnect()


async def test_a_move_reaches_the_board(client, redis_layer, world):
    socket = await ws_connect(client, world["agent"])
    await socket.send_json_to({"type": "subscribe", "board": [world["hd"].pk]})
    await receive_type(socket, "subscribed")
    ticket = world["ticket"]

    await sync_to_async(services.ticket_move)(
        actor=world["agent"], ticket=ticket,
        status=await sync_to_async(status)("in_progress"), version=ticket.version,
    )  # fmt: skip

    moved = await receive_type(socket, "ticket.moved")
    assert moved["ticket_id"] == ticket.pk and moved["status"] == "in_progress"
    assert moved["version"] == ticket.version + 1
    await socket.disconnect()


async def test_ticket_viewers_get_changes_and_only_staff_get_internal_notes(
    client, redis_layer, world
):
    ticket = world["ticket"]
    staff = await ws_connect(client, world["agent"])
    await staff.send_json_to({"type": "subscribe", "ticket": ticket.pk})
    await receive_type(staff, "subscribed")
    viewer = await ws_connect(client.__class__(), world["requester"])
    await viewer.send_json_to({"type": "subscribe", "ticket": ticket.pk})
    await receive_type(viewer, "subscribed")
    # Presence: each sees the other.
    joined = await receive_type(staff, "presence")
    assert (joined["action"], joined["user"]["id"]) == ("join", world["requester"].pk)
    here = await receive_type(viewer, "presence")
    assert (here["action"], here["user"]["id"]) == ("here", world["agent"].pk)

    await sync_to_async(services.comment_add)(
        actor=world["agent"], ticket=ticket, body="Внутренняя заметка", is_internal=True
    )
    note = await receive_type(staff, "ticket.commented")
    assert note["internal"] is True
    assert await viewer.receive_nothing(timeout=0.5), "requesters never hear of internal notes"

    await sync_to_async(services.comment_add)(actor=world["agent"], ticket=ticket, body="Ответ")
    public = await receive_type(viewer, "ticket.commented")
    assert public["internal"] is False

    await viewer.disconnect()
    left = await receive_type(staff, "presence")
    assert left["action"] == "leave"
    await staff.disconnect()


async def test_notifications_arrive_and_resume_after_a_reconnect(client, redis_layer, world):
    ticket, agent = world["ticket"], world["agent"]
    socket = await ws_connect(client, agent)
    await sync_to_async(services.comment_add)(
        actor=world["requester"], ticket=ticket, body="Есть новости?"
    )
    # The agent works the queue but is not the assignee: nothing yet.
    assert await socket.receive_nothing(timeout=0.3)
    await sync_to_async(services.ticket_assign)(actor=None, ticket=ticket, assignee=agent)
    live = await receive_type(socket, "notification")
    assert live["notification"]["event"] == "assigned"
    assert live["notification"]["ticket"] == ticket.key
    await socket.disconnect()

    # While away, another notification; on reconnect the page asks for what it missed.
    await sync_to_async(services.comment_add)(
        actor=world["requester"], ticket=ticket, body="Спасибо!"
    )
    socket = await ws_connect(client, agent)
    # A page that just loaded (it has seen none) gets no replay, only the count.
    await socket.send_json_to({"type": "resume", "after": 0})
    fresh = await socket.receive_json_from(timeout=5)
    assert fresh["type"] == "resumed" and fresh["last"] > live["notification"]["id"]
    await socket.send_json_to({"type": "resume", "after": live["notification"]["id"]})
    missed = await receive_type(socket, "notification")
    assert missed["resumed"] is True and missed["notification"]["event"] == "commented"
    resumed = await receive_type(socket, "resumed")
    count = await sync_to_async(
        Notification.objects.filter(recipient=agent, read_at__isnull=True).count
    )()
    assert resumed["unread"] == count
    await socket.disconnect()
    await get_channel_layer().flush()


# --- subscriptions follow the rights -----------------------------------------------------


async def _subscribed(client, user, **subscription):
    socket = await ws_connect(client, user)
    await socket.send_json_to({"type": "subscribe", **subscription})
    await receive_type(socket, "subscribed")
    return socket


async def _internal_note(world) -> None:
    await sync_to_async(services.comment_add)(
        actor=world["agent"], ticket=world["ticket"], body="Пароль от роутера", is_internal=True
    )


async def test_an_agent_removed_from_a_queue_stops_hearing_it(client, redis_layer, world):
    agent, hd, ticket = world["agent"], world["hd"], world["ticket"]
    board = await _subscribed(client, agent, board=[hd.pk])
    page = await _subscribed(client.__class__(), agent, ticket=ticket.pk)

    await sync_to_async(hd.members.remove)(agent)

    assert await receive_type(board, "revoked") == {"type": "revoked", "board": [hd.pk]}
    assert await receive_type(page, "revoked") == {"type": "revoked", "ticket": ticket.pk}
    manager = await sync_to_async(UserFactory)(username="boss", roles=[Role.MANAGER])
    await sync_to_async(services.comment_add)(
        actor=manager, ticket=ticket, body="Пароль от роутера", is_internal=True
    )
    fresh = await sync_to_async(type(ticket).objects.get)(pk=ticket.pk)
    await sync_to_async(services.ticket_move)(
        actor=manager,
        ticket=fresh,
        status=await sync_to_async(status)("in_progress"),
        version=fresh.version,
    )
    assert await board.receive_nothing(timeout=0.5)
    assert await page.receive_nothing(timeout=0.5)
    await board.disconnect()
    await page.disconnect()


async def test_a_requester_whose_ticket_went_to_someone_else_stops_hearing_it(
    client, redis_layer, world
):
    ticket = world["ticket"]
    page = await _subscribed(client, world["requester"], ticket=ticket.pk)
    newcomer = await sync_to_async(UserFactory)(username="newcomer", roles=[Role.REQUESTER])

    await sync_to_async(services.ticket_update)(
        actor=world["agent"], ticket=ticket, requester=newcomer
    )

    assert await receive_type(page, "revoked") == {"type": "revoked", "ticket": ticket.pk}
    await sync_to_async(services.comment_add)(actor=world["agent"], ticket=ticket, body="Ответ")
    assert await page.receive_nothing(timeout=0.5)
    await page.disconnect()


async def test_a_watcher_who_stops_watching_stops_hearing(client, redis_layer, world):
    ticket, other = (
        world["ticket"],
        await sync_to_async(UserFactory)(username="colleague", roles=[Role.REQUESTER]),
    )
    await sync_to_async(services.ticket_watch)(
        actor=world["agent"], ticket=ticket, user=other, watching=True
    )
    page = await _subscribed(client, other, ticket=ticket.pk)
    await sync_to_async(services.ticket_watch)(
        actor=world["agent"], ticket=ticket, user=other, watching=False
    )
    assert await receive_type(page, "revoked") == {"type": "revoked", "ticket": ticket.pk}
    await page.disconnect()


async def test_a_deactivated_user_is_disconnected(client, redis_layer, world):
    agent = world["agent"]
    board = await _subscribed(client, agent, board=[world["hd"].pk])
    agent.is_active = False
    await sync_to_async(agent.save)()
    closed = await board.receive_output(timeout=5)
    while closed["type"] != "websocket.close":
        closed = await board.receive_output(timeout=5)
    assert closed["code"] == 4401


async def test_an_agent_who_still_may_work_keeps_everything(client, redis_layer, world):
    agent, ticket = world["agent"], world["ticket"]
    page = await _subscribed(client, agent, ticket=ticket.pk)
    await sync_to_async(services.ticket_update)(actor=agent, ticket=ticket, assignee=agent)
    await _internal_note(world)
    note = await receive_type(page, "ticket.commented")
    assert note["internal"] is True
    await page.disconnect()
