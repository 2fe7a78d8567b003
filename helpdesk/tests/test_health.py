import pytest
from channels.layers import channel_layers
from django.urls import reverse

from helpdesk import health
from helpdesk.celery import app as celery_app

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
    assert body["checks"]["cache"] == {
        "status": "down",
        "error": "ConnectionError",
        "ms": body["checks"]["cache"]["ms"],
    }
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
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "helpdesk-test"},
        }
    }
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
