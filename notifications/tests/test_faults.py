"""Nothing lost when Redis is away; a change made in a real Celery worker process
reaches a WebSocket client of this process."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from helpdesk.celery import app as celery_app
from helpdesk.testing import (
    celery_pointed_at,
    database_url_for_subprocess,
    redis_channel_layers,
)
from helpdesk.testing.redis_server import PrivateRedis
from notifications import delivery
from notifications.models import Channel, Delivery, Notification
from notifications.testing import LoopbackSMTP, receive_json, ws_connect
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = (b"origin", b"http://localhost")


def use_layer(settings, url: str, prefix: str) -> None:
    settings.CHANNEL_LAYERS = redis_channel_layers(url, prefix)
    channel_layers.backends.clear()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
    channel_layers.backends.clear()


@pytest.fixture
def world(db):
    agent = UserFactory(username="agent", roles=[Role.AGENT])
    lead = UserFactory(username="lead", roles=[Role.MANAGER])
    requester = UserFactory(username="requester", roles=[Role.REQUESTER])
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    return {"agent": agent, "lead": lead, "ticket": ticket}


async def next_notification(socket, timeout=10) -> dict:
    while True:
        message = await receive_json(socket, timeout)
        if message.get("type") == "notification":
            return message["notification"]


def test_redis_down_during_a_change_the_change_is_saved_and_delivered_later(
    client, settings, private_redis, world
):
    use_layer(settings, private_redis.url, "fault-test")
    agent, ticket = world["agent"], world["ticket"]
    private_redis.stop()

    services.ticket_assign(actor=world["lead"], ticket=ticket, assignee=agent)

    ticket.refresh_from_db()
    assert ticket.assignee == agent, "the change is saved while Redis is down"
    page = Delivery.objects.get(
        notification__recipient=agent, notification__event="assigned", channel=Channel.WS
    )
    assert page.state == Delivery.State.PENDING and page.last_error

    private_redis.start()
    channel_layers.backends.clear()

    async def reconnect_and_sweep():
        socket = await ws_connect(client, agent)
        requeued = await sync_to_async(delivery.sweep)(older_than=timedelta(0))
        notification = await next_notification(socket)
        await socket.disconnect()
        return requeued, notification

    requeued, notification = async_to_sync(reconnect_and_sweep)()
    assert requeued >= 1
    assert notification["event"] == "assigned" and notification["ticket"] == ticket.key
    page.refresh_from_db()
    assert page.state == Delivery.State.SENT
    assert delivery.sweep(older_than=timedelta(0)) == 0, "nothing left, nothing twice"


def start_worker(queue: str, redis_url: str, **env) -> subprocess.Popen:
    """A real Celery worker process on a private queue, sharing Redis (broker, cache and
    channel layer) and the test database with this process."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo",
         "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "-Q", queue, "--loglevel=WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url_for_subprocess(),
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
            # Its own cache: a workflow cached by an earlier run names other rows.
            "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
            **env,
        },
    )  # fmt: skip


@pytest.fixture
def broker(settings, tmp_path):
    """A private Redis as broker, cache and channel layer of this process and of the
    workers a test starts: no other test run can take their tasks, no stale cache."""
    server = PrivateRedis(tmp_path)
    server.start()
    prefix = f"helpdesk-x-{uuid.uuid4().hex[:6]}"
    use_layer(settings, server.url, prefix)
    try:
        with celery_pointed_at(server.url):
            yield {"queue": "celery", "prefix": prefix, "redis_url": server.url}
    finally:
        channel_layers.backends.clear()
        server.stop()


@pytest.fixture
def worker(broker):
    process = start_worker(
        broker["queue"], broker["redis_url"], CHANNEL_LAYER_PREFIX=broker["prefix"]
    )
    yield broker["queue"]
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.celery_worker
def test_a_change_in_a_worker_process_reaches_a_websocket_here(client, worker, world):
    agent, ticket = world["agent"], world["ticket"]
    services.ticket_update(
        actor=agent, ticket=ticket, assignee=agent, due_date=timezone.localdate()
    )
    Notification.objects.all().delete()

    async def scenario():
        socket = await ws_connect(client, agent)
        # The worker finds the ticket due today and notifies its assignee.
        await sync_to_async(celery_app.send_task)("notifications.remind_deadlines", queue=worker)
        notification = await next_notification(socket, timeout=60)
        await socket.disconnect()
        return notification

    notification = async_to_sync(scenario)()
    assert notification["event"] == "due_soon" and notification["ticket"] == ticket.key


def wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


@pytest.mark.celery_worker
def test_a_worker_killed_mid_delivery_the_mail_goes_out_exactly_once(broker, settings, world):
    """The first worker claims the e-mail and hangs on a silent SMTP server; it is killed.
    After the claim's lease the sweep hands the delivery to a second worker: one mail."""
    lease = 2
    settings.NOTIFICATION_DELIVERY_LEASE = lease
    smtp = LoopbackSMTP()
    smtp.silent.set()
    smtp.start()
    env = {
        "CHANNEL_LAYER_PREFIX": broker["prefix"],
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": "60",
        "NOTIFICATION_DELIVERY_LEASE": str(lease),
    }
    agent = world["agent"]
    note = Notification.objects.create(
        recipient=agent,
        event="assigned",
        ticket=world["ticket"],
        params={"key": world["ticket"].key, "title": "x", "actor": "Lead"},
    )
    mail = Delivery.objects.create(notification=note, channel=Channel.EMAIL)
    first = start_worker(broker["queue"], broker["redis_url"], **env)
    second = None
    try:
        delivery.enqueue(mail)
        wait_for(
            lambda: Delivery.objects.get(pk=mail.pk).state == Delivery.State.SENDING,
            60,
            "the first worker never claimed the delivery",
        )
        assert smtp.greeting_withheld.wait(60), "the first worker never connected to SMTP"
        first.kill()
        first.wait(timeout=10)
        smtp.silent.clear()
        smtp.released.set()
        assert smtp.messages == []

        second = start_worker(broker["queue"], broker["redis_url"], **env)
        time.sleep(lease + 0.5)
        assert delivery.sweep(older_than=timedelta(0)) == 1
        wait_for(
            lambda: Delivery.objects.get(pk=mail.pk).state == Delivery.State.SENT,
            60,
            "the second worker did not deliver",
        )
        time.sleep(lease + 0.5)
        assert delivery.sweep(older_than=timedelta(0)) == 0
        time.sleep(1)
        assert len(smtp.messages) == 1
        mail.refresh_from_db()
        assert mail.attempts == 2
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        smtp.stop()
