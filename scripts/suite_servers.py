"""The servers the test suite needs, brought up for one `make test` and stopped after it.

    scripts/suite_servers.py run -- COMMAND...

MariaDB (``MARIADB_URL``) and Redis (``TEST_REDIS_URL``): a configured server that works is
used as it is. Otherwise a private server is started for this run, on its own port with its
data under ``var/services/``, so a system instance is never touched; run as root with
apt-get, the Debian package is installed first when it is missing. Then, as root, a real
Redmine (``scripts/redmine-server.sh``) on that MariaDB. With ``--clock-ahead DAYS`` the
command, the Chromium it drives and Redmine see a date DAYS ahead (``clock_ahead()``), to
show that no test depends on today's date; MariaDB and Redis keep the machine's clock.

COMMAND runs with ``MARIADB_URL`` and ``TEST_REDIS_URL``, and the same in ``SUITE_MARIADB_URL``
and ``SUITE_REDIS_URL``, naming what is up (the MariaDB URL is empty when there is none).
Whatever this run started is stopped when COMMAND ends, also on failure or Ctrl-C. A service
that cannot be had is named with the command that would start it and its tests are skipped;
with ``CI=true`` the run fails instead.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_service import NOT_RUNNING, Probe, probe

ROOT = Path(__file__).resolve().parent.parent
SERVICES_DIR = ROOT / "var" / "services"
REDMINE_SCRIPT = ROOT / "scripts" / "redmine-server.sh"
CLOCK_AHEAD_DIR = ROOT / "scripts" / "clock_ahead"
SYSTEM_PACKAGES = ROOT / "scripts" / "system-packages.sh"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
IS_ROOT = os.geteuid() == 0
CAN_INSTALL = IS_ROOT and shutil.which("apt-get") is not None
START_TIMEOUT = 120


def say(line: str = "") -> None:
    print(line, flush=True)


def which(name: str) -> str | None:
    """A binary on PATH or in the sbin directories a non-root PATH may lack."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


