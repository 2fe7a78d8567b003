"""A private Dovecot IMAP server (Debian's dovecot-imapd) for the tests marked ``dovecot``
and for ``scripts/bench_mail.py``: a loopback port, a password-file of throw-away users and
maildirs under ``var/dovecot<TEST_DB_SUFFIX>/``, no system service. As root it runs its
login and mail processes as Debian's ``dovenull``/``dovecot`` users (and, when those cannot
enter ``var/``, as under a root's home of mode 0700, keeps its files in the temporary
directory instead); otherwise everything runs as the current user. Started once per test
session; ``stop()``/``start()`` are the fault injection of the tests (the server gone in
the middle of a fetch).
"""

import getpass
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk.testing import free_port, service_unavailable

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mail-test-password"  # noqa: S105 - a throw-away test server
USERS = 2000  # accounts in the password file, handed out one per mailbox
PASSWORD_ENV = "HELPDESK_TEST_MAIL_PASSWORD"  # noqa: S105 - a variable name
DOVECOT_MISSING = "dovecot is not installed (apt-get install dovecot-imapd; `make test` does it)"


def others_may_enter(path: Path) -> bool:
    """Whether a user other than the owner can reach ``path`` (every directory above it
    searchable by others)."""
    return all(parent.stat().st_mode & 0o001 for parent in path.resolve().parents)


def reachable_dir(directory: Path) -> Path:
    """``directory``, or as root one in the temporary directory when Dovecot's own users
    could not reach it (Debian's /root is 0700): they read the password file and the mail."""
    if os.geteuid() == 0 and not others_may_enter(directory):
        return Path(tempfile.gettempdir()) / f"helpdesk-{directory.name}"
    return directory


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")


class DovecotServer:
    def __init__(self, directory: Path, port: int):
        self.dir = reachable_dir(directory)
        self.port = port
        self.process: subprocess.Popen | None = None
        self._run = uuid.uuid4().hex[:8]
        self._handed_out = 0

    @property
    def passwd(self) -> Path:
        return self.dir / "passwd"

    def _config(self) -> str:
        if os.geteuid() == 0:
            login, internal, group, mail_user = "dovenull", "dovecot", "dovecot", "dovecot"
        else:
            login = internal = mail_user = getpass.getuser()
            group = ""
        group_line = f"default_internal_group = {group}\n" if group else ""
        return (
            "protocols = imap\n"
            "listen = 127.0.0.1\n"
            f"base_dir = {self.dir}/run\n"
            f"state_dir = {self.dir}/state\n"
            f"log_path = {self.dir}/dovecot.log\n"
            "ssl = no\n"
            "disable_plaintext_auth = no\n"
            "auth_mechanisms = plain login\n"
            "auth_failure_delay = 0\n"
            f"default_login_user = {login}\n"
            f"default_internal_user = {internal}\n"
            f"{group_line}"
            "first_valid_uid = 1\n"
            f"mail_location = maildir:{self.dir}/mail/%u\n"
            "passdb {\n  driver = passwd-file\n"
            f"  args = scheme=PLAIN username_format=%u {self.passwd}\n}}\n"
            "userdb {\n  driver = static\n"
            f"  args = uid={mail_user} gid={mail_user} home={self.dir}/mail/%u\n}}\n"
            "service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n"
            f"    port = {self.port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n"
            "  chroot =\n}\n"
            "service anvil {\n  chroot =\n}\n"
        )

    def start(self, timeout: float = 30) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError(DOVECOT_MISSING)
        for name in ("run", "state", "mail"):
            (self.dir / name).mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.dir / "run", ignore_errors=True)  # a killed run's sockets and pid
        (self.dir / "run").mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir / "mail", "dovecot", "dovecot")
        if not self.passwd.exists():
            self.passwd.write_text(
                "".join(f"{self._user(n)}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
            )
        config = self.dir / "dovecot.conf"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "stderr.log", "ab"),  # noqa: SIM115 - the child keeps it
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "stderr.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"dovecot did not start on port {self.port}: {log}")
            time.sleep(0.1)

    def answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """Stop the server (its port closed when this returns)."""
        if self.process is None:
            return
        with_pid = self.process
        self.process = None
        try:
            os.killpg(with_pid.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            with_pid.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(with_pid.pid, signal.SIGKILL)
            with_pid.wait()
        while self.answers():
            time.sleep(0.05)

    @property
    def stopped(self) -> bool:
        return self.process is None

    def add_user(self) -> str:
        """A new, empty mail account (the password is ``PASSWORD``). The password file is
        written before the server starts (Dovecot may not see a file changed within the
        second it last read it), with more accounts than a session uses."""
        self._handed_out += 1
        return self._user(self._handed_out)

    def _user(self, n: int) -> str:
        return f"box{n}-{self._run}@mail.test"

    def imap(self, user: str) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(user, PASSWORD)
        return connection

    def append(self, user: str, *messages: bytes, folder: str = "INBOX") -> None:
        """Deliver mail as a client would store it: IMAP APPEND."""
        connection = self.imap(user)
        try:
            for raw in messages:
                typ, data = connection.append(folder, "", None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data}")
        finally:
            connection.logout()

    def count(self, user: str, folder: str = "INBOX", criteria: str = "ALL") -> int:
        connection = self.imap(user)
        try:
            typ, _data = connection.select(folder)
            if typ != "OK":
                return 0
            _typ, data = connection.uid("SEARCH", *criteria.split())
            return len((data[0] or b"").split())
        finally:
            connection.logout()


def server_dir() -> Path:
    return reachable_dir(ROOT / "var" / f"dovecot{os.environ.get('TEST_DB_SUFFIX', '')}")


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    if dovecot_binary() is None:
        service_unavailable("Dovecot", DOVECOT_MISSING)
    directory = server_dir()
    shutil.rmtree(directory / "mail", ignore_errors=True)
    if (directory / "passwd").exists():
        (directory / "passwd").unlink()
    server = DovecotServer(directory, int(os.environ.get("TEST_DOVECOT_PORT") or free_port()))
    try:
        server.start()
    except RuntimeError as exc:
        service_unavailable("Dovecot", str(exc))
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> Iterator[DovecotServer]:
    """The session's Dovecot, started again after a test that stopped it."""
    yield dovecot_server
    if dovecot_server.stopped:
        dovecot_server.start()
