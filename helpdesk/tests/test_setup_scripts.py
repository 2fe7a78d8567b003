"""The setup scripts of `make run` and `make test`: what a wrong server setup is called, and
the private servers `make test` starts when none answers."""

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.testing import free_port, service_unavailable

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture
def scripts(monkeypatch, tmp_path):
    """The scripts' modules, with the private servers' files under ``tmp_path``; every
    private server a test starts is stopped after it, whatever the outcome."""
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import check_service
    import suite_servers

    monkeypatch.setattr(suite_servers, "SERVICES_DIR", tmp_path)
    monkeypatch.setattr(suite_servers, "ROOT", tmp_path.parent)
    servers = []
    real_start = suite_servers.PrivateServer.start

    def start(self):
        servers.append(self)
        return real_start(self)

    monkeypatch.setattr(suite_servers.PrivateServer, "start", start)
    yield check_service, suite_servers
    for server in servers:
        stop_all(server)


def stop_all(server) -> None:
    while server.stopped_by_us:
        server.stopped_by_us.pop()()


def closed_port() -> int:
    return free_port()


def test_nothing_answering_and_impossible_urls_are_told_apart(scripts):
    check_service, _ = scripts
    port = closed_port()

    for url in (f"mysql://root@127.0.0.1:{port}/helpdesk", f"redis://127.0.0.1:{port}/15"):
        found = check_service.probe(url)
        assert found.problem == check_service.NOT_RUNNING, url
        assert f"nothing answers on 127.0.0.1:{port}" in found.explain()

    for url, detail in [
        ("http://127.0.0.1/helpdesk", "unsupported scheme 'http'"),
        ("mysql://root@127.0.0.1:port/helpdesk", "Port could not be cast"),
    ]:
        found = check_service.probe(url)
        assert (found.problem, detail in found.detail) == (check_service.WRONG_URL, True), url
        assert "cannot work" in found.explain()


@pytest.mark.mariadb
def test_a_refused_user_is_access_denied_with_the_fix(scripts, db):
    from django.db import connection

    check_service, _ = scripts
    config = connection.settings_dict
    url = f"mysql://nobody-{free_port()}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 3306}/x"

    found = check_service.probe(url)

    assert found.problem == check_service.ACCESS_DENIED
    assert "CREATE USER 'helpdesk'@'127.0.0.1'" in found.explain()
    assert "make test MARIADB_URL=mysql://helpdesk:helpdesk@" in found.explain()


def redis_server_binary() -> None:
    if shutil.which("redis-server") is None:
        service_unavailable("redis-server", "the binary is not installed")


@pytest.mark.redis
def test_a_private_redis_serves_the_run_and_is_stopped_after_it(scripts):
    redis_server_binary()
    check_service, suite_servers = scripts
    nothing = f"redis://127.0.0.1:{closed_port()}/15"
    private = suite_servers.PrivateRedis(free_port(), nothing)

    outcome = suite_servers.bring_up("Redis", nothing, private)

    assert outcome.url == f"redis://127.0.0.1:{private.port}/15", outcome
    assert check_service.probe(outcome.url).ok
    assert "nothing answers" in outcome.line
    stop_all(private)
    assert check_service.probe(outcome.url).problem == check_service.NOT_RUNNING


@pytest.mark.redis
def test_a_private_server_never_takes_a_port_another_server_has(scripts):
    redis_server_binary()
    _, suite_servers = scripts
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        private = suite_servers.PrivateRedis(port, "redis://127.0.0.1:6379/15")

        found = private.start()

    assert found.problem == "port taken"
    assert private.stopped_by_us == []


@pytest.mark.redis
def test_a_server_a_killed_run_left_is_adopted_and_stopped(scripts, tmp_path):
    redis_server_binary()
    check_service, suite_servers = scripts
    left = suite_servers.PrivateRedis(free_port(), "redis://127.0.0.1:6379/15")
    assert left.start().ok  # the killed run never stopped it

    again = suite_servers.PrivateRedis(left.port, "redis://127.0.0.1:6379/15")
    assert again.start().ok
    stop_all(again)

    assert check_service.probe(left.url).problem == check_service.NOT_RUNNING


@pytest.mark.mariadb
def test_a_private_mariadb_takes_root_over_tcp_and_utf8mb4(scripts):
    if shutil.which("mariadbd", path="/usr/sbin:/usr/bin") is None:
        service_unavailable("mariadbd", "the binary is not installed (mariadb-server)")
    check_service, suite_servers = scripts
    private = suite_servers.PrivateMariaDB(free_port(), "mysql://someone:x@db:3306/helpdesk")

    found = private.start()

    assert found.ok, found.detail
    assert private.url == f"mysql://root@127.0.0.1:{private.port}/helpdesk"
    import MySQLdb

    connection = MySQLdb.connect(host="127.0.0.1", port=private.port, user="root")
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@character_set_server, @@bind_address")
        assert cursor.fetchone() == ("utf8mb4", "127.0.0.1")
    connection.close()
    stop_all(private)
    assert check_service.probe(private.url).problem == check_service.NOT_RUNNING


def test_a_failing_setup_step_shows_the_end_of_its_log(tmp_path):
    log = tmp_path / "setup.log"
    completed = subprocess.run(
        [SCRIPTS / "step.sh", "Doing a thing", sys.executable, "-c",
         "print('noise'); print('the real error'); raise SystemExit(3)"],
        env={"SETUP_LOG": str(log), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert completed.returncode == 3
    assert completed.stdout == "Doing a thing ... failed (exit 3)\n"
    assert "the real error" in completed.stderr
    assert "noise" in log.read_text()


def test_a_setup_step_is_one_line(tmp_path):
    completed = subprocess.run(
        [SCRIPTS / "step.sh", "Doing a thing", "echo", "lots of output"],
        env={"SETUP_LOG": str(tmp_path / "setup.log"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert completed.stdout.startswith("Doing a thing ... done (")
    assert completed.stdout.count("\n") == 1


def test_every_source_map_a_vendored_file_names_is_copied_too():
    """collectstatic (production) refuses a file whose sourceMappingURL names a missing file."""
    import re

    vendor = Path(__file__).resolve().parents[2] / "static" / "vendor"
    if not vendor.is_dir():
        pytest.skip("static/vendor is made by `make setup`")
    named = re.compile(r"sourceMappingURL=([^\s*]+)")
    missing = [
        f"{path.relative_to(vendor)} -> {match}"
        for path in vendor.rglob("*")
        if path.is_file() and path.suffix in {".js", ".css"}
        for match in named.findall(path.read_text(encoding="utf-8", errors="replace")[-500:])
        if not (path.parent / match).exists()
    ]
    assert not missing
