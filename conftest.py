"""Shared test fixtures: personas, real-service access and the service-test summary."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from helpdesk.testing import (
    database_url_for_subprocess,
    free_port,
    service_unavailable,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent
ASGI_APP = "helpdesk.asgi:application"


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        service_unavailable("Redis", f"{url}: {exc}")
    return url


# --- Personas -------------------------------------------------------------------------


@pytest.fixture
def requester(db):
    return UserFactory(username="requester", roles=[Role.REQUESTER])


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", roles=[Role.AGENT])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=[Role.MANAGER], is_staff=True)


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def fake_erp(settings, tmp_path):
    """ERP sign-in switched on against the fake ERP, whose directory the test fills."""
    from accounts.erp_fake import FakeDirectory

    directory = FakeDirectory(tmp_path / "erp-directory.json")
    settings.ERP_AUTH_ENABLED = True
    settings.ERP_GATEWAY = "accounts.erp_fake.FakeERPGateway"
    settings.ERP_FAKE_DIRECTORY = str(directory.path)
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "accounts.backends.OracleERPBackend",
    ]
    return directory


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The workflow (statuses, priorities, queues) is cached; a flushed or rolled-back
    # database must not be answered from an earlier test's cache.
    from django.core.cache import cache

    cache.clear()


# --- Summary of the tests that use real services --------------------------------------

SERVICE_MARKERS = ("mariadb", "redis", "celery_worker", "e2e")
_service_outcomes: dict[str, Counter] = {marker: Counter() for marker in SERVICE_MARKERS}


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for marker in SERVICE_MARKERS:
            if marker in report.keywords:
                _service_outcomes[marker][report.outcome] += 1


def pytest_terminal_summary(terminalreporter):
    lines = []
    for marker, outcomes in _service_outcomes.items():
        if outcomes:
            counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            lines.append(f"{marker}: {counts}")
    if lines:
        terminalreporter.section("tests on real services")
        for line in lines:
            terminalreporter.write_line(line)


# --- Live daphne server and Chromium (browser tests) ----------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def live_daphne_env() -> dict:
    """Extra environment for the live server; a test module overrides it."""
    return {}


@pytest.fixture
def live_daphne(transactional_db, live_daphne_env) -> str:
    """The app under a real ``daphne`` process (HTTP + WebSockets) on the test database.

    A separate process, as in production; it sees the test's committed data, so the SQLite
    test database is a file (see the test settings).
    """
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        **live_daphne_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server keeps Django's safety checks
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), ASGI_APP],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port, process=server, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # Open WebSockets can keep daphne's graceful shutdown waiting; the next test
            # recreates the database under it, so it must be gone now.
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        service_unavailable("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "color_scheme": "light", "locale": "ru-RU"}


@pytest.fixture(autouse=True)
def _e2e_allows_orm_beside_playwright(request, monkeypatch):
    # Playwright's sync API keeps an event loop running in the test thread, which makes
    # Django refuse ORM calls from the test itself. The server runs in another process;
    # the test's own ORM use (factories, refresh_from_db) is plain synchronous code.
    if request.node.get_closest_marker("e2e"):
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    # Browser tests last: once Playwright has started, its event loop stays in this thread.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
