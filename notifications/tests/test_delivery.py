"""Deliveries: claimed before sending, retried on transient failures, never twice."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications import delivery
from notifications.groups import user_group
from notifications.models import Channel, Delivery, Event, Notification
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(requester):
    queue = QueueFactory(key_prefix="HD", slug="hd")
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    return Notification.objects.create(
        recipient=UserFactory(username="bob", language="en"),
        event=Event.ASSIGNED,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Anna"},
    )


@pytest.fixture
def sent(monkeypatch):
    """Replace the real channels by a recorder whose behaviour the test sets."""
    log = []
    behaviour = {"raise": None, "result": None}

    def sender(row):
        log.append(row.pk)
        if behaviour["raise"]:
            raise behaviour["raise"]
        return behaviour["result"]

    monkeypatch.setattr(delivery, "_senders", lambda: dict.fromkeys(Channel, sender))
    return log, behaviour


def make(note, channel=Channel.EMAIL) -> Delivery:
    return Delivery.objects.create(notification=note, channel=channel)


def test_a_delivery_is_sent_once_whatever_calls_it(note, sent):
    log, _behaviour = sent
    row = make(note)
    assert delivery.deliver(row.pk) == Delivery.State.SENT
    assert delivery.deliver(row.pk) == "busy"
    delivery.sweep(older_than=timedelta(0))
    assert log == [row.pk]
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.State.SENT, 1)
    assert row.sent_at is not None


def test_transient_failures_go_back_to_pending_and_retry(note, sent):
    log, behaviour = sent
    row = make(note)
    behaviour["raise"] = ConnectionRefusedError("smtp down")
    with pytest.raises(delivery.TransientError):
        delivery.deliver(row.pk)
    row.refresh_from_db()
    assert row.state == Delivery.State.PENDING and "smtp down" in row.last_error

    behaviour["raise"] = None
    assert delivery.deliver(row.pk) == Delivery.State.SENT
    assert len(log) == 2


def test_permanent_failures_are_recorded_not_retried(note, sent):
    _log, behaviour = sent
    row = make(note)
    behaviour["raise"] = delivery.PermanentError("550 no such mailbox")
    assert delivery.deliver(row.pk) == Delivery.State.FAILED
    assert delivery.deliver(row.pk) == "busy"
    row.refresh_from_db()
    assert row.state == Delivery.State.FAILED and "550" in row.last_error


def test_giving_up_after_the_last_attempt(note, sent, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    _log, behaviour = sent
    row = make(note)
    behaviour["raise"] = TimeoutError("slow")
    with pytest.raises(delivery.TransientError):
        delivery.deliver(row.pk)
    assert delivery.deliver(row.pk) == Delivery.State.FAILED


def test_skipped_when_there_is_nothing_to_send_to(note, sent):
    _log, behaviour = sent
    behaviour["result"] = delivery.SKIPPED
    assert delivery.deliver(make(note).pk) == Delivery.State.SKIPPED


def test_a_claim_left_by_a_dead_process_is_taken_over_after_the_lease(note, sent):
    log, _behaviour = sent
    row = make(note)
    Delivery.objects.filter(pk=row.pk).update(
        state=Delivery.State.SENDING, claimed_until=timezone.now() + delivery.lease(), attempts=1
    )
    assert delivery.deliver(row.pk) == "busy", "someone is sending it right now"
    Delivery.objects.filter(pk=row.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert delivery.sweep() == 1
    assert log == [row.pk]
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.State.SENT, 2)


def test_the_sweep_requeues_old_pending_ones_only(note, sent):
    log, _behaviour = sent
    fresh = make(note, Channel.EMAIL)
    old = make(note, Channel.PUSH)
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    Delivery.objects.filter(pk=old.pk).update(
        created_at=five_minutes_ago, next_attempt_at=five_minutes_ago
    )
    assert delivery.sweep() == 1
    assert log == [old.pk]
    fresh.refresh_from_db()
    assert fresh.state == Delivery.State.PENDING


def test_the_page_gets_the_notification_in_its_readers_language(note):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(note.recipient_id), channel)
    row = make(note, Channel.WS)

    assert delivery.deliver(row.pk) == Delivery.State.SENT

    message = async_to_sync(layer.receive)(channel)["payload"]
    assert message["type"] == "notification" and message["sound"] is True
    assert message["notification"]["title"] == f"Anna assigned {note.ticket.key} to you"
    assert message["notification"]["url"] == f"/tickets/{note.ticket.key}/"


def test_a_channel_layer_failure_leaves_the_page_delivery_for_the_sweep(note, monkeypatch):
    from notifications import live

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(live, "send_to_group", down)
    row = make(note, Channel.WS)
    delivery.enqueue(row)  # does not raise: the change that caused it stays saved
    row.refresh_from_db()
    assert row.state == Delivery.State.PENDING and "redis down" in row.last_error


def test_a_change_s_deliveries_go_out_together_and_once(note, monkeypatch):
    """``fan_out``: every channel of every notification, one claim, one outcome each; a
    second run (a retry, the sweep) sends nothing again."""
    from notifications import live

    pages = []

    def send_to_groups(sends):
        pages.extend(sends)
        return [None] * len(sends)

    monkeypatch.setattr(live, "send_to_groups", send_to_groups)
    other = Notification.objects.create(
        recipient=UserFactory(username="carol"), event=Event.ASSIGNED, ticket=note.ticket,
        params=note.params,
    )  # fmt: skip
    rows = [make(n, channel) for n in (note, other) for channel in (Channel.WS, Channel.PUSH)]

    states = delivery.fan_out([note.pk, other.pk])

    assert states == {
        rows[0].pk: Delivery.State.SENT,
        rows[1].pk: Delivery.State.SKIPPED,  # push is not configured here
        rows[2].pk: Delivery.State.SENT,
        rows[3].pk: Delivery.State.SKIPPED,
    }
    assert [group for group, _payload in pages] == [
        user_group(note.recipient_id),
        user_group(other.recipient_id),
    ]
    assert delivery.fan_out([note.pk, other.pk]) == {}
    assert delivery.sweep(older_than=timedelta(0)) == 0


def test_a_page_that_failed_in_a_batch_waits_for_the_retry(note, monkeypatch):
    from notifications import live

    monkeypatch.setattr(
        live, "send_to_groups", lambda sends: [ConnectionError("redis down")] * len(sends)
    )
    row = make(note, Channel.WS)
    assert delivery.fan_out([note.pk]) == {row.pk: Delivery.State.PENDING}
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.State.PENDING, 1)
    assert "redis down" in row.last_error

    monkeypatch.setattr(live, "send_to_groups", lambda sends: [None] * len(sends))
    assert delivery.fan_out([note.pk]) == {row.pk: Delivery.State.SENT}


@pytest.mark.parametrize("size", [2, 40])
def test_the_sweep_starts_one_task_for_its_batch(note, sent, monkeypatch, settings, size):
    """Whatever the number of deliveries due, the sweep reads them once and starts one
    fan-out, which claims, sends and records them in a fixed number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk import outbox

    log, _behaviour = sent
    settings.NOTIFICATION_SWEEP_BATCH = size - 1  # the batch limit holds
    notes = Notification.objects.bulk_create(
        Notification(recipient=note.recipient, event=note.event, ticket=note.ticket, params={})
        for _ in range(size)
    )
    rows = [make(other, Channel.PUSH) for other in notes]
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(next_attempt_at=an_hour_ago)
    started = []
    real_start = outbox.start_task

    def start_task(name, *args, **kwargs):
        started.append(name)
        return real_start(name, *args, **kwargs)

    monkeypatch.setattr(delivery, "start_task", start_task)
    with CaptureQueriesContext(connection) as queries:
        assert delivery.sweep() == size - 1
    assert started == ["notifications.fan_out"]
    # The due rows; the claim (one conditional UPDATE) and the read of what it took; the
    # outcomes.
    assert len(queries) == 4, "\n".join(q["sql"] for q in queries)
    assert sorted(log) == [r.pk for r in rows[: size - 1]]
    assert delivery.sweep() == 1 and sorted(log) == [r.pk for r in rows]
    assert delivery.sweep() == 0, "nothing twice"
