"""Delivering notifications: nothing lost, nothing twice.

Each (notification, channel) has one ``Delivery`` row. A sender first *claims* it with a
conditional UPDATE (pending, or sending with an expired lease) and only then sends, so a
retry, a second worker or the sweep never sends it twice. Transient failures go back to
pending and are retried with backoff; permanent ones are recorded as failed. The sweep
re-queues what is still pending (Redis, the broker or SMTP was down) and what a dead
worker left half done.

Channels register a sender: ``SENDERS[channel](delivery)`` sends or raises
``TransientError`` / ``PermanentError``, or returns ``SKIPPED`` (nothing to send to, e.g.
no push subscription).
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from helpdesk.outbox import SKIPPED, PermanentError, TransientError, start_task
from notifications import live
from notifications.models import Channel, Delivery
from notifications.text import as_message

log = logging.getLogger(__name__)

__all__ = ["SKIPPED", "PermanentError", "TransientError", "deliver", "dispatch", "sweep"]


def lease() -> timedelta:
    """How long a claim holds before the sweep may hand the delivery to someone else."""
    return timedelta(seconds=settings.NOTIFICATION_DELIVERY_LEASE)


def claim(delivery_id: int) -> Delivery | None:
    """Take the delivery for sending, or None when it is done or someone else has it."""
    now = timezone.now()
    takeable = Q(state=Delivery.State.PENDING) | Q(
        state=Delivery.State.SENDING, claimed_at__lt=now - lease()
    )
    taken = Delivery.objects.filter(takeable, pk=delivery_id).update(
        state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)


def _finish(delivery: Delivery, state: str, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(
        state=state,
        last_error=error[:2000],
        delivered_at=timezone.now() if state == Delivery.State.SENT else None,
    )


def send_ws(delivery: Delivery) -> None:
    notification = delivery.notification
    live.to_user(
        notification.recipient_id,
        {
            "type": "notification",
            "notification": as_message(notification),
            "sound": notification.recipient.sound_enabled,
        },
    )


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
    try:
        result = _senders()[delivery.channel](delivery)
    except PermanentError as exc:
        log.warning("delivery %s failed for good: %s", delivery_id, exc)
        _finish(delivery, Delivery.State.FAILED, str(exc))
        return Delivery.State.FAILED
    except Exception as exc:
        if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            log.warning(
                "delivery %s gave up after %s attempts: %s", delivery_id, delivery.attempts, exc
            )
            _finish(delivery, Delivery.State.FAILED, f"{type(exc).__name__}: {exc}")
            return Delivery.State.FAILED
        _finish(delivery, Delivery.State.PENDING, f"{type(exc).__name__}: {exc}")
        raise TransientError(str(exc)) from exc
    state = Delivery.State.SKIPPED if result == SKIPPED else Delivery.State.SENT
    _finish(delivery, state)
    return state


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


def dispatch(notification_ids: Iterable[int]) -> None:
    """After the change committed: start every delivery of these notifications."""
    for delivery in Delivery.objects.filter(
        notification_id__in=list(notification_ids), state=Delivery.State.PENDING
    ).order_by("pk"):
        enqueue(delivery)


def sweep(*, older_than: timedelta | None = None) -> int:
    """Re-queue deliveries still pending after ``older_than`` and those a dead process
    left in "sending" past their lease. Returns how many were re-queued."""
    now = timezone.now()
    older_than = older_than if older_than is not None else timedelta(seconds=30)
    stuck = Delivery.objects.filter(
        Q(state=Delivery.State.PENDING, created_at__lt=now - older_than)
        | Q(state=Delivery.State.SENDING, claimed_at__lt=now - lease())
    ).order_by("pk")[: settings.NOTIFICATION_SWEEP_BATCH]
    count = 0
    for delivery in stuck:
        enqueue(delivery)
        count += 1
    return count
