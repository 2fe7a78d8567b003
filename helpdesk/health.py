"""``GET /healthz``: the state of every backing service, for load balancers and operators."""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpdesk.celery import app as celery_app

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # Checks run on short-lived threads: do not leave their connections open.
        connection.close()


def check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
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


def health_checks() -> dict[str, Callable[[], None]]:
    checks = {
        "database": check_database,
        "cache": check_cache,
        "channel_layer": check_channel_layer,
    }
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = check_broker
    return checks


def _timed(check: Callable[[], None]) -> float:
    started = time.perf_counter()
    check()
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
        except Exception as exc:
            logger.warning("health check %s failed: %r", name, exc)
            results[name] = {"status": "down", "error": type(exc).__name__}
    # A hung check keeps its thread until its own socket timeout; do not wait for it.
    executor.shutdown(wait=False, cancel_futures=True)
    down = [name for name, result in results.items() if result["status"] != "up"]
    return not down, {"status": "ok" if not down else "down", "down": down, "checks": results}


def _redmine_health() -> dict | None:
    if not apps.is_installed("integrations"):
        return None
    from integrations.redmine.health import pull_health

    return pull_health()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The services decide the status; a lagging integration is reported, not failed."""
    healthy, body = run_health_checks()
    redmine = _redmine_health()
    if redmine is not None:
        redmine.pop("last")
        body["integrations"] = {"redmine": redmine}
    return JsonResponse(body, status=200 if healthy else 503)
