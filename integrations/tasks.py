"""Celery tasks of the integrations; their schedules are declared in settings
(``CELERY_BEAT_SCHEDULE``) and created once in the admin's periodic tasks
(integrations/schedule.py)."""

from celery import Task, shared_task

from helpdesk.outbox import TransientError
from integrations.erp.sync import sync_directory
from integrations.mail.fetch import fetch_mail
from integrations.redmine import pull, push


@shared_task(name="integrations.erp_directory_sync", ignore_result=True)
def erp_directory_sync(full: bool = False) -> dict:
    run = sync_directory(full=full, trigger="schedule")
    return {"run": run.pk, "outcome": run.outcome}


@shared_task(name="integrations.redmine_pull", ignore_result=True)
def redmine_pull(full: bool = False) -> dict:
    run = pull.pull(full=full, trigger="schedule")
    return {"run": run.pk, "outcome": run.outcome}


@shared_task(name="integrations.redmine_push", bind=True, max_retries=None, ignore_result=True)
def redmine_push(self: Task, push_id: int) -> str:
    try:
        return push.send_push(push_id)
    except TransientError as exc:
        if self.request.is_eager:
            return "pending"  # no worker to wait: the pull job's sweep sends it
        # 30 s, 1 min, 2 min ... at most an hour; the row counts its attempts.
        countdown = push.backoff(self.request.retries + 1).total_seconds()
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="integrations.redmine_push_sweep", ignore_result=True)
def redmine_push_sweep() -> int:
    return push.send_due()


@shared_task(name="integrations.mail_fetch", ignore_result=True)
def mail_fetch(mailbox_id: int | None = None, trigger: str = "schedule") -> dict:
    from integrations.models import Mailbox

    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id else None
    run = fetch_mail(mailbox=mailbox, trigger=trigger)
    return {"run": run.pk, "outcome": run.outcome}
