"""What the outboxes share: notification deliveries (``notifications.delivery``) and
Redmine pushes (``integrations.redmine.push``) each keep a row per thing to send, claim it
before sending and retry it with backoff.

One schema (``OutboxItem``, abstract: each app keeps its own table) and one set of
functions over it:

- ``claim``: take a row for sending with one conditional UPDATE, so of two workers (or a
  retry and the sweep) only one sends it. The claim holds for a lease; a row whose
  worker died is due again once its lease has run out.
- ``finish``: sent, failed or skipped, with the error that ended it.
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import connections, models, transaction
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
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="%(class)s_due_idx")]


Item = TypeVar("Item", bound=OutboxItem)


def claim(rows: QuerySet[Item], *, lease: timedelta) -> bool:
    """Take the row ``rows`` is narrowed to for sending, counting the attempt: it must be
    pending, or sending under a lease that ran out (its worker died). One conditional
    UPDATE, so two workers never both get it. Whether it was taken."""
    now = timezone.now()
    return bool(
        rows.filter(_takeable(now)).update(
            state=OutboxState.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1
        )
    )


def _takeable(now: datetime) -> Q:
    return Q(state=OutboxState.PENDING) | Q(state=OutboxState.SENDING, claimed_until__lt=now)


def claim_many(rows: QuerySet[Item], *, lease: timedelta) -> list[Item]:
    """Take every row of ``rows`` that ``claim`` would take, counting the attempt; returns
    them as taken. The rows are read under a lock (``SELECT ... FOR UPDATE SKIP LOCKED``,
    with what ``rows`` selects related; SQLite runs the transaction alone) and updated by
    id in the same transaction, so two workers never both get one: two queries, however
    many rows."""
    now = timezone.now()
    features = connections[rows.db].features
    with transaction.atomic(using=rows.db):
        taken = list(
            rows.filter(_takeable(now))
            .select_for_update(skip_locked=features.has_select_for_update_skip_locked)
            .order_by("pk")
        )
        if taken:
            rows.model._default_manager.filter(pk__in=[row.pk for row in taken]).update(
                state=OutboxState.SENDING,
                claimed_until=now + lease,
                attempts=F("attempts") + 1,
            )
    for row in taken:
        row.state, row.claimed_until = OutboxState.SENDING, now + lease
        row.attempts += 1
    return taken


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


def settle(model: type[OutboxItem], outcomes: dict[int, Outcome]) -> int:
    """End a batch of claimed rows (``finish`` or ``retry_later`` each) in one UPDATE; a
    row no longer claimed (an operator put it back) is left alone. Returns how many."""
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
    rows = model._default_manager.filter(pk__in=list(outcomes), state=OutboxState.SENDING)
    return rows.update(claimed_until=None, **changes)


def _rows_of(row: OutboxItem) -> QuerySet[OutboxItem]:
    # Only while it is still claimed: an operator may have put it back meanwhile.
    return type(row)._default_manager.filter(pk=row.pk, state=OutboxState.SENDING)


def finish(row: OutboxItem, state: str, error: str = "") -> bool:
    """End a claimed row: sent, failed or skipped, with the error that ended it."""
    return bool(
        _rows_of(row).update(
            state=state,
            last_error=error[:ERROR_KEPT],
            claimed_until=None,
            sent_at=timezone.now() if state == OutboxState.SENT else None,
        )
    )


def retry_later(row: OutboxItem, error: str, *, wait: timedelta, max_attempts: int) -> str:
    """A claimed row that failed for now: pending again, due after ``wait``; failed for
    good once it has had ``max_attempts``. Returns the new state."""
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


def start_task(name: str, *args: Any, countdown: int = 0) -> bool:
    """Queue the Celery task ``name`` (eager in tests and without a broker). A broker that
    is down is logged, not raised: the row stays due and the outbox's sweep starts it."""
    from helpdesk.celery import app

    try:
        app.tasks[name].apply_async(args, countdown=countdown)
    except Exception as exc:
        log.warning("task %s%r not queued (the sweep will): %s", name, args, exc)
        return False
    return True
