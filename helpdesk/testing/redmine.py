"""The real Redmine server of ``scripts/redmine-server.sh`` (started by ``make redmine-server``),
for the tests marked ``redmine``; a test that stopped it gets it restarted at its end."""

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from helpdesk.testing import service_unavailable
from integrations.redmine.testing import project_payload

ROOT = Path(__file__).resolve().parents[2]
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
