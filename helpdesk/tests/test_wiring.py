"""The project's wiring: Celery app, beat scheduler, ASGI router, channel layer, logging
format."""

import json
import logging

import pytest
from channels.routing import ProtocolTypeRouter
from django.utils.module_loading import import_string

from helpdesk.asgi import application
from helpdesk.celery import app as celery_app
from helpdesk.logging import JsonFormatter
from helpdesk.tasks import ping
from helpdesk.tests.test_settings import load_settings


def test_celery_reads_django_settings_and_uses_the_database_scheduler():
    assert celery_app.main == "helpdesk"
    assert celery_app.conf.beat_scheduler == "integrations.schedule:Scheduler"
    assert celery_app.conf.task_time_limit == 300
    assert "helpdesk.ping" in celery_app.tasks


def test_eager_task_in_the_embedded_mode(db):
    # No broker configured: tasks run inside the calling process.
    assert celery_app.conf.task_always_eager
    assert ping.delay().get(timeout=5)["pong"] is True


def test_asgi_routes_http_and_websocket():
    assert isinstance(application, ProtocolTypeRouter)
    assert set(application.application_mapping) == {"http", "websocket"}


def test_the_channel_layer_waits_longer_than_its_blocking_receive(monkeypatch):
    """Each WebSocket waits for its messages with a blocking BZPOPMIN of ``brpop_timeout``
    (5 s). The layer's connections must wait longer for the answer, with room for a busy
    machine, or every socket idle for 5 s fails ("Timeout reading from ..."): redis-py 8
    reads with a timeout of 5 s unless told otherwise."""
    values = load_settings("base", monkeypatch, REDIS_URL="redis://127.0.0.1:6379/3")
    config = values["CHANNEL_LAYERS"]["default"]
    layer = import_string(config["BACKEND"])(**config["CONFIG"])
    for index in range(layer.ring_size):
        pool = layer.create_pool(index)
        read_timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout
        assert read_timeout is None or read_timeout >= layer.brpop_timeout + 2


def test_json_log_lines_keep_cyrillic_readable():
    record = logging.LogRecord(
        "helpdesk", logging.WARNING, __file__, 1, "Заявка %s", ("HD-1",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Заявка HD-1"
    assert line["level"] == "WARNING"
    assert "Заявка" in JsonFormatter().format(record)


def test_live_messages_in_the_tests_go_through_json():
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.utils import timezone

    layer = get_channel_layer()
    with pytest.raises(TypeError, match="not JSON serializable"):
        async_to_sync(layer.group_send)("g", {"type": "live.event", "at": timezone.now()})
