"""The production stack of `make stack` in a test (``live_stack``), and its clients.

``live_stack`` (module scope) starts ``scripts/stack.py``'s ``Stack`` on loopback ports:
production settings, a MariaDB database of its own (``test_stack<TEST_DB_SUFFIX>``), a
redis-server the test owns (``live.redis.stop()``/``start()``), an SMTP server on loopback
that records every message with its arrival time (``live.smtp``), nginx in front of two
daphne processes, two Celery workers and beat. A fault test kills or stops any of them
through ``live.stack`` (``kill("worker-a")``, ``start("worker-a")``).

``StackClient`` is a signed-in browser of the stack: the API and pages through nginx or
straight to one daphne process (``daphne="a"``), and WebSockets (``socket()``) that tell
which daphne process they landed on. Tests marked ``stack`` skip without nginx,
redis-server or MariaDB and fail under CI=true.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.message
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
from yarl import URL

from helpdesk.testing import free_port, service_unavailable
from notifications.testing import LoopbackSMTP, ReusableServer, SMTPHandler

ROOT = Path(__file__).resolve().parents[2]
STACK_USERS_PASSWORD_BYTES = 18
HTTP_TIMEOUT = 30
# Waits are upper bounds for a busy 2-core machine; they end when the awaited thing comes.
WS_TIMEOUT = 15


def supervisor() -> ModuleType:
    """``scripts/stack.py``, the supervisor `make stack` runs."""
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import stack

    return stack


# --- The services the test owns ---------------------------------------------------------


class OwnedRedis:
    """A redis-server of the test's own on a fixed port, so it can be stopped and started."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server", "the binary is not installed")
        self.binary, self.directory, self.port = str(binary), directory, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


_peer = threading.local()


class _PeerSMTPHandler(SMTPHandler):
    def handle(self) -> None:
        _peer.address = self.client_address
        super().handle()


@dataclass
class Arrival:
    at: float  # time.monotonic() when the server accepted it (before answering)
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        """Subject and plain-text body, decoded (the body travels base64-encoded)."""
        body = self.message.get_body(("plain",))
        content = body.get_content() if isinstance(body, email.message.EmailMessage) else ""
        return f"{self.message['Subject']}\n{content}"


class RecordingSMTP(LoopbackSMTP):
    """The loopback SMTP server, noting when each message arrived. ``on_accept(number,
    client address)`` runs after the server took the message and before it answers
    "250", the window in which a killed sender cannot know it was delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[Arrival] = []
        self.on_accept: Callable[[int, tuple[str, int]], None] | None = None

    def start(self) -> None:
        server = ReusableServer(("127.0.0.1", self.port), _PeerSMTPHandler)
        server.owner = self
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._server = server

    def received(self, recipients: list[str], data: bytes) -> None:
        super().received(recipients, data)
        with self._lock:
            self.arrivals.append(Arrival(time.monotonic(), self.messages[-1][1]))
            number = len(self.arrivals)
        if self.on_accept is not None:
            self.on_accept(number, _peer.address)

    def about(self, marker: str, since: int = 0) -> list[Arrival]:
        """The messages from the ``since``-th on whose text holds ``marker`` (a link)."""
        with self._lock:
            return [a for a in self.arrivals[since:] if marker in a.text]


def socket_owner(port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the TCP connection whose local port is ``port`` (Linux)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            inode = fields[9]
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    return None


def group_pids(pgid: int) -> list[int]:
    """The processes of a process group (a Celery worker and its prefork children)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rpartition(")")[2].split()[3]) == pgid:
                pids.append(int(stat.parent.name))
    return pids


# --- The stack ---------------------------------------------------------------------------


