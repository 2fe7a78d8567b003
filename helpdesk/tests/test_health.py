import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from channels.layers import channel_layers
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from helpdesk import health
from helpdesk.celery import app as celery_app
from helpdesk.testing import free_port, redis_channel_layers

pytestmark = pytest.mark.django_db


def test_all_up_answers_200(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert set(body["checks"]) == {"database", "cache", "channel_layer"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_failing_service_answers_200_degraded_naming_it(client, monkeypatch):
    def broken_cache():
        raise ConnectionError("cache went away")

    monkeypatch.setattr(health, "check_cache", broken_cache)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, "the pages still work: no reason to drop the host"
    body = response.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"] == {"status": "down", "error": "ConnectionError"}
    assert body["checks"]["database"]["status"] == "up"


def test_only_a_database_down_answers_503(client, monkeypatch):
    def broken_database():
        raise ConnectionError("database went away")

    monkeypatch.setattr(health, "check_database", broken_database)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["down"] == ["database"]


def test_unreachable_broker_is_reported(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(health, "check_worker", lambda: None)
    monkeypatch.setattr(health, "check_beat", lambda: None)
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_url = previous
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
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
            "BACKEND": "helpdesk.cache.TolerantRedisCache",
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
    checks = response.json()["checks"]
    assert set(checks) == {"database", "cache", "channel_layer", "broker", "worker", "beat"}
    for name in ("database", "cache", "channel_layer", "broker"):
        assert checks[name]["status"] == "up", checks


def test_a_dead_redis_is_reported_although_the_cache_still_answers(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens
        }
    }
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["down"] == ["cache"]


# --- Static files -----------------------------------------------------------------------


@pytest.fixture
def manifest_storage(settings, tmp_path):
    """Production's kind of static files storage, on an empty STATIC_ROOT."""
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    return tmp_path


def write_manifest(root, paths: dict) -> None:
    (root / "staticfiles.json").write_text(json.dumps({"version": "1.1", "paths": paths}))


def test_static_files_are_checked_only_with_a_manifest(client):
    assert "static" not in client.get(reverse("healthz")).json()["checks"]


def test_no_collectstatic_is_reported(client, manifest_storage):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["down"] == ["static"]
    assert "run collectstatic" in body["checks"]["static"]["error"]


def test_a_manifest_without_the_pages_stylesheet_is_reported(manifest_storage, settings):
    write_manifest(manifest_storage, {"js/other.js": "js/other.1234.js"})
    with pytest.raises(health.CheckFailed, match=r"css/app\.css"):
        health.check_static()


def test_a_manifest_with_the_pages_stylesheet_is_up(client, manifest_storage):
    write_manifest(manifest_storage, {"css/app.css": "css/app.0123abcd.css"})
    body = client.get(reverse("healthz")).json()
    assert body["status"] == "ok" and body["checks"]["static"]["status"] == "up"


# --- Worker and beat ---------------------------------------------------------------------


def test_worker_and_beat_are_checked_only_with_a_broker(settings):
    assert {"worker", "beat"}.isdisjoint(health.health_checks())
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert {"worker", "beat"} <= set(health.health_checks())


@pytest.fixture
def delivery_due(requester):
    from notifications.models import Channel, Delivery, Notification

    def due(seconds_ago: int, **fields) -> Delivery:
        note = Notification.objects.create(recipient=requester, event="assigned", params={})
        return Delivery.objects.create(
            notification=note,
            channel=Channel.EMAIL,
            next_attempt_at=timezone.now() - timedelta(seconds=seconds_ago),
            **fields,
        )

    return due


def test_deliveries_due_within_the_lag_mean_a_worker_works(settings, delivery_due):
    settings.HEALTHZ_WORKER_LAG_SECONDS = 120
    delivery_due(60)
    delivery_due(600, state="sent")
    health.check_worker()


def test_a_delivery_due_past_the_lag_means_no_worker_works(settings, delivery_due):
    settings.HEALTHZ_WORKER_LAG_SECONDS = 120
    delivery_due(180)
    with pytest.raises(health.CheckFailed, match="no worker"):
        health.check_worker()


def test_a_claim_expired_past_the_lag_means_no_worker_works(settings, delivery_due):
    settings.HEALTHZ_WORKER_LAG_SECONDS = 120
    expired = timezone.now() - timedelta(seconds=60)
    delivery_due(0, state="sending", claimed_until=expired)
    health.check_worker()
    settings.HEALTHZ_WORKER_LAG_SECONDS = 30
    with pytest.raises(health.CheckFailed):
        health.check_worker()


def sweep_last_run(seconds_ago: int | None, created_ago: int = 3600) -> None:
    last = None if seconds_ago is None else timezone.now() - timedelta(seconds=seconds_ago)
    PeriodicTask.objects.filter(name="notifications-sweep").update(
        last_run_at=last, date_changed=timezone.now() - timedelta(seconds=created_ago)
    )


def test_beat_that_ran_the_sweep_lately_is_up(settings):
    settings.HEALTHZ_BEAT_LAG_SECONDS = 180
    sweep_last_run(90)
    health.check_beat()


@pytest.mark.parametrize("seconds_ago", [200, None])
def test_beat_that_did_not_run_the_sweep_lately_is_down(settings, seconds_ago):
    settings.HEALTHZ_BEAT_LAG_SECONDS = 180
    sweep_last_run(seconds_ago)
    with pytest.raises(health.CheckFailed, match="beat has not run"):
        health.check_beat()


def test_a_sweep_that_has_not_run_yet_is_timed_from_its_creation(settings):
    """A stack that has just started (beat has not saved a run yet) is not down."""
    settings.HEALTHZ_BEAT_LAG_SECONDS = 180
    sweep_last_run(None, created_ago=20)
    health.check_beat()


def test_a_paused_sweep_is_reported():
    PeriodicTask.objects.filter(name="notifications-sweep").update(enabled=False)
    with pytest.raises(health.CheckFailed, match="paused"):
        health.check_beat()


@pytest.mark.django_db(transaction=True)
def test_no_worker_and_no_beat_answer_200_degraded(client, settings, monkeypatch, delivery_due):
    from integrations.schedule import ensure_periodic_tasks

    ensure_periodic_tasks()  # a transactional test starts from an empty database
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(health, "check_broker", lambda: None)
    delivery_due(3600)
    sweep_last_run(3600)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["worker", "beat"]
