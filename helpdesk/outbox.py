"""What the outboxes share: notification deliveries (``notifications.delivery``) and
Redmine pushes (``integrations.redmine.push``) each keep a row per thing to send, claim it
before sending and retry it with backoff.

One schema (``OutboxItem``, abstract: each app keeps its own table) and one set of
functions over it:

- ``claim``: take a row for sending with one conditional UPDATE, so of two workers (or a
  retry and the sweep) only one sends it. The claim is a token (``claim_token``) held for
  a short lease, renewed while the worker sends (``held``); a row whose worker died is
  due again once its lease has run out, within seconds.
- ``finish``: sent, failed or skipped, with the error that ended it; recorded only while
  the claim is still this worker's (a worker that stalled past its lease and was taken
  over does not overwrite the new owner's outcome).
- ``retry_later``: back to pending, due after a backoff, or failed once out of attempts.
- ``claim_many`` and ``settle``: the same for a batch (one event's rows for all its
  recipients) in a fixed number of queries, whatever its size.
- ``due`` and ``sweep``: the rows to (re)start, and starting them.
- ``requeue``: an operator's "send again", from the first attempt.

Senders speak one error vocabulary (``TransientError``, ``PermanentError``, ``SKIPPED``),
and rows are started by task name, so that an app's tasks import its services and never
the reverse.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, models
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

# A sender's answer when there was nothing to send (no address, no device).
SKIPPED = "skipped"
# How much of an error message a row keeps.
ERROR_KEPT = 2000


class TransientError(Exception):
    """Worth retrying: the service is down, timed out or asked us to slow down."""


class PermanentError(Exception):
    """Retrying cannot help: the address is gone, the change was refused."""


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class OutboxItem(models.Model):
    """One thing to send. Pending until ``next_attempt_at``; sending while claimed (until
    ``claimed_until``); then sent, failed or skipped. A subclass may narrow ``state`` to
    the states it uses and relabel them."""

    state = models.CharField(
        _("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # Whose claim it is: a new token for every claim, so that only its holder records
    # the outcome.
    claim_token = models.CharField(_("claim"), max_length=32, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="%(class)s_due_idx")]


Item = TypeVar("Item", bound=OutboxItem)


def claim(rows: QuerySet[Item], *, lease: timedelta) -> str | None:
    """Take the row ``rows`` is narrowed to for sending, counting the attempt: it must be
    pending, or sending under a lease that ran out (its worker died). One conditional
    UPDATE, so two workers never both get it. The claim's token when it was taken (the
    row read afterwards carries it), else None."""
    now, token = timezone.now(), uuid.uuid4().hex
    taken = rows.filter(_takeable(now)).update(
        state=OutboxState.SENDING,
        claimed_until=now + lease,
        claim_token=token,
        attempts=F("attempts") + 1,
    )
    return token if taken else None


def _takeable(now: datetime) -> Q:
    return Q(state=OutboxState.PENDING) | Q(state=OutboxState.SENDING, claimed_until__lt=now)


def claim_many(rows: QuerySet[Item], *, lease: timedelta) -> list[Item]:
    """Take every row of ``rows`` that ``claim`` would take, counting the attempt; returns
    them as taken. ``claim``'s one conditional UPDATE for all of them, so two workers never
    both get one (the database locks each row it updates and checks the condition again),
    then one read of what this claim took, by its token, with what ``rows`` selects
    related: two queries however many rows, and no transaction of their own. ``rows``
    must filter on the rows' own columns only (on MariaDB, a filter through a relation
    would cost a query more). They share one claim token."""
    token = claim(rows, lease=lease)
    if token is None:
        return []
    return list(rows.filter(state=OutboxState.SENDING, claim_token=token).order_by("pk"))


def _claimed(model: type[OutboxItem], pks: Iterable[int], token: str) -> QuerySet[OutboxItem]:
    # Still sending under this very claim: not put back by an operator, not taken over by
    # another worker after the lease ran out.
    return model._default_manager.filter(
        pk__in=list(pks), state=OutboxState.SENDING, claim_token=token
    )


def renew(model: type[OutboxItem], pks: Iterable[int], token: str, *, lease: timedelta) -> int:
    """Extend the lease of the rows still held under ``token`` to ``lease`` from now;
    returns how many."""
    return _claimed(model, pks, token).update(claimed_until=timezone.now() + lease)


class Held:
    """Rows of one outbox claimed under one token, their lease renewed every third of it
    by a daemon thread while the worker sends (see ``held``). A worker that dies stops
    renewing: its rows are due again within one lease. ``release`` a row once its
    outcome is recorded."""

    def __init__(self, rows: Sequence[OutboxItem], *, lease: timedelta, limit: float):
        self.model = type(rows[0])
        self.token = rows[0].claim_token
        self.lease = lease
        self._pks = {row.pk for row in rows}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # A sender stuck past the task's time limit stops holding its rows.
        self._deadline = time.monotonic() + limit
        self._thread = threading.Thread(target=self._run, name="outbox lease", daemon=True)

    def release(self, rows: Iterable[OutboxItem]) -> None:
        with self._lock:
            self._pks.difference_update(row.pk for row in rows)

    def renew(self) -> int:
        """Extend the lease of the rows still held now; returns how many."""
        with self._lock:
            pks = list(self._pks)
        if not pks:
            return 0
        renewed = renew(self.model, pks, self.token, lease=self.lease)
        if renewed < len(pks):
            log.warning(
                "%s of %s %s rows are no longer claimed by this worker",
                len(pks) - renewed,
                len(pks),
                self.model._meta.label,
            )
            with self._lock:
                self._pks.intersection_update(
                    _claimed(self.model, pks, self.token).values_list("pk", flat=True)
                )
        return renewed

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.lease.total_seconds() / 3):
                if time.monotonic() > self._deadline:
                    log.warning(
                        "%s rows held past the time limit: lease no longer renewed",
                        self.model._meta.label,
                    )
                    return
                try:
                    self.renew()
                except Exception:
                    # The database is away for a moment: the lease lasts until it returns.
                    log.warning("%s rows: lease not renewed", self.model._meta.label, exc_info=True)
        finally:
            connections.close_all()  # this thread's own

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@contextmanager
def held(rows: Sequence[Item], *, lease: timedelta, limit: float | None = None) -> Iterator[Held]:
    """Keep the claim on ``rows`` (taken together by ``claim`` or ``claim_many``) alive
    while the block sends them: renewed every third of ``lease``, for at most ``limit``
    seconds (the Celery task time limit unless given). ``rows`` is not empty."""
    keeper = Held(
        rows,
        lease=lease,
        limit=settings.CELERY_TASK_TIME_LIMIT if limit is None else limit,
    )
    keeper.start()
    try:
        yield keeper
    finally:
        keeper.stop()


@dataclass(frozen=True)
class Outcome:
    """How a claimed row ends: its new state and error; ``retry_at`` when it goes back to
    pending."""

    state: str
    error: str = ""
    retry_at: datetime | None = None


def outcome_after_failure(
    row: OutboxItem, error: str, *, wait: timedelta, max_attempts: int
) -> Outcome:
    """``retry_later``'s decision for a batch: pending again after ``wait``, or failed
    once out of attempts."""
    if row.attempts >= max_attempts:
        return Outcome(OutboxState.FAILED, error)
    return Outcome(OutboxState.PENDING, error, retry_at=timezone.now() + wait)


def _per_row(values: dict[int, Any], field: models.Field) -> Value | Case:
    """One value for all the rows when they agree, else one ``WHEN pk IN (...)`` per
    distinct value."""
    rows_of_value: dict[Any, list[int]] = {}
    for pk, value in values.items():
        rows_of_value.setdefault(value, []).append(pk)
    if len(rows_of_value) == 1:
        return Value(next(iter(rows_of_value)), output_field=field)
    whens = [
        When(pk__in=pks, then=Value(value, output_field=field))
        for value, pks in rows_of_value.items()
    ]
    return Case(*whens, output_field=field)


def settle(model: type[OutboxItem], outcomes: dict[int, Outcome], *, token: str) -> int:
    """End a batch of rows claimed under ``token`` (``finish`` or ``retry_later`` each) in
    one UPDATE; a row no longer claimed so (an operator put it back, or its lease ran out
    and another worker took it) is left alone. Returns how many."""
    if not outcomes:
        return 0
    now = timezone.now()
    changes: dict[str, Value | Case] = {
        "state": _per_row({pk: o.state for pk, o in outcomes.items()}, models.CharField()),
        "last_error": _per_row(
            {pk: o.error[:ERROR_KEPT] for pk, o in outcomes.items()}, models.TextField()
        ),
        "sent_at": _per_row(
            {pk: now if o.state == OutboxState.SENT else None for pk, o in outcomes.items()},
            models.DateTimeField(),
        ),
    }
    pending = {pk: o.retry_at for pk, o in outcomes.items() if o.retry_at is not None}
    if pending:
        retry_at = _per_row(pending, models.DateTimeField())
        changes["next_attempt_at"] = Case(
            When(pk__in=list(pending), then=retry_at),
            default=F("next_attempt_at"),
            output_field=models.DateTimeField(),
        )
    return _claimed(model, outcomes, token).update(claimed_until=None, **changes)


def _rows_of(row: OutboxItem) -> QuerySet[OutboxItem]:
    # Only while it is still claimed by us: an operator may have put it back meanwhile,
    # or another worker taken it over.
    return _claimed(type(row), [row.pk], row.claim_token)


def finish(row: OutboxItem, state: str, error: str = "") -> bool:
    """End a row claimed as ``row.claim_token``: sent, failed or skipped, with the error
    that ended it. Whether it was still ours to end."""
    return bool(
        _rows_of(row).update(
            state=state,
            last_error=error[:ERROR_KEPT],
            claimed_until=None,
            sent_at=timezone.now() if state == OutboxState.SENT else None,
        )
    )


def retry_later(row: OutboxItem, error: str, *, wait: timedelta, max_attempts: int) -> str:
    """A claimed row (``row.claim_token``) that failed for now: pending again, due after
    ``wait``; failed for good once it has had ``max_attempts``. Returns the new state."""
    if row.attempts >= max_attempts:
        finish(row, OutboxState.FAILED, error)
        return OutboxState.FAILED
    _rows_of(row).update(
        state=OutboxState.PENDING,
        last_error=error[:ERROR_KEPT],
        claimed_until=None,
        next_attempt_at=timezone.now() + wait,
    )
    return OutboxState.PENDING


def due(
    rows: QuerySet[Item], *, now: datetime | None = None, grace: timedelta = timedelta(0)
) -> QuerySet[Item]:
    """The rows to (re)start: pending ones due at least ``grace`` ago (time for the start
    queued with them to come first), and sending ones whose lease ran out."""
    now = now or timezone.now()
    return rows.filter(
        Q(state=OutboxState.PENDING, next_attempt_at__lte=now - grace)
        | Q(state=OutboxState.SENDING, claimed_until__lt=now)
    )


def sweep(
    rows: QuerySet[Item],
    start: Callable[[Item], bool],
    *,
    limit: int,
    grace: timedelta = timedelta(0),
) -> int:
    """Call ``start`` on the due rows, oldest first, at most ``limit``; returns how many
    it reported done. A ``TransientError`` ends the sweep: the service is down, the
    rest waits for the next one."""
    done = 0
    for row in due(rows, grace=grace).order_by("pk")[:limit]:
        try:
            done += bool(start(row))
        except TransientError:
            break
    return done


def requeue(rows: QuerySet[Item]) -> int:
    """Send these rows again from the first attempt, now (the last error stays until the
    next attempt). Returns how many."""
    return rows.update(
        state=OutboxState.PENDING,
        attempts=0,
        claimed_until=None,
        next_attempt_at=timezone.now(),
    )


def backoff(attempts: int, *, first: int, cap: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: ``first`` seconds, doubling, at most
    ``cap``."""
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), cap))


