"""The periodic service-level check (declared in ``CELERY_BEAT_SCHEDULE["sla-check"]``)."""

from celery import shared_task

from sla.services import sla_check


@shared_task(name="sla.check", ignore_result=True)
def sla_check_task() -> int:
    # Each announcement is claimed by a unique row: two runs at once tell once.
    return sla_check()
