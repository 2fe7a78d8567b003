"""Helpers for tests that use real services (imported by conftest.py and tests)."""

import os

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
