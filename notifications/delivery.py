"""Delivering notifications: nothing lost, nothing twice.

Each (notification, channel) has one ``Delivery`` row, an outbox row
(``helpdesk.outbox``). A sender first *claims* it with a conditional UPDATE (pending, or
sending with an expired lease) and only then sends, so a retry, a second worker or the
sweep never sends it twice. Transient failures go back to pending and are retried with
backoff; permanent ones are recorded as failed. The sweep re-queues what is still
pending (Redis, the broker or SMTP was down) and what a dead worker left half done.

Channels register a sender: ``SENDERS[channel](delivery)`` sends or raises
``TransientError`` / ``PermanentError``, or returns ``SKIPPED`` (nothing to send to, e.g.
no push subscription).

A change's notifications are delivered together: ``dispatch`` queues one task for all
of them (``fan_out``), which claims every delivery at once, reads the recipients and
their push devices once, sends the pages and pushes and records their outcomes in one
UPDATE, so those queries do not grow with the number of recipients. E-mails are the
exception: each one's outcome is committed as soon as the SMTP server accepted it (one
UPDATE per e-mail). Single deliveries (the sweep, an operator's retry) go through
``deliver``.

A worker killed mid-batch: its claims are leased for ``NOTIFICATION_DELIVERY_LEASE``
seconds (30) and renewed while it sends, so they run out that long after the kill and
the sweep (every 15 s) hands them to another worker. What it had recorded is not sent
again; the one e-mail the server accepted but whose outcome the worker could not commit
is sent once more, with the same ``Message-ID`` (exactly once is impossible over SMTP;
this keeps the window to one message per killed worker).
"""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings

from helpdesk import outbox
from helpdesk.outbox import SKIPPED, Outcome, PermanentError, TransientError, start_task
from notifications import live
from notifications.groups import user_group
from notifications.models import Channel, Delivery
from notifications.text import as_message

log = logging.getLogger(__name__)

__all__ = [
    "SKIPPED",
    "PermanentError",
    "TransientError",
    "deliver",
    "dispatch",
    "fan_out",
    "sweep",
]

# Retries wait 10 s, 20 s, 40 s ... at most 10 minutes.
RETRY_FIRST_SECONDS = 10
RETRY_CAP_SECONDS = 600
# A delivery that failed for now is due again at once: the task's own countdown paces
# the retries of push and e-mail, and the page, which has no task, waits for the sweep.
RETRY_DUE_AFTER = timedelta(0)
# A pending delivery is left this long to the start queued with it before the sweep
# starts it too.
SWEEP_GRACE = timedelta(seconds=30)


def lease() -> timedelta:
    """How long a claim holds before the sweep may hand the delivery to someone else."""
    return timedelta(seconds=settings.NOTIFICATION_DELIVERY_LEASE)


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts."""
    return outbox.backoff(attempts, first=RETRY_FIRST_SECONDS, cap=RETRY_CAP_SECONDS)


def claim(delivery_id: int) -> Delivery | None:
    """Take the delivery for sending, or None when it is done or someone else has it."""
    token = outbox.claim(Delivery.objects.filter(pk=delivery_id), lease=lease())
    if token is None:
        return None
    row = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    return row if row.claim_token == token else None


def _record(outcomes: dict[int, Outcome], token: str) -> None:
    """Commit the outcomes of rows claimed as ``token``; those whose claim was lost
    meanwhile (the worker stalled past its lease and another took over) are left to
    their new owner."""
    if outbox.settle(Delivery, outcomes, token=token) < len(outcomes):
        log.warning("deliveries %s: no longer claimed here, outcome not recorded", list(outcomes))


def _ws_payload(delivery: Delivery) -> dict:
    notification = delivery.notification
    return {
        "type": "notification",
        "notification": as_message(notification),
        "sound": notification.recipient.sound_enabled,
    }


def send_ws(delivery: Delivery) -> None:
    live.to_user(delivery.notification.recipient_id, _ws_payload(delivery))


def _send_ws_many(rows: list[Delivery]) -> dict[int, BaseException | None]:
    """The page messages of many deliveries, sent side by side; each one's error."""
    errors = live.send_to_groups(
        [(user_group(row.notification.recipient_id), _ws_payload(row)) for row in rows]
    )
    return {row.pk: error for row, error in zip(rows, errors, strict=True)}


def _senders() -> dict:
    from notifications import email, web_push

    return {
        Channel.WS: send_ws,
        Channel.PUSH: web_push.send_web_push,
        Channel.EMAIL: email.send_email,
    }


def deliver(delivery_id: int) -> str:
    """Claim and send one delivery. Returns the new state ("busy" when not claimed).

    Raises ``TransientError`` after putting the delivery back to pending, so that the
    caller (a Celery task) retries it with backoff.
    """
    delivery = claim(delivery_id)
    if delivery is None:
        return "busy"
    with outbox.held([delivery], lease=lease()):
        outcome = _outcome(delivery, _senders()[delivery.channel])
        _record({delivery.pk: outcome}, delivery.claim_token)
    if outcome.state == Delivery.State.PENDING:
        raise TransientError(outcome.error)
    return outcome.state


