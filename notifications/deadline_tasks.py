"""Celery task of the deadline reminders (``notifications.deadlines``): thin, safe to
re-run, and never two at once."""

from celery import shared_task
from django.core.cache import cache

from notifications.deadlines import remind_deadlines

LOCK = "notifications:remind-deadlines"
LOCK_SECONDS = 15 * 60


@shared_task(name="notifications.remind_deadlines", ignore_result=True)
def remind_deadlines_task() -> int:
    # Once-keys already keep reminders single; the lock spares a second run the work.
    if not cache.add(LOCK, 1, LOCK_SECONDS):
        return 0
    try:
        return remind_deadlines()
    finally:
        cache.delete(LOCK)
