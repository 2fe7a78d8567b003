"""Celery tasks of the notifications: one delivery, the sweep, the deadline reminders."""

from celery import shared_task

from helpdesk.outbox import TransientError, backoff
from notifications import delivery


@shared_task(
    name="notifications.deliver",
    bind=True,
    max_retries=None,
    acks_late=True,
    ignore_result=True,
)
def deliver_task(self, delivery_id: int) -> str:
    try:
        return delivery.deliver(delivery_id)
    except TransientError as exc:
        # 10 s, 20 s, 40 s ... at most 10 minutes; the delivery counts its attempts.
        countdown = backoff(self.request.retries + 1, first=10, cap=600).total_seconds()
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep_task() -> int:
    return delivery.sweep()


# Celery discovers tasks.py only: the deadline reminders live in their own module.
from notifications.deadline_tasks import remind_deadlines_task  # noqa: E402, F401