def stack_database_url() -> str:
    """MariaDB of the MariaDB pass, database ``test_stack<TEST_DB_SUFFIX>``."""
    url = os.environ.get("MARIADB_URL", "")
    if not url and os.environ.get("DATABASE_URL", "").startswith("mysql"):
        url = os.environ["DATABASE_URL"]
    if not url:
        service_unavailable("MariaDB", "MARIADB_URL is not set (the stack runs on MariaDB)")
    name = f"test_stack{os.environ.get('TEST_DB_SUFFIX', '')}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    from urllib.parse import unquote

    import MySQLdb

    parts = urlsplit(url)
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{parts.path.lstrip('/')}`")
    connection.close()


@dataclass
class LiveStack:
    stack: Any  # scripts/stack.py's Stack
    redis: OwnedRedis
    smtp: RecordingSMTP
    password: str
    https_port: int
    http_port: int
    daphne_ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def ws_connects(self, letter: str) -> int:
        """How many WebSockets daphne ``letter`` has accepted (its access log)."""
        log = self.stack.config.logs / f"daphne-{letter}.access.log"
        return log.read_text().count("WSCONNECT ") if log.is_file() else 0

    def manage(self, *args: str) -> str:
        """A management command with the stack's settings; its output."""
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.stack.env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return completed.stdout


def stack_available() -> str:
    """The MariaDB URL of the stack, or skip (fail under CI) without its programs."""
    stack = supervisor()
    for program, package in (("nginx", "nginx"), ("redis-server", "redis-server")):
        if stack.which(program) is None:
            service_unavailable(program, f"not installed (apt-get install {package})")
    url = stack_database_url()
    found = stack.probe(url, create=True)
    if not found.ok:
        service_unavailable("MariaDB", found.explain())
    return url


@pytest.fixture(scope="module")
def live_stack_environment() -> dict[str, str]:
    """Extra environment of the stack's processes; a test module overrides it."""
    return {}


@pytest.fixture(scope="module")
def live_stack(
    tmp_path_factory: pytest.TempPathFactory, live_stack_environment: dict[str, str]
) -> Iterator[LiveStack]:
    database_url = stack_available()
    drop_database(database_url)
    supervisor().probe(database_url, create=True)
    directory = tmp_path_factory.mktemp("stack")
    redis = OwnedRedis(directory / "redis")
    smtp = RecordingSMTP()
    stack_module = supervisor()
    ports = stack_module.Ports(
        http=free_port(), https=free_port(), daphne=(free_port(), free_port())
    )
    password = secrets.token_urlsafe(STACK_USERS_PASSWORD_BYTES)
    config = stack_module.StackConfig(
        database_url=database_url,
        redis_url=redis.url,
        demo_password=password,
        ports=ports,
        directory=directory,
        email_url=f"smtp://127.0.0.1:{smtp.port}",
        worker_concurrency=1,
        tickets=200,  # about a fifth of them open
        environment={"DJANGO_ENV_FILE": "", "LOG_LEVEL": "INFO", **live_stack_environment},
    )
    stack = stack_module.Stack(config)
    redis.start()
    smtp.start()
    try:
        stack.prepare()
        stack.up()
        yield LiveStack(
            stack=stack,
            redis=redis,
            smtp=smtp,
            password=password,
            https_port=ports.https,
            http_port=ports.http,
            daphne_ports=dict(zip("ab", ports.daphne, strict=True)),
        )
    finally:
        stack.down()
        smtp.stop()
        redis.stop()
        drop_database(database_url)


# --- A browser of the stack -------------------------------------------------------------


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class StackSocket:
    """A WebSocket of a page; ``daphne`` is the process it landed on ("a" or "b")."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, daphne: str, user: int) -> None:
        self.ws, self.daphne, self.user = ws, daphne, user

    async def send(self, message: dict) -> None:
        await self.ws.send_json(message)

    async def wait_for(self, wanted: Callable[[dict], bool], timeout: float = WS_TIMEOUT) -> dict:
        """The first message ``wanted`` accepts; fails on timeout or when the socket ends."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.ws.receive()
                if frame.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket on daphne {self.daphne} ended: {frame}")
                message = frame.json()
                if wanted(message):
                    return message

    async def subscribe_board(self, queue_ids: list[int]) -> None:
        await self.send({"type": "subscribe", "board": queue_ids})
        await self.wait_for(lambda m: m.get("type") == "subscribed")

    async def close(self) -> None:
        await self.ws.close()


class StackClient:
    """One signed-in person, as a browser would be: cookies, CSRF token, WebSockets."""

    def __init__(self, live: LiveStack, http: aiohttp.ClientSession) -> None:
        self.live, self.http = live, http
        self.user_id = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def signed_in(cls, live: LiveStack, username: str) -> Any:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address host
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
        connector = aiohttp.TCPConnector(ssl=False, limit=0)  # self-signed, loopback
        async with aiohttp.ClientSession(
            cookie_jar=jar, timeout=timeout, connector=connector
        ) as http:
            client = cls(live, http)
            await client.sign_in(username)
            yield client

    def base(self, daphne: str | None) -> str:
        if daphne is None:
            return self.live.url
        return f"http://127.0.0.1:{self.live.daphne_ports[daphne]}"

    def headers(self, daphne: str | None) -> dict[str, str]:
        """Straight to a daphne process, a request carries what nginx would add."""
        cookies = self.http.cookie_jar.filter_cookies(URL(self.live.url))
        headers = {"Origin": self.live.url, "Referer": f"{self.live.url}/"}
        if "csrftoken" in cookies:
            headers["X-CSRFToken"] = cookies["csrftoken"].value
        if daphne is not None:
            headers["Host"] = f"127.0.0.1:{self.live.https_port}"
            headers["X-Forwarded-Proto"] = "https"
            headers["Cookie"] = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
        return headers

    async def sign_in(self, username: str) -> None:
        async with self.http.get(f"{self.live.url}/accounts/login/") as page:
            token = CSRF_INPUT.search(await page.text())
        if token is None:
            raise AssertionError("no sign-in form")
        form = {
            "username": username,
            "password": self.live.password,
            "csrfmiddlewaretoken": token.group(1),
        }
        async with self.http.post(
            f"{self.live.url}/accounts/login/",
            data=form,
            headers=self.headers(None),
            allow_redirects=False,
        ) as answer:
            if answer.status != 302:
                raise AssertionError(f"{username} could not sign in: {answer.status}")
        _status, me = await self.api("GET", "/api/v1/me/")
        self.user_id = me["id"]

    async def api(
        self, method: str, path: str, body: dict | None = None, *, daphne: str | None = None
    ) -> tuple[int, Any]:
        async with self.http.request(
            method,
            self.base(daphne) + path,
            json=body,
            headers=self.headers(daphne),
            allow_redirects=False,
        ) as answer:
            text = await answer.text()
            try:
                return answer.status, await answer.json(content_type=None) if text else None
            except ValueError:
                return answer.status, text

    async def socket(self, daphne: str | None = None) -> StackSocket:
        """A WebSocket through nginx (``daphne=None``) or straight to one daphne, past
        its "hello"; it knows which daphne process took it."""
        before = {letter: self.live.ws_connects(letter) for letter in self.live.daphne_ports}
        base = self.base(daphne).replace("http", "ws", 1)
        ws = await self.http.ws_connect(
            f"{base}/ws/", headers=self.headers(daphne), heartbeat=None, max_msg_size=0
        )
        frame = await ws.receive(timeout=WS_TIMEOUT)
        if frame.type != aiohttp.WSMsgType.TEXT or frame.json().get("type") != "hello":
            await ws.close()
            raise ConnectionError(f"the socket was refused: {frame}")
        landed = daphne
        deadline = time.monotonic() + 5
        while landed is None and time.monotonic() < deadline:
            grown = [
                letter
                for letter in self.live.daphne_ports
                if self.live.ws_connects(letter) > before[letter]
            ]
            if len(grown) == 1:
                landed = grown[0]
            else:
                await asyncio.sleep(0.05)
        if landed is None:
            raise AssertionError("no daphne access log shows the socket")
        return StackSocket(ws, landed, self.user_id)
