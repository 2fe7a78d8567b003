"""Celery tasks of the notifications, thin adapters of the services: a change's
deliveries (one task for all its recipients, and for a sweep's or a retry's batch), one
delivery, the sweep, the deadline
reminders."""

from celery import Task, shared_task
from django.core.cache import cache

from helpdesk.outbox import TransientError
from notifications import delivery
from notifications.deadlines import remind_deadlines
from notifications.models import Delivery


@shared_task(
    name="notifications.deliver",
    bind=True,
    max_retries=None,
    acks_late=True,
    ignore_result=True,
)
def deliver_task(self: Task, delivery_id: int) -> str:
    try:
        return delivery.deliver(delivery_id)
    except TransientError as exc:
        # The delivery counts its attempts and is due again after the same wait.
        countdown = delivery.backoff(self.request.retries + 1).total_seconds()
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(
    name="notifications.fan_out",
    bind=True,
    max_retries=None,
    acks_late=True,
    ignore_result=True,
)
def fan_out_task(
    self: Task, notification_ids: list[int], delivery_ids: list[int] | None = None
) -> int:
    states = delivery.fan_out(notification_ids, delivery_ids)
    retried = [pk for pk, state in states.items() if state == Delivery.State.PENDING]
    if retried and not self.request.is_eager:
        # Those failed for now and count their attempts; the next run takes only them.
        # Run eagerly (no broker) it would retry at once: the sweep takes them instead.
        countdown = delivery.backoff(self.request.retries + 1).total_seconds()
        raise self.retry(countdown=countdown)
    return len(states)


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep_task() -> int:
    return delivery.sweep()


# Deadline reminders (notifications.deadlines): thin, safe to re-run, never two at once.
DEADLINES_LOCK = "notifications:remind-deadlines"
DEADLINES_LOCK_SECONDS = 15 * 60


@shared_task(name="notifications.remind_deadlines", ignore_result=True)
def remind_deadlines_task() -> int:
    # Once-keys already keep reminders single; the lock spares a second run the work.
    if not cache.add(DEADLINES_LOCK, 1, DEADLINES_LOCK_SECONDS):
        return 0
    try:
        return remind_deadlines()
    finally:
        cache.delete(DEADLINES_LOCK)
