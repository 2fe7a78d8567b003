"""Browser tests: the app under a live ``daphne`` and Chromium driven by Playwright
(pytest-playwright's fixtures, set up here); browser tests run after all others."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk.testing import (
    database_url_for_subprocess,
    free_port,
    service_unavailable,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
ASGI_APP = "helpdesk.asgi:application"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def live_daphne_env() -> dict:
    """Extra environment for the live server; a test module overrides it."""
    return {}


@pytest.fixture
def live_daphne(transactional_db, live_daphne_env) -> Iterator[str]:
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


def chromium_clock() -> dict:
    """With ``CLOCK_AHEAD_DAYS`` (``make test-clock-ahead``), Chromium's clock moves with
    the test run's (Debian's libfaketime)."""
    days = os.environ.get("CLOCK_AHEAD_DAYS")
    if not days:
        return {}
    libraries = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not libraries:
        pytest.fail("CLOCK_AHEAD_DAYS needs libfaketime (apt-get install faketime)")
    return {"env": {**os.environ, "FAKETIME": f"+{days}d", "LD_PRELOAD": str(libraries[0])}}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        service_unavailable("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        **chromium_clock(),
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
