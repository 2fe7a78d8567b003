"""The periodic jobs declared in ``CELERY_BEAT_SCHEDULE`` become django-celery-beat rows
once; from then on the admin owns them.

They are created when missing, on every ``migrate`` (so they show in the admin before
beat first starts) and when beat starts, and never overwritten: an interval or a pause
an operator sets under "Periodic tasks" stays. (django-celery-beat's own scheduler
writes the code's values over the rows at every start.)
"""

from typing import Any

from celery import Celery, schedules
from django.conf import settings
from django.db import IntegrityError, transaction
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


def ensure_periodic_tasks(
    schedule: dict[str, Any] | None = None, *, app: Celery | None = None
) -> list[str]:
    """Create the declared jobs that have no row yet; returns their names."""
    from django_celery_beat.models import PeriodicTask

    if app is None:
        from helpdesk.celery import app
    declared = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
    existing = set(
        PeriodicTask.objects.filter(name__in=list(declared)).values_list("name", flat=True)
    )
    created = []
    for name, entry in declared.items():
        if name in existing:
            continue
        try:
            with transaction.atomic():
                ModelEntry.from_entry(name, app=app, **entry)
        except IntegrityError:
            continue  # another process (beat, a second migrate) created it meanwhile
        created.append(name)
    return created


def register_schedules(**kwargs: Any) -> None:
    """``post_migrate`` receiver."""
    ensure_periodic_tasks()


class Scheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler, except that at start it only creates the
    jobs that are missing (``CELERY_BEAT_SCHEDULER`` names it)."""

    # Save the jobs' last runs every half minute, not every three: ``/healthz`` reads
    # them to tell whether beat is alive (helpdesk/health.py).
    sync_every = 30

    def setup_schedule(self) -> None:
        declared = dict(self.app.conf.beat_schedule)
        if self.app.conf.result_expires:
            declared.setdefault(
                "celery.backend_cleanup",
                {
                    "task": "celery.backend_cleanup",
                    "schedule": schedules.crontab("0", "4", "*"),
                    "options": {"expire_seconds": 12 * 3600},
                },
            )
        ensure_periodic_tasks(declared, app=self.app)