def enqueue(delivery: Delivery) -> None:
    """Start a delivery: the page right away, push and e-mail through Celery. A failure
    to start leaves it pending for the sweep."""
    if delivery.channel != Channel.WS:
        start_task("notifications.deliver", delivery.pk)
        return
    try:
        deliver(delivery.pk)
    except Exception as exc:
        log.warning("delivery %s not started (the sweep will): %s", delivery.pk, exc)


def _outcome(delivery: Delivery, send: Callable[[Delivery], object]) -> Outcome:
    try:
        result = send(delivery)
    except PermanentError as exc:
        log.warning("delivery %s failed for good: %s", delivery.pk, exc)
        return Outcome(Delivery.State.FAILED, str(exc))
    except Exception as exc:
        outcome = outbox.outcome_after_failure(
            delivery,
            f"{type(exc).__name__}: {exc}",
            wait=RETRY_DUE_AFTER,
            max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
        )
        if outcome.state == Delivery.State.FAILED:
            log.warning(
                "delivery %s gave up after %s attempts: %s", delivery.pk, delivery.attempts, exc
            )
        return outcome
    return Outcome(Delivery.State.SKIPPED if result == SKIPPED else Delivery.State.SENT)


def fan_out(
    notification_ids: Iterable[int], delivery_ids: Iterable[int] | None = None
) -> dict[int, str]:
    """Claim and send every pending delivery of these notifications (or, with
    ``delivery_ids``, those deliveries: the sweep's and an operator's retry): the claim,
    the recipients and their push devices read once, one UPDATE for the outcomes of the
    pages and pushes, and one per e-mail right after the server accepted it. Returns
    ``{delivery_id: new state}``; those that failed for now are pending again (the caller
    retries them, or the sweep does)."""
    wanted = Delivery.objects.select_related("notification__recipient")
    if delivery_ids is not None:
        wanted = wanted.filter(pk__in=list(delivery_ids))
    else:
        wanted = wanted.filter(notification_id__in=list(notification_ids))
    rows = outbox.claim_many(wanted, lease=lease())
    if not rows:
        return {}
    token = rows[0].claim_token
    with outbox.held(rows, lease=lease()) as held:
        senders = _batch_senders(rows)
        others = [row for row in rows if row.channel != Channel.EMAIL]
        outcomes = {row.pk: _outcome(row, senders[row.channel]) for row in others}
        if outcomes:
            _record(outcomes, token)
        held.release(others)
        for row in rows:
            if row.channel == Channel.EMAIL:
                outcomes[row.pk] = _outcome(row, senders[Channel.EMAIL])
                # Committed before the next one is sent: a worker killed from here on
                # sends none of those again, and killed before, this one only.
                _record({row.pk: outcomes[row.pk]}, token)
                held.release([row])
    return {pk: outcome.state for pk, outcome in outcomes.items()}


def _batch_senders(rows: list[Delivery]) -> dict[str, Callable[[Delivery], object]]:
    """The senders of a batch: its pages sent side by side now (each one's sender says
    how that went), its pushes with their devices read at once."""
    from notifications import web_push

    senders = _senders()
    pages = _send_ws_many([row for row in rows if row.channel == Channel.WS])

    def sent_page(row: Delivery) -> None:
        error = pages[row.pk]
        if error is not None:
            raise error

    senders[Channel.WS] = sent_page
    pushed = [row for row in rows if row.channel == Channel.PUSH]
    if pushed and web_push.push_configured():
        web_push.prefetch_subscriptions(row.notification.recipient for row in pushed)
    return senders


def dispatch(notification_ids: Iterable[int]) -> None:
    """After the change committed: one task delivers these notifications on every
    channel (in this process when tasks run eagerly). A failure to queue it leaves the
    deliveries pending for the sweep."""
    ids = list(notification_ids)
    if ids:
        start_task("notifications.fan_out", ids)


def dispatch_deliveries(delivery_ids: Iterable[int]) -> None:
    """Start these deliveries, of any notifications and channels, in one task (the same
    fan-out as a change's). A failure to queue it leaves them for the sweep."""
    ids = sorted(delivery_ids)
    if ids:
        start_task("notifications.fan_out", [], ids)


def sweep(*, older_than: timedelta | None = None) -> int:
    """Re-queue deliveries due for ``older_than`` (``SWEEP_GRACE`` unless given) and those
    a dead process left in "sending" past their lease, at most
    ``NOTIFICATION_SWEEP_BATCH``, in one task. Returns how many were re-queued."""
    grace = SWEEP_GRACE if older_than is None else older_than
    due = outbox.due(Delivery.objects.all(), grace=grace).order_by("pk")
    ids = list(due.values_list("pk", flat=True)[: settings.NOTIFICATION_SWEEP_BATCH])
    dispatch_deliveries(ids)
    return len(ids)
