"""``GET /healthz``: the state of every backing service, for load balancers and operators."""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


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


def run_health_checks() -> tuple[bool, dict]:
    results: dict[str, dict] = {}
    for name, check in health_checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:
            logger.warning("health check %s failed: %r", name, exc)
            results[name] = {"status": "down", "error": type(exc).__name__}
        else:
            results[name] = {"status": "up"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    down = [name for name, result in results.items() if result["status"] != "up"]
    return not down, {"status": "ok" if not down else "down", "down": down, "checks": results}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = run_health_checks()
    return JsonResponse(body, status=200 if healthy else 503)
