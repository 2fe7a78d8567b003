"""Shared test fixtures: personas, real-service access and the service-test summary."""

import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from helpdesk.testing import (
    database_url_for_subprocess,
    free_port,
    service_unavailable,
    wait_for_port,
)
from integrations.redmine.testing import project_payload

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


# --- Real Redmine server (scripts/redmine-server.sh, started by `make redmine-server`) --

REDMINE_SCRIPT = ROOT / "scripts" / "redmine-server.sh"
REDMINE_ENV_FILE = ROOT / "var" / "redmine-test.env"
REDMINE_NOT_RUNNING = "real Redmine server not running (make redmine-server, as root)"


@dataclass
class RedmineServer:
    """The Redmine of ``var/redmine-test.env``; ``stop()``/``start()`` drive the real server."""

    url: str
    api_key: str
    database_url: str  # read-only MariaDB user on Redmine's database
    admin_database_url: str  # root on Redmine's database
    stopped: bool = False

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80

    @property
    def headers(self) -> dict:
        return {"X-Redmine-API-Key": self.api_key}

    def answers(self) -> bool:
        try:
            response = requests.get(
                f"{self.url}/users/current.json", headers=self.headers, timeout=10
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def stop(self) -> None:
        """Stop the server; returns once its port is closed."""
        self.stopped = True
        subprocess.run([REDMINE_SCRIPT, "stop", str(self.port)], check=True, timeout=120)

    def start(self) -> None:
        """Start the server again; returns once it answers with the key."""
        subprocess.run([REDMINE_SCRIPT, "start", str(self.port)], check=True, timeout=600)
        self.api_key = _read_redmine_env().get("REDMINE_TEST_API_KEY", self.api_key)
        deadline = time.monotonic() + 60
        while not self.answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redmine at {self.url} does not answer after start()")
            time.sleep(0.5)
        self.stopped = False


def _read_redmine_env() -> dict[str, str]:
    values = {}
    for line in REDMINE_ENV_FILE.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


# Servers handed out this session; a test that stopped one gets it restarted at its end.
_redmine_servers: list[RedmineServer] = []


@pytest.fixture(scope="session")
def redmine_server() -> Iterator[RedmineServer]:
    try:
        env = _read_redmine_env()
        server = RedmineServer(
            url=env["REDMINE_TEST_URL"].rstrip("/"),
            api_key=env["REDMINE_TEST_API_KEY"],
            database_url=env["REDMINE_TEST_DATABASE_URL"],
            admin_database_url=env["REDMINE_TEST_ADMIN_DATABASE_URL"],
        )
    except FileNotFoundError:
        service_unavailable("Redmine", f"{REDMINE_NOT_RUNNING}: no {REDMINE_ENV_FILE}")
    except (OSError, KeyError) as exc:
        service_unavailable("Redmine", f"{REDMINE_NOT_RUNNING}: {REDMINE_ENV_FILE}: {exc!r}")
    if not server.answers():
        service_unavailable(
            "Redmine", f"{REDMINE_NOT_RUNNING}: no answer from {server.url} with the key"
        )
    _redmine_servers.append(server)
    yield server
    _redmine_servers.remove(server)
    if server.stopped:
        server.start()


@pytest.fixture(autouse=True)
def _redmine_server_restarted():
    yield
    for server in _redmine_servers:
        if server.stopped:
            server.start()


@pytest.fixture
def redmine_project(redmine_server) -> Iterator[dict]:
    """A fresh Redmine project with every tracker and issue tracking; deleted afterwards."""
    url, headers = redmine_server.url, redmine_server.headers
    trackers = requests.get(f"{url}/trackers.json", headers=headers, timeout=30)
    trackers.raise_for_status()
    payload = project_payload("Test", trackers.json()["trackers"])
    created = requests.post(f"{url}/projects.json", json=payload, headers=headers, timeout=30)
    created.raise_for_status()
    project_id = created.json()["project"]["id"]
    project = requests.get(
        f"{url}/projects/{project_id}.json",
        params={"include": "trackers,enabled_modules"},
        headers=headers,
        timeout=30,
    )
    project.raise_for_status()
    yield project.json()["project"]
    if redmine_server.stopped:
        redmine_server.start()
    with contextlib.suppress(requests.RequestException):
        requests.delete(
            f"{url}/projects/{project_id}.json", headers=redmine_server.headers, timeout=60
        )


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


# --- Shared test data ------------------------------------------------------------------


@pytest.fixture
def queue(agent):
    """The service desk queue HD, which ``agent`` works."""
    from tickets.tests.factories import QueueFactory

    return QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


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

SERVICE_MARKERS = ("mariadb", "redis", "celery_worker", "redmine", "e2e")
_service_outcomes: dict[str, Counter] = {marker: Counter() for marker in SERVICE_MARKERS}


# By node id: a report's keywords also hold folder names (integrations/redmine/...).
_service_markers: dict[str, set[str]] = {}


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for marker in _service_markers.get(report.nodeid, ()):
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
    for item in items:
        names = {mark.name for mark in item.iter_markers()} & set(SERVICE_MARKERS)
        if names:
            _service_markers[item.nodeid] = names
