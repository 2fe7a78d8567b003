"""Write the periodic jobs declared in ``CELERY_BEAT_SCHEDULE`` to django-celery-beat's
tables, so they show in the admin before beat first starts."""

from django.conf import settings


def register_schedules(**kwargs) -> None:
    from django_celery_beat.schedulers import ModelEntry

    from helpdesk.celery import app

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=app, **entry)
