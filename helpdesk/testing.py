"""Helpers for tests that use real services (imported by conftest.py and tests)."""

import os
import socket
import subprocess
import time

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_unavailable(name: str, reason: str) -> None:
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
