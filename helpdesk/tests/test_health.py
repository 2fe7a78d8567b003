import socket
import threading
import time

import pytest
from channels.layers import channel_layers
from django.urls import reverse

from helpdesk import health
from helpdesk.celery import app as celery_app
from helpdesk.testing import redis_channel_layers

pytestmark = pytest.mark.django_db


def test_all_up_answers_200(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert set(body["checks"]) == {"database", "cache", "channel_layer"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_failing_check_answers_503_naming_it(client, monkeypatch):
    def broken_cache():
        raise ConnectionError("cache went away")

    monkeypatch.setattr(health, "check_cache", broken_cache)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"] == {"status": "down", "error": "ConnectionError"}
    assert body["checks"]["database"]["status"] == "up"


def test_unreachable_broker_is_reported(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a hung service)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_a_hung_broker_is_down_by_the_deadline(settings, silent_server):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{silent_server}/0"
    started = time.monotonic()
    try:
        healthy, body = health.run_health_checks(deadline=1.0)
    finally:
        celery_app.conf.broker_url = previous
    assert time.monotonic() - started < 2.5
    assert not healthy
    assert body["checks"]["broker"] == {"status": "down", "error": "timeout"}
    assert body["checks"]["database"]["status"] == "up"


def test_only_get(client):
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.redis
def test_health_on_real_redis(client, settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "helpdesk-test",
        }
    }
    settings.CHANNEL_LAYERS = redis_channel_layers(redis_url, "helpdesk-test")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = redis_url
    channel_layers.backends.clear()
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_url = previous
        channel_layers.backends.clear()
    assert response.status_code == 200, response.json()
    assert set(response.json()["checks"]) == {"database", "cache", "channel_layer", "broker"}
