"""Helpers for tests that use real services (used by the fixture plugins here and by tests)."""

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest
from channels.layers import InMemoryChannelLayer

if TYPE_CHECKING:
    from celery import Celery

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_unavailable(name: str, reason: str) -> NoReturn:
    """Skip on a laptop without the service; fail in CI, where every service must run."""
    message = f"{name} is not available: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests that need it must run, not skip)", pytrace=False)
    pytest.skip(message)


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points another process (worker, server) at the test database."""
    from urllib.parse import quote

    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    scheme = {"mysql": "mysql", "postgresql": "postgres"}[connection.vendor]
    credentials = quote(config["USER"] or "", safe="")
    if config["PASSWORD"]:
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host = config["HOST"] or "127.0.0.1"
    port = f":{config['PORT']}" if config["PORT"] else ""
    return f"{scheme}://{credentials}@{host}{port}/{config['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen, timeout: float) -> None:
    """Wait until a server process accepts connections; fail early if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"server did not listen on port {port} within {timeout:.0f} s")


def redis_channel_layers(url: str, prefix: str) -> dict:
    """``CHANNEL_LAYERS`` for a test on the Redis at ``url``, with the production layer's
    connection options (its read timeout outlasts the blocking receive)."""
    from django.conf import settings

    return {
        "default": {
            "BACKEND": "helpdesk.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, **settings.CHANNEL_LAYER_REDIS_OPTIONS}],
                "prefix": prefix,
            },
        }
    }


def forget_celery_connections(app: "Celery") -> None:
    """Drop what the Celery ``app`` built from its previous configuration: the result
    backend (cached on the app, or per thread when not thread-safe) with its Redis
    connections, and kombu's broker connection and producer pools (process-wide, keyed
    by broker URL). The next send or ``result.get`` builds them from ``app.conf`` as it
    is now."""
    from kombu import pools

    backend = app._backend
    if backend is not None:
        consumer = getattr(backend, "result_consumer", None)
        if consumer is not None and hasattr(consumer, "stop"):
            consumer.stop()  # its pub/sub connection
        client = backend.__dict__.get("client")  # a cached_property: only if built
        if client is not None:
            client.connection_pool.disconnect()
    app._backend_cache = None
    app._local = threading.local()  # the thread-local backends of every thread
    app._pool = None
    amqp = app.__dict__.get("amqp")  # a cached_property: only if built
    if amqp is not None:
        amqp._producer_pool = None
    # Closes every pooled connection and empties the registries, so that a later pool for
    # the same URL is a new one, not the one closed here.
    pools.reset()


@contextlib.contextmanager
def celery_pointed_at(broker_url: str, result_backend: str | None = None) -> Iterator:
    """The project's Celery app sends tasks to ``broker_url`` (not eagerly) and reads
    results from ``result_backend`` inside the ``with`` block; its configuration before
    is restored after. On entry and on exit the app forgets its cached backend and pools
    (``forget_celery_connections``), so nothing depends on which test used it first."""
    from helpdesk.celery import app

    keys = ("broker_url", "result_backend", "task_always_eager")
    previous = {key: app.conf[key] for key in keys}
    forget_celery_connections(app)
    app.conf.update(broker_url=broker_url, result_backend=result_backend, task_always_eager=False)
    try:
        yield app
    finally:
        forget_celery_connections(app)
        app.conf.update(**previous)


class JsonRoundTripChannelLayer(InMemoryChannelLayer):
    """The in-memory channel layer of the tests, passing every message through JSON (what
    the browser gets) so that a payload with a date, a lazy string or a model fails."""

    async def send(self, channel: str, message: dict) -> None:
        await super().send(channel, json.loads(json.dumps(message)))

    async def group_send(self, group: str, message: dict) -> None:
        await super().group_send(group, json.loads(json.dumps(message)))
