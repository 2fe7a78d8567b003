"""Periodic jobs: declared in code, created once, owned by the admin afterwards."""

import datetime as dt

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from helpdesk.celery import app as celery_app
from integrations.schedule import Scheduler, ensure_periodic_tasks

pytestmark = pytest.mark.django_db(transaction=True)

JOB = "redmine-pull"


@pytest.fixture
def declared(settings):
    schedule = {JOB: {"task": "integrations.redmine_pull", "schedule": dt.timedelta(minutes=5)}}
    settings.CELERY_BEAT_SCHEDULE = schedule
    celery_app.conf.beat_schedule = schedule
    yield schedule
    celery_app.conf.beat_schedule = {}


def _edited_by_the_operator() -> PeriodicTask:
    task = PeriodicTask.objects.get(name=JOB)
    task.interval = IntervalSchedule.objects.create(every=30, period=IntervalSchedule.MINUTES)
    task.enabled = False
    task.save()
    return task


def _interval(task: PeriodicTask) -> tuple:
    task.refresh_from_db()
    return task.interval.every, task.interval.period, task.enabled


def test_migrate_creates_the_declared_jobs_and_keeps_the_operators_edits(declared):
    call_command("migrate", verbosity=0)
    task = PeriodicTask.objects.get(name=JOB)
    assert (task.interval.every, task.interval.period) == (300, "seconds")

    task = _edited_by_the_operator()
    call_command("migrate", verbosity=0)

    assert _interval(task) == (30, "minutes", False)


def test_a_beat_start_keeps_the_operators_edits(declared):
    ensure_periodic_tasks()
    task = _edited_by_the_operator()

    Scheduler(app=celery_app)  # what `celery beat` does when it starts

    assert _interval(task) == (30, "minutes", False)
    assert PeriodicTask.objects.filter(name="celery.backend_cleanup").exists()


def test_django_celery_beats_own_scheduler_would_undo_them(declared):
    """Why ours exists: the stock scheduler writes the code's values back at start."""
    ensure_periodic_tasks()
    task = _edited_by_the_operator()
    DatabaseScheduler(app=celery_app)
    assert _interval(task)[:2] == (300, "seconds")


def test_a_job_deleted_in_the_admin_comes_back_at_the_next_start(declared):
    ensure_periodic_tasks()
    PeriodicTask.objects.filter(name=JOB).delete()
    Scheduler(app=celery_app)
    assert PeriodicTask.objects.filter(name=JOB, enabled=True).exists()