class BrokerBreaker:
    """Whether the broker refused the last task, shared by the threads of a process. After
    a refusal, tasks are not even offered for ``BROKER_RETRY_SECONDS``: their rows stay
    due and the sweep starts them, so a change does not wait out the publish retries
    (about 0.6 s each) while the broker is away. One caller tries again after that."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since: float | None = None
        self.retry_at = 0.0

    def may_try(self) -> bool:
        if self.since is None:  # the usual case, without taking the lock
            return True
        with self.lock:
            now = time.monotonic()
            if now < self.retry_at:
                return False
            self.retry_at = now + settings.BROKER_RETRY_SECONDS
            return True

    def failed(self, name: str, error: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + settings.BROKER_RETRY_SECONDS
            first = self.since is None
            if first:
                self.since = now
        if first:
            log.warning(
                "task %s not queued: the broker is unreachable (%s); tasks wait in their "
                "outboxes and the sweep starts them once it answers",
                name,
                error,
            )

    def succeeded(self) -> None:
        if self.since is None:
            return
        with self.lock:
            since, self.since = self.since, None
        if since is not None:
            log.warning("the broker answers again after %.0f s", time.monotonic() - since)


broker = BrokerBreaker()


def start_task(name: str, *args: Any, countdown: int = 0) -> bool:
    """Queue the Celery task ``name`` (eager in tests and without a broker). A broker that
    is down is logged, not raised: the row stays due and the outbox's sweep starts it."""
    from helpdesk.celery import app

    if app.conf.task_always_eager:
        try:
            app.tasks[name].apply_async(args, countdown=countdown)
        except Exception as exc:
            log.warning("task %s%r failed (the sweep will retry it): %s", name, args, exc)
            return False
        return True
    if not broker.may_try():
        return False
    try:
        app.tasks[name].apply_async(args, countdown=countdown)
    except Exception as exc:
        broker.failed(name, exc)
        return False
    broker.succeeded()
    return True
