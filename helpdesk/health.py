"""``GET /healthz``: the state of every backing service, for load balancers and operators.

``ok`` (200) when everything answers; ``degraded`` (200, ``down`` names what is away)
when the site still serves pages but something behind it is away or stale: the cache,
the channel layer, the broker, the static files' manifest, the workers or beat; ``down``
(503) only when the database is away, the one thing nothing works without.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.cache import caches
from django.db import connection, connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpdesk import outbox
from helpdesk.cache import TolerantRedisCache
from helpdesk.celery import app as celery_app

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0


class CheckFailed(Exception):
    """A check's own finding (not a service's error): its message is shown in the answer."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    """A round trip through the cache; through Redis itself when the cache would answer
    from its per-process fallback while Redis is away."""
    key = f"healthz:{uuid.uuid4().hex}"
    cache = caches["default"]
    if isinstance(cache, TolerantRedisCache):
        cache.redis_round_trip(key)
        return
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("value written to the cache could not be read back")
    finally:
        cache.delete(key)


async def _channel_layer_round_trip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("unexpected message from the channel layer")


def check_channel_layer() -> None:
    async def bounded() -> None:
        await asyncio.wait_for(_channel_layer_round_trip(), timeout=CHECK_TIMEOUT)

    async_to_sync(bounded)()


def check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)


def check_static() -> None:
    """The manifest ``collectstatic`` writes is there, and this process found in it a file
    every page uses (a process started before ``collectstatic`` answers every page 500
    "Missing staticfiles manifest entry" until it is restarted)."""
    storage = staticfiles_storage
    assert isinstance(storage, ManifestFilesMixin)  # noqa: S101 (health_checks checks it)
    if storage.read_manifest() is None:
        raise CheckFailed(f"no {storage.manifest_name}: run collectstatic")
    entry = settings.HEALTHZ_STATIC_ENTRY
    try:
        storage.stored_name(entry)
    except ValueError:
        raise CheckFailed(
            f"{entry} is not in this process's static manifest: run collectstatic, then "
            "restart the server"
        ) from None


def check_worker() -> None:
    """No row of the outboxes in ``HEALTHZ_WORKER_OUTBOXES`` has been due for longer than
    ``HEALTHZ_WORKER_LAG_SECONDS``: some worker takes the work. One query per outbox."""
    lag = settings.HEALTHZ_WORKER_LAG_SECONDS
    since = timezone.now() - timedelta(seconds=lag)
    late = []
    for label in settings.HEALTHZ_WORKER_OUTBOXES:
        model = apps.get_model(label)
        if outbox.due(model._default_manager.all(), now=since).exists():
            late.append(str(model._meta.verbose_name_plural))
    if late:
        raise CheckFailed(f"{', '.join(late)} due for more than {lag} s: no worker is working")


def check_beat() -> None:
    """Beat ran the every-minute notifications sweep within ``HEALTHZ_BEAT_LAG_SECONDS``
    (its ``last_run_at``, which beat saves every half minute: integrations/schedule.py)."""
    from django_celery_beat.models import PeriodicTask

    name = settings.HEALTHZ_BEAT_TASK
    task = (
        PeriodicTask.objects.filter(name=name)
        .values("enabled", "last_run_at", "date_changed")
        .first()
    )
    if task is None:
        raise CheckFailed(f"no periodic task {name!r}: run migrate")
    if not task["enabled"]:
        raise CheckFailed(f"the periodic task {name!r} is paused")
    lag = settings.HEALTHZ_BEAT_LAG_SECONDS
    # A job that has not run yet is timed from its creation (or last change): a stack
    # that has just started is not down, one whose beat never started is.
    last = task["last_run_at"] or task["date_changed"]
    if timezone.now() - last > timedelta(seconds=lag):
        raise CheckFailed(f"beat has not run {name!r} for more than {lag} s")


def health_checks() -> dict[str, Callable[[], None]]:
    checks = {
        "database": check_database,
        "cache": check_cache,
        "channel_layer": check_channel_layer,
    }
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        checks["static"] = check_static
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = check_broker
        checks["worker"] = check_worker
        checks["beat"] = check_beat
    return checks


def _timed(check: Callable[[], None]) -> float:
    started = time.perf_counter()
    try:
        check()
    finally:
        # Checks run on short-lived threads: do not leave their connections open.
        connections.close_all()
    return round((time.perf_counter() - started) * 1000, 1)


def run_health_checks(deadline: float = CHECK_TIMEOUT + 1) -> tuple[bool, dict]:
    """Run every check in parallel; one that has not answered by the deadline is down."""
    checks = health_checks()
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    futures = {name: executor.submit(_timed, check) for name, check in checks.items()}
    ends_at = time.monotonic() + deadline
    results: dict[str, dict] = {}
    for name, future in futures.items():
        try:
            results[name] = {
                "status": "up",
                "ms": future.result(max(0, ends_at - time.monotonic())),
            }
        except FutureTimeout:
            logger.warning("health check %s gave no answer within %.0f s", name, deadline)
            results[name] = {"status": "down", "error": "timeout"}
        except CheckFailed as exc:
            logger.warning("health check %s: %s", name, exc)
            results[name] = {"status": "down", "error": str(exc)}
        except Exception as exc:
            logger.warning("health check %s failed: %r", name, exc)
            results[name] = {"status": "down", "error": type(exc).__name__}
    # A hung check keeps its thread until its own socket timeout; do not wait for it.
    executor.shutdown(wait=False, cancel_futures=True)
    down = [name for name, result in results.items() if result["status"] != "up"]
    status = "down" if "database" in down else "degraded" if down else "ok"
    return not down, {"status": status, "down": down, "checks": results}


def _redmine_health() -> dict | None:
    if not apps.is_installed("integrations"):
        return None
    from integrations.redmine.health import pull_health

    return pull_health()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """503 only without the database; a lagging integration is reported, not failed."""
    _healthy, body = run_health_checks()
    redmine = _redmine_health()
    if redmine is not None:
        redmine.pop("last")
        body["integrations"] = {"redmine": redmine}
    return JsonResponse(body, status=503 if body["status"] == "down" else 200)
