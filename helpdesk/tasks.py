"""Project-level tasks that belong to no app."""

import socket

from celery import shared_task
from django.db import connection


@shared_task(name="helpdesk.ping")
def ping() -> dict:
    """Answer from the worker, proving broker, worker, database and result backend work."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (database_ok,) = cursor.fetchone()
    return {"pong": True, "worker": socket.gethostname(), "database": database_ok == 1}
