"""The shared outbox functions, on both outboxes' tables: a notification delivery and a
Redmine push."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from helpdesk import outbox
from helpdesk.outbox import OutboxItem, OutboxState
from integrations.models import RedmineLink, RedminePush
from notifications.models import Channel, Delivery, Event, Notification

pytestmark = pytest.mark.django_db

LEASE = timedelta(minutes=5)


def _delivery() -> Delivery:
    note = Notification.objects.create(recipient=UserFactory(), event=Event.SIGN_IN_PAUSED)
    return Delivery.objects.create(notification=note, channel=Channel.EMAIL)


def _push() -> RedminePush:
    link = RedmineLink.objects.create(issue_id=RedmineLink.objects.count() + 1, project_id=1)
    return RedminePush.objects.create(link=link, fields=["status"])


@pytest.fixture(params=[_delivery, _push], ids=["delivery", "redmine-push"])
def make(request):
    return request.param


def rows_of(row: OutboxItem):
    return type(row)._default_manager.filter(pk=row.pk)


def fresh(row: OutboxItem) -> OutboxItem:
    row.refresh_from_db()
    return row


def test_a_row_is_claimed_once(make):
    row = make()
    assert outbox.claim(rows_of(row), lease=LEASE)
    assert not outbox.claim(rows_of(row), lease=LEASE), "a second worker is refused"
    row = fresh(row)
    assert (row.state, row.attempts) == (OutboxState.SENDING, 1)
    assert row.claimed_until is not None
    assert row.claimed_until > timezone.now() + LEASE - timedelta(minutes=1)
    assert not outbox.due(rows_of(row)).exists()


def test_an_expired_lease_is_due_and_taken_again(make):
    row = make()
    assert outbox.claim(rows_of(row), lease=LEASE)
    rows_of(row).update(claimed_until=timezone.now() - timedelta(seconds=1))  # its worker died

    assert list(outbox.due(rows_of(row))) == [row]
    assert outbox.claim(rows_of(row), lease=LEASE)
    assert fresh(row).attempts == 2


@pytest.mark.parametrize(
    ("state", "sent"),
    [(OutboxState.SENT, True), (OutboxState.FAILED, False), (OutboxState.SKIPPED, False)],
)
def test_finish_ends_the_claim(make, state, sent):
    row = make()
    outbox.claim(rows_of(row), lease=LEASE)
    row = fresh(row)
    assert outbox.finish(row, state, "x" * (outbox.ERROR_KEPT + 10))

    row = fresh(row)
    assert (row.state, row.claimed_until, row.sent_at is not None) == (state, None, sent)
    assert len(row.last_error) == outbox.ERROR_KEPT
    assert not outbox.claim(rows_of(row), lease=LEASE)
    assert not outbox.due(rows_of(row)).exists()


def test_finish_leaves_a_row_that_is_no_longer_claimed(make):
    row = make()
    outbox.claim(rows_of(row), lease=LEASE)
    row = fresh(row)
    outbox.requeue(rows_of(row))  # an operator put it back meanwhile
    assert not outbox.finish(row, OutboxState.SENT)
    assert fresh(row).state == OutboxState.PENDING


def test_a_retry_waits_its_backoff_then_gives_up(make):
    row = make()
    outbox.claim(rows_of(row), lease=LEASE)
    row = fresh(row)
    wait = timedelta(seconds=30)

    assert outbox.retry_later(row, "down", wait=wait, max_attempts=2) == OutboxState.PENDING
    row = fresh(row)
    assert (row.state, row.claimed_until, row.last_error) == (OutboxState.PENDING, None, "down")
    assert not outbox.due(rows_of(row)).exists(), "not before its wait is over"
    assert outbox.due(rows_of(row), now=timezone.now() + wait).exists()

    outbox.claim(rows_of(row), lease=LEASE)
    row = fresh(row)
    assert outbox.retry_later(row, "still down", wait=wait, max_attempts=2) == OutboxState.FAILED
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.FAILED, 2, "still down")


def test_a_new_row_is_due_after_the_grace_only(make):
    row = make()
    assert outbox.due(rows_of(row)).exists()
    assert not outbox.due(rows_of(row), grace=timedelta(seconds=30)).exists()
    later = timezone.now() + timedelta(seconds=31)
    assert outbox.due(rows_of(row), now=later, grace=timedelta(seconds=30)).exists()


def test_requeue_starts_over(make):
    row = make()
    outbox.claim(rows_of(row), lease=LEASE)
    outbox.finish(fresh(row), OutboxState.FAILED, "refused")
    rows_of(row).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    assert outbox.requeue(rows_of(row)) == 1
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.PENDING, 0, "refused")
    assert outbox.due(rows_of(row)).exists()


def test_the_sweep_starts_due_rows_oldest_first_and_stops_when_the_service_is_down():
    rows = [_delivery() for _ in range(4)]
    outbox.claim(rows_of(rows[3]), lease=LEASE)  # being sent: not swept
    started: list[int] = []
    down_at = {"start": 0}

    def start(row: Delivery) -> bool:
        started.append(row.pk)
        if len(started) == down_at["start"]:
            raise outbox.TransientError("down")
        return True

    assert outbox.sweep(Delivery.objects.all(), start, limit=10) == 3
    assert started == [row.pk for row in rows[:3]]

    started.clear()
    down_at["start"] = 2
    assert outbox.sweep(Delivery.objects.all(), start, limit=10) == 1
    assert started == [rows[0].pk, rows[1].pk]

    started.clear()
    assert outbox.sweep(Delivery.objects.all(), start, limit=1) == 1  # the batch limit
    assert started == [rows[0].pk]


def test_backoff_doubles_up_to_its_cap():
    waits = [outbox.backoff(n, first=10, cap=60).total_seconds() for n in range(6)]
    assert waits == [10, 10, 20, 40, 60, 60]


def test_a_batch_is_claimed_once_and_settled_in_one_update(make, django_assert_num_queries):
    rows = [make(), make(), make()]
    model = type(rows[0])
    batch = model._default_manager.filter(pk__in=[row.pk for row in rows])
    rows_of(rows[2]).update(state=OutboxState.SENT)  # done already: not taken

    taken = outbox.claim_many(batch, lease=LEASE)
    assert [row.pk for row in taken] == [rows[0].pk, rows[1].pk]
    assert {(row.state, row.attempts) for row in taken} == {(OutboxState.SENDING, 1)}
    assert outbox.claim_many(batch, lease=LEASE) == [], "a second worker gets none of them"

    outcomes = {
        rows[0].pk: outbox.Outcome(OutboxState.SENT),
        rows[1].pk: outbox.outcome_after_failure(
            taken[1], "timed out", wait=timedelta(minutes=1), max_attempts=3
        ),
    }
    with django_assert_num_queries(1):
        assert outbox.settle(model, outcomes, token=taken[0].claim_token) == 2
    sent, later = fresh(rows[0]), fresh(rows[1])
    assert (sent.state, sent.last_error, sent.claimed_until) == (OutboxState.SENT, "", None)
    assert sent.sent_at is not None
    assert (later.state, later.last_error, later.sent_at) == (
        OutboxState.PENDING,
        "timed out",
        None,
    )
    assert later.next_attempt_at > timezone.now()
    assert [row.pk for row in outbox.claim_many(batch, lease=LEASE)] == [later.pk]


def test_settling_leaves_a_row_an_operator_put_back(make):
    row = make()
    (taken,) = outbox.claim_many(rows_of(row), lease=LEASE)
    outbox.requeue(rows_of(row))
    sent = {row.pk: outbox.Outcome(OutboxState.SENT)}
    assert outbox.settle(type(row), sent, token=taken.claim_token) == 0
    assert fresh(row).state == OutboxState.PENDING


def test_out_of_attempts_a_batch_row_fails_for_good(make):
    row = make()
    rows_of(row).update(attempts=2)
    (taken,) = outbox.claim_many(rows_of(row), lease=LEASE)
    outcome = outbox.outcome_after_failure(taken, "down", wait=LEASE, max_attempts=3)
    outbox.settle(type(row), {row.pk: outcome}, token=taken.claim_token)
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.FAILED, 3, "down")


# --- The claim is a worker's: renewed while it sends, its outcome only its own --------


def _taken_over(row: OutboxItem) -> OutboxItem:
    """``row`` as its first worker holds it, after that worker stalled past its lease
    and a second worker claimed it."""
    assert outbox.claim(rows_of(row), lease=LEASE)
    first = fresh(row)
    rows_of(row).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.claim(rows_of(row), lease=LEASE), "the lease ran out: taken over"
    return first


def test_a_worker_whose_claim_was_taken_over_does_not_finish_the_row(make):
    row = make()
    slow = _taken_over(row)
    owner = fresh(type(row)._default_manager.get(pk=row.pk))
    assert slow.claim_token != owner.claim_token

    assert not outbox.finish(slow, OutboxState.FAILED, "late")
    assert outbox.retry_later(slow, "late", wait=LEASE, max_attempts=10) == OutboxState.PENDING
    assert (fresh(row).state, fresh(row).last_error) == (OutboxState.SENDING, "")

    assert outbox.finish(owner, OutboxState.SENT)
    assert fresh(row).state == OutboxState.SENT


def test_a_batch_whose_claim_was_taken_over_is_not_settled_by_its_old_worker(make):
    row = make()
    (slow,) = outbox.claim_many(rows_of(row), lease=LEASE)
    rows_of(row).update(claimed_until=timezone.now() - timedelta(seconds=1))
    (owner,) = outbox.claim_many(rows_of(row), lease=LEASE)

    failed = {row.pk: outbox.Outcome(OutboxState.FAILED, "late")}
    assert outbox.settle(type(row), failed, token=slow.claim_token) == 0
    assert fresh(row).state == OutboxState.SENDING
    sent = {row.pk: outbox.Outcome(OutboxState.SENT)}
    assert outbox.settle(type(row), sent, token=owner.claim_token) == 1
    assert fresh(row).state == OutboxState.SENT


def test_renewing_extends_only_the_rows_still_held(make):
    short = timedelta(seconds=30)
    rows = [make(), make()]
    model = type(rows[0])
    taken = outbox.claim_many(
        model._default_manager.filter(pk__in=[r.pk for r in rows]), lease=short
    )
    rows_of(rows[1]).update(claimed_until=timezone.now() - timedelta(seconds=1))
    outbox.claim(rows_of(rows[1]), lease=short)  # taken over by another worker
    other = fresh(rows[1]).claim_token

    before = timezone.now()
    assert outbox.renew(model, [r.pk for r in taken], taken[0].claim_token, lease=LEASE) == 1
    renewed, theirs = fresh(rows[0]), fresh(rows[1])
    assert renewed.claimed_until is not None and renewed.claimed_until >= before + LEASE
    assert theirs.claimed_until is not None and theirs.claimed_until < before + LEASE
    assert theirs.claim_token == other, "the other worker's row is left alone"


@pytest.mark.django_db(transaction=True)
def test_a_held_claim_is_renewed_while_the_block_runs_and_no_longer_after():
    """The heartbeat thread: a claim of 0.3 s held for a second is never due meanwhile;
    released (the outcome recorded) or the block over, it is no longer renewed."""
    lease = timedelta(seconds=0.3)
    rows = [_delivery(), _delivery()]
    taken = outbox.claim_many(Delivery.objects.all(), lease=lease)
    with outbox.held(taken, lease=lease) as held:
        held.release([taken[1]])
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            assert not outbox.due(rows_of(rows[0])).exists(), "renewed before it ran out"
            time.sleep(0.05)
    assert outbox.due(rows_of(rows[1])).exists(), "released: left to run out"
    wait_until(lambda: outbox.due(rows_of(rows[0])).exists(), 5)


def test_a_held_claim_stops_being_renewed_after_its_limit(transactional_db):
    lease = timedelta(seconds=0.3)
    row = _delivery()
    (taken,) = outbox.claim_many(rows_of(row), lease=lease)
    with outbox.held([taken], lease=lease, limit=0.2):
        # A sender stuck past the time limit: its row is due again although it holds it.
        wait_until(lambda: outbox.due(rows_of(row)).exists(), 5)


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.05)


@pytest.fixture
def broker_away(monkeypatch, settings):
    """The Celery app as with a broker, whose every publish fails; the breaker's clock is
    moved by hand."""
    from kombu.exceptions import OperationalError

    from helpdesk.celery import app

    offered = []
    clock = [1000.0]

    def apply_async(args, countdown=0):
        offered.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app.tasks["notifications.deliver"], "apply_async", apply_async)
    monkeypatch.setattr(outbox.time, "monotonic", lambda: clock[0])
    settings.BROKER_RETRY_SECONDS = 5
    return offered, clock


def test_a_broker_that_refused_a_task_is_left_alone_for_a_while(broker_away, caplog):
    offered, clock = broker_away
    assert outbox.start_task("notifications.deliver", 1) is False
    # The next changes do not wait for the broker: their rows stay due for the sweep.
    assert outbox.start_task("notifications.deliver", 2) is False
    assert outbox.start_task("notifications.deliver", 3) is False
    assert offered == [(1,)]
    clock[0] += 5
    assert outbox.start_task("notifications.deliver", 4) is False
    assert offered == [(1,), (4,)], "one try once the pause is over"
    assert len([r for r in caplog.records if "unreachable" in r.message]) == 1, "said once"


def test_the_broker_is_offered_tasks_again_once_it_answers(broker_away, monkeypatch, caplog):
    from helpdesk.celery import app

    offered, clock = broker_away
    assert outbox.start_task("notifications.deliver", 1) is False
    clock[0] += 5
    monkeypatch.setattr(
        app.tasks["notifications.deliver"], "apply_async", lambda args, countdown=0: None
    )
    assert outbox.start_task("notifications.deliver", 2) is True
    assert outbox.start_task("notifications.deliver", 3) is True
    assert outbox.broker.since is None
    assert offered == [(1,)], "the refused one waits for the sweep"
    assert any("answers again" in r.message for r in caplog.records)
