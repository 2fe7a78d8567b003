"""What the outboxes share: notification deliveries (``notifications.delivery``) and
Redmine pushes (``integrations.redmine.push``) each keep a row per thing to send, claim it
before sending and retry it with backoff. Their senders speak one error vocabulary, and
their rows are started by task name, so that an app's tasks import its services and
never the reverse.
"""

import logging
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

# A sender's answer when there was nothing to send (no address, no device).
SKIPPED = "skipped"


class TransientError(Exception):
    """Worth retrying: the service is down, timed out or asked us to slow down."""


class PermanentError(Exception):
    """Retrying cannot help: the address is gone, the change was refused."""


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
