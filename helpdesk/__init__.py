from django.db.backends.signals import connection_created

from .celery import app as celery_app
from .sqlite import use_real_variable_limit

connection_created.connect(use_real_variable_limit, dispatch_uid="helpdesk-sqlite-limit")

__all__ = ("celery_app",)