def with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def pid_alive(pid_file: Path, program: str) -> int | None:
    """The pid in ``pid_file`` when that process is still ``program`` (not a reused pid)."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if program.encode() in cmdline else None


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def running(pid: int) -> bool:
    """Alive and not a zombie (a stopped child nobody has waited for yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def stop_process(process: subprocess.Popen, *, timeout: float = 60) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_pid(pid: int, *, timeout: float = 60) -> None:
    """Stop a server that an earlier, killed run started (not a child of this process)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while running(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.2)


@dataclass
class PrivateServer:
    """A server of this checkout's own: port ``port``, files in ``var/services/<name>``."""

    name: str
    package: str
    program: str
    port: int
    template_url: str
    stopped_by_us: list[Callable[[], None]] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return SERVICES_DIR / self.program

    @property
    def pid_file(self) -> Path:
        return self.dir / f"{self.program}.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / f"{self.program}.log"

    @property
    def url(self) -> str:
        return with_port(self.template_url, self.port)

    def available(self) -> bool:
        if which(self.program) is None and CAN_INSTALL:
            subprocess.run(
                [SYSTEM_PACKAGES, f"the test {self.name} server", self.package], check=False
            )
        return which(self.program) is not None

    def start(self) -> Probe:
        """Start it (or adopt one a killed run left behind); the probe of its URL."""
        self.dir.mkdir(parents=True, exist_ok=True)
        pid = pid_alive(self.pid_file, self.program)
        if pid is not None:
            self.stopped_by_us.append(lambda: stop_pid(pid))
            exited = lambda: not running(pid)  # noqa: E731
        else:
            if port_open(self.port):
                return Probe(self.url, "port taken", f"port {self.port} is used by another server")
            self.prepare()
            with open(self.log_file, "ab") as log:
                process = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,  # Ctrl-C reaches the tests, not the server
                )
            self.stopped_by_us.append(lambda: stop_process(process))
            exited = lambda: process.poll() is not None  # noqa: E731
        deadline = time.monotonic() + START_TIMEOUT
        while probe(self.url).problem == NOT_RUNNING:
            if exited() or time.monotonic() > deadline:
                tail = self.log_file.read_text(errors="replace").splitlines()[-15:]
                detail = "\n".join(["it did not start; the end of its log:", *tail])
                return Probe(self.url, "did not start", detail)
            time.sleep(0.2)
        self.ready()
        return probe(self.url)

    def prepare(self) -> None:
        """What a first start needs (a data directory)."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> None:
        """What to do once it answers."""


class PrivateMariaDB(PrivateServer):
    def __init__(self, port: int, template_url: str) -> None:
        super().__init__("database", "mariadb-server", "mariadbd", port, template_url)

    @property
    def socket(self) -> Path:
        return self.dir / "mariadb.sock"

    def user_args(self) -> list[str]:
        return ["--user=root"] if IS_ROOT else []

    def prepare(self) -> None:
        data = self.dir / "data"
        if (data / "mysql").is_dir():
            return
        with open(self.log_file, "ab") as log:
            subprocess.run(
                [which("mariadb-install-db") or "mariadb-install-db", "--no-defaults",
                 f"--datadir={data}", "--auth-root-authentication-method=normal",
                 "--skip-test-db", *self.user_args()],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True,
            )  # fmt: skip

    def command(self) -> list[str]:
        return [
            which("mariadbd") or "mariadbd", "--no-defaults", *self.user_args(),
            f"--datadir={self.dir / 'data'}", f"--socket={self.socket}",
            f"--pid-file={self.pid_file}", f"--port={self.port}", "--bind-address=127.0.0.1",
            "--skip-name-resolve", "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci", "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=300",
        ]  # fmt: skip

    @property
    def url(self) -> str:
        database = urlsplit(self.template_url).path
        return f"mysql://root@127.0.0.1:{self.port}{database}"

    def ready(self) -> None:
        """Root without a password over TCP: the tests and Redmine's setup sign in so."""
        import MySQLdb

        connection = MySQLdb.connect(unix_socket=str(self.socket), user="root")
        with connection.cursor() as cursor:
            # Without name resolution a TCP client is 127.0.0.1, not localhost.
            cursor.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
            cursor.execute("GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
        connection.close()


class PrivateRedis(PrivateServer):
    def __init__(self, port: int, template_url: str) -> None:
        super().__init__("Redis", "redis-server", "redis-server", port, template_url)

    def command(self) -> list[str]:
        return [
            which("redis-server") or "redis-server", "--port", str(self.port),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.dir), "--pidfile", str(self.pid_file),
        ]  # fmt: skip


@dataclass
class Outcome:
    name: str
    url: str = ""
    line: str = ""
    missing: str = ""  # why it is not there and how to get it
    private: bool = False  # a server this run started


def bring_up(name: str, configured: str, private: PrivateServer) -> Outcome:
    found = probe(configured)
    if found.ok:
        return Outcome(name, configured, f"{configured} (running)")
    if not private.available():
        return Outcome(
            name,
            missing=f"{found.explain()}\n{private.package} is not installed here. Run "
            f"`sudo make test` (it installs it and starts a private server for the run), or "
            f"`sudo apt-get install {private.package}`, or point the URL at a server.",
        )
    started = private.start()
    if not started.ok:
        return Outcome(
            name,
            missing=f"{found.explain()}\nThe private {name} on 127.0.0.1:{private.port} "
            f"failed: {started.detail} (log: {private.log_file.relative_to(ROOT)})",
        )
    why = found.explain().replace("\n", "\n      ")
    return Outcome(
        name,
        private.url,
        f"a private server for this run, {private.url} (files in "
        f"{private.dir.relative_to(ROOT)}/),\n    as {configured} is not usable: {why}",
        private=True,
    )


def redmine_answers() -> bool:
    return (
        subprocess.run(
            [REDMINE_SCRIPT, "status"], stdout=subprocess.DEVNULL, check=False
        ).returncode
        == 0
    )


def clock_ahead(days: int) -> dict[str, str]:
    """The environment that moves the clock of the test run ``days`` ahead: its Python
    processes through ``scripts/clock_ahead/sitecustomize.py``, Redmine and Chromium
    through Debian's libfaketime."""
    if not sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1")):
        raise SystemExit("moving the clock needs libfaketime: apt-get install faketime")
    path = os.pathsep.join(filter(None, [str(CLOCK_AHEAD_DIR), os.environ.get("PYTHONPATH")]))
    return {"CLOCK_AHEAD_DAYS": str(days), "PYTHONPATH": path}


