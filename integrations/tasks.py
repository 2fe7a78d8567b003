"""Celery tasks of the integrations; their schedules are declared in settings
(``CELERY_BEAT_SCHEDULE``) and created once in the admin's periodic tasks
(integrations/schedule.py)."""

from celery import shared_task

from integrations.erp.sync import sync_directory


@shared_task(name="integrations.erp_directory_sync", ignore_result=True)
def erp_directory_sync(full: bool = False) -> dict:
    run = sync_directory(full=full, trigger="schedule")
    return {"run": run.pk, "outcome": run.outcome}


@shared_task(name="integrations.redmine_pull", ignore_result=True)
def redmine_pull(full: bool = False) -> dict:
    from integrations.redmine.pull import pull

    run = pull(full=full, trigger="schedule")
    return {"run": run.pk, "outcome": run.outcome}


@shared_task(name="integrations.redmine_push", bind=True, max_retries=None, ignore_result=True)
def redmine_push(self, push_id: int) -> str:
    from integrations.redmine import push

    try:
        return push.send(push_id)
    except push.TransientError as exc:
        if self.request.is_eager:
            return "pending"  # no worker to wait: the pull job's sweep sends it
        # 30 s, 1 min, 2 min ... at most an hour; the row counts its attempts.
        countdown = min(30 * 2**self.request.retries, 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="integrations.redmine_push_sweep", ignore_result=True)
def redmine_push_sweep() -> int:
    from integrations.redmine.push import send_due

    return send_due()
