"""The Celery app: configuration from Django settings (``CELERY_*``) and task discovery."""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.base")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """The worker and beat log as the web processes do (``LOGGING``: LOG_FORMAT,
    LOG_LEVEL, the time zone), instead of Celery replacing the root handler."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)  # warnings included