def bring_up_redmine(
    mariadb: Outcome, stops: list[Callable[[], None]], clock: dict[str, str]
) -> Outcome:
    mariadb_url, private_database = mariadb.url, mariadb.private
    running = redmine_answers()
    if running and not CAN_INSTALL:
        return Outcome("Redmine", line="already running (scripts/redmine-server.sh status)")
    if not CAN_INSTALL:
        return Outcome(
            "Redmine",
            missing="a real Redmine needs root with apt-get: run `sudo make test`, or start "
            "it once with `sudo scripts/redmine-server.sh start`.",
        )
    if not mariadb_url:
        return Outcome("Redmine", missing="Redmine keeps its data in MariaDB, which is missing.")
    # Also when it runs: `start` restarts a server on another database or clock than the
    # run's, and then it is stopped after the run like one this run started.
    env = {**os.environ, "MARIADB_URL": mariadb_url, **clock}
    if subprocess.run([REDMINE_SCRIPT, "start"], env=env, check=False).returncode != 0:
        return Outcome("Redmine", missing="scripts/redmine-server.sh start failed (see above).")
    if running and not clock and not private_database:
        return Outcome("Redmine", line="already running (scripts/redmine-server.sh status)")

    def stop() -> None:
        subprocess.run([REDMINE_SCRIPT, "stop"], env=env, check=False, timeout=120)

    stops.append(stop)
    return Outcome("Redmine", line="started for this run (scripts/redmine-server.sh)")


def report(outcomes: list[Outcome], *, after: bool = False) -> None:
    for outcome in outcomes:
        if outcome.missing:
            text = outcome.missing.replace("\n", "\n    ")
            consequence = (
                "missing"
                if IN_CI
                else "its tests were skipped"
                if after
                else "its tests will be skipped"
            )
            say(f"  NO {outcome.name}: {consequence}.\n    {text}")
        else:
            say(f"  {outcome.name}: {outcome.line}")


def run(command: list[str], *, days_ahead: int = 0) -> int:
    stops: list[Callable[[], None]] = []
    clock = clock_ahead(days_ahead) if days_ahead else {}
    mariadb = PrivateMariaDB(
        int(os.environ.get("PRIVATE_MARIADB_PORT", "3399")),
        os.environ.get("MARIADB_URL") or "mysql://root@127.0.0.1:3306/helpdesk",
    )
    redis = PrivateRedis(
        int(os.environ.get("PRIVATE_REDIS_PORT", "6399")),
        os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15",
    )
    try:
        say("Servers for the tests:")
        outcomes = [bring_up("MariaDB", mariadb.template_url, mariadb)]
        report(outcomes[-1:])
        outcomes.append(bring_up("Redis", redis.template_url, redis))
        report(outcomes[-1:])
        outcomes.append(bring_up_redmine(outcomes[0], stops, clock))
        report(outcomes[-1:])
        missing = [outcome for outcome in outcomes if outcome.missing]
        if missing and IN_CI:
            say("CI=true: every service must run; stopping here.")
            return 2
        redis_url = outcomes[1].url or redis.template_url
        env = {
            **os.environ,
            # SUITE_*: what the Makefile's passes use, over any `make VAR=...` of the caller.
            "SUITE_MARIADB_URL": outcomes[0].url,
            "SUITE_REDIS_URL": redis_url,
            "MARIADB_URL": outcomes[0].url,
            "TEST_REDIS_URL": redis_url,
            **clock,
        }
        if clock:
            say(f"The clock of the tests, Chromium and Redmine: {days_ahead} days ahead")
        status = subprocess.run(command, env=env, check=False).returncode
        if missing:
            say("Not tested here for want of a server:")
            report(missing, after=True)
        return status
    except KeyboardInterrupt:
        return 130
    finally:
        for stop in reversed([*mariadb.stopped_by_us, *redis.stopped_by_us, *stops]):
            stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser("run", help="bring the servers up, run COMMAND, stop them")
    run_parser.add_argument(
        "--clock-ahead",
        type=int,
        default=0,
        metavar="DAYS",
        help="COMMAND, its Chromium and Redmine see a date DAYS ahead",
    )
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    return run(command, days_ahead=args.clock_ahead)


if __name__ == "__main__":
    sys.exit(main())
