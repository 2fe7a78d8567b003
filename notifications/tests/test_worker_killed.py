"""A real Celery worker SIGKILLed in the middle of a batch of e-mails to a real SMTP
server on loopback, with the production lease and sweep interval: every e-mail goes out
within a minute of the kill; none twice when the kill came before the server accepted a
message, exactly one twice (with the same Message-ID) when it came between the server's
acceptance and the worker's commit, the window no delivery scheme can close over SMTP.

The SMTP server kills the worker itself at the chosen message, so the kill lands at the
same point of the conversation on every run. Beat is played by the test: the sweep task
is sent to the workers at the interval of its beat schedule, as beat would."""

import os
import signal
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.conf import settings

from accounts.tests.factories import UserFactory
from helpdesk.celery import app as celery_app
from notifications import delivery
from notifications.email import message_id
from notifications.models import Channel, Delivery, Event, Notification
from notifications.testing import LoopbackSMTP
from notifications.tests import test_faults
from notifications.tests.test_faults import start_worker
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.celery_worker,
]

# A private Redis as broker, cache and channel layer of this process and the workers.
broker = test_faults.broker

MAILS = 8
KILLED_AT = 4  # the worker dies at the 4th message of the batch
# What the issue asks: no e-mail later than this after the kill.
AT_MOST_AFTER_KILL = 60
# How long the test waits at most before it fails (the old five-minute lease never makes it).
DEADLINE = 120


@pytest.fixture
def smtp():
    server = LoopbackSMTP()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def batch(transactional_db) -> list[Delivery]:
    """One change heard by ``MAILS`` people by e-mail, in the order the batch sends."""
    queue = QueueFactory(key_prefix="HD", slug="hd")
    ticket = TicketFactory(queue=queue)
    rows = []
    for n in range(MAILS):
        note = Notification.objects.create(
            recipient=UserFactory(username=f"reader{n}"),
            event=Event.ASSIGNED,
            ticket=ticket,
            params={"key": ticket.key, "title": ticket.title, "actor": "Lead"},
        )
        rows.append(Delivery.objects.create(notification=note, channel=Channel.EMAIL))
    return rows


class Killer:
    """Kills the worker process at the ``KILLED_AT``-th message, once."""

    def __init__(self, smtp: LoopbackSMTP):
        self.smtp = smtp
        self.worker: int | None = None
        self.at: float | None = None

    def kill(self) -> None:
        assert self.worker is not None
        self.at = time.monotonic()
        os.kill(self.worker, signal.SIGKILL)

    def before_acceptance(self, data: bytes) -> bool:
        if self.at is None and len(self.smtp.messages) == KILLED_AT - 1:
            self.kill()
            return False  # never accepted
        return True

    def after_acceptance(self, data: bytes) -> None:
        # The reply "250" is out; the worker now waits for the answer to its QUIT, which
        # this thread has not given: it dies before it can record the mail.
        if self.at is None and len(self.smtp.messages) == KILLED_AT:
            self.kill()


def kill_mid_batch(broker: dict, smtp: LoopbackSMTP, batch: list[Delivery], *, accepted: bool):
    """Send the batch through a worker killed at ``KILLED_AT`` (before or after the
    server accepted that message), restart a worker, play beat until every delivery is
    recorded; returns the kill time, the messages and when each was accepted."""
    env = {
        "CHANNEL_LAYER_PREFIX": broker["prefix"],
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
    }
    killer = Killer(smtp)
    if accepted:
        smtp.after_accept = killer.after_acceptance
    else:
        smtp.before_accept = killer.before_acceptance
    first = start_worker(broker["queue"], broker["redis_url"], **env)
    killer.worker = first.pid
    second = None
    try:
        delivery.dispatch(sorted({row.notification_id for row in batch}))
        wait_for(lambda: killer.at is not None, DEADLINE, "the worker never reached the kill")
        first.wait(timeout=10)
        assert killer.at is not None
        second = start_worker(broker["queue"], broker["redis_url"], **env)  # the restart
        sweep_every = beat_interval("notifications-sweep")
        next_sweep = killer.at + sweep_every
        pending = Delivery.objects.filter(pk__in=[row.pk for row in batch]).exclude(
            state=Delivery.State.SENT
        )
        deadline = killer.at + DEADLINE
        while pending.exists():
            assert time.monotonic() < deadline, f"not delivered: {list(pending.values())}"
            if time.monotonic() >= next_sweep:  # beat
                celery_app.send_task("notifications.sweep", queue=broker["queue"])
                next_sweep += sweep_every
            time.sleep(0.2)
        # Anything still on its way would come from a second claim: wait one more sweep.
        celery_app.send_task("notifications.sweep", queue=broker["queue"])
        time.sleep(2)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    return killer.at, list(smtp.messages), list(smtp.accepted_at)


def beat_interval(name: str) -> float:
    schedule = settings.CELERY_BEAT_SCHEDULE[name]["schedule"]
    assert isinstance(schedule, timedelta)
    return schedule.total_seconds()


def ids_of(messages: list[tuple[list[str], EmailMessage]]) -> Counter:
    return Counter(str(message["Message-ID"]) for _recipients, message in messages)


def report(name: str, killed_at: float, accepted_at: list[float], copies: Counter) -> float:
    last = max(accepted_at) - killed_at
    twice = sum(n - 1 for n in copies.values())
    print(f"\n{name}: last e-mail {last:.1f} s after the kill, {twice} duplicate(s)")
    return last


def test_killed_before_the_server_accepted_every_mail_goes_out_once_within_a_minute(
    broker,
    smtp,
    batch,
):
    killed_at, messages, accepted_at = kill_mid_batch(broker, smtp, batch, accepted=False)

    copies = ids_of(messages)
    assert copies == Counter({message_id(row.pk): 1 for row in batch}), "each exactly once"
    last = report("killed before acceptance", killed_at, accepted_at, copies)
    assert last <= AT_MOST_AFTER_KILL
    attempts = dict(Delivery.objects.values_list("pk", "attempts"))
    # Recorded before the kill: not sent again; the rest: a second attempt.
    assert [attempts[row.pk] for row in batch] == [1] * (KILLED_AT - 1) + [2] * (
        MAILS - KILLED_AT + 1
    )


def test_killed_after_the_server_accepted_one_mail_goes_out_twice_with_its_message_id(
    broker,
    smtp,
    batch,
):
    killed_at, messages, accepted_at = kill_mid_batch(broker, smtp, batch, accepted=True)

    copies = ids_of(messages)
    in_the_window = message_id(batch[KILLED_AT - 1].pk)
    expected = Counter({message_id(row.pk): 1 for row in batch})
    expected[in_the_window] = 2  # accepted, not recorded: sent again, the same Message-ID
    assert copies == expected, "one duplicate, the message of the window, never more"
    last = report("killed inside the acceptance window", killed_at, accepted_at, copies)
    assert last <= AT_MOST_AFTER_KILL
    assert (
        Delivery.objects.filter(pk__in=[row.pk for row in batch])
        .exclude(state=Delivery.State.SENT)
        .count()
        == 0
    )


def wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)
