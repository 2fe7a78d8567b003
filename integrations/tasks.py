"""Celery tasks of the integrations; their schedules are declared in settings
(``CELERY_BEAT_SCHEDULE``) and written to the admin's periodic tasks on migrate."""

from celery import shared_task

from integrations.erp.sync import sync_directory


@shared_task(name="integrations.erp_directory_sync", ignore_result=True)
def erp_directory_sync(full: bool = False) -> dict:
    run = sync_directory(full=full, trigger="schedule")
    return {"run": run.pk, "outcome": run.outcome}
