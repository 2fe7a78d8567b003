"""The project's wiring: Celery app, beat scheduler, ASGI router, logging format."""

import json
import logging

from channels.routing import ProtocolTypeRouter

from helpdesk.asgi import application
from helpdesk.celery import app as celery_app
from helpdesk.logging import JsonFormatter
from helpdesk.tasks import ping


def test_celery_reads_django_settings_and_uses_the_database_scheduler():
    assert celery_app.main == "helpdesk"
    assert celery_app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert celery_app.conf.task_time_limit == 300
    assert "helpdesk.ping" in celery_app.tasks


def test_eager_task_in_the_embedded_mode(db):
    # No broker configured: tasks run inside the calling process.
    assert celery_app.conf.task_always_eager
    assert ping.delay().get(timeout=5)["pong"] is True


def test_asgi_routes_http_and_websocket():
    assert isinstance(application, ProtocolTypeRouter)
    assert set(application.application_mapping) == {"http", "websocket"}


def test_json_log_lines_keep_cyrillic_readable():
    record = logging.LogRecord(
        "helpdesk", logging.WARNING, __file__, 1, "Заявка %s", ("HD-1",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Заявка HD-1"
    assert line["level"] == "WARNING"
    assert "Заявка" in JsonFormatter().format(record)
