"""Benchmark notifications: WebSocket latency on Redis and delivery throughput.

    .venv/bin/python scripts/bench_notifications.py [--moves 50 --deliveries 200]

Builds a fresh SQLite database in a temporary directory (never ``var/``) with the base
settings, the Redis channel layer (``--redis-url``, db 14 by default, under a prefix of
this run that is deleted at the end) and Celery tasks run eagerly (no broker). Then:

1. connects ``--clients`` agents of one queue to ``/ws/`` in-process (through
   ``helpdesk.asgi.application``, signed in by a session cookie) and subscribes each to
   the queue's board; moves a ticket ``--moves`` times with ``services.ticket_move`` and
   times, for every socket, the arrival of its ``ticket.moved``; assigns a ticket
   ``--moves`` times with ``services.ticket_assign`` to one of the agents in turn and
   times the arrival of the ``notification`` on that agent's socket;
2. sends ``--deliveries`` e-mail and push deliveries one after the other through
   ``notifications.delivery.deliver`` against a minimal SMTP server and a push service
   answering 201, both in this process on 127.0.0.1.

Prints Markdown tables (see docs/performance.md).

With ``--through-stack`` it measures the production stack of `make stack` instead
(scripts/stack.py: nginx, two daphne processes, two Celery workers, beat, MariaDB
``--database-url`` and a redis-server of its own on ``--stack-redis-port``):
``--clients`` WebSockets (1,000 by default there) of a signed-in manager, through nginx and
so spread over both daphne processes, watch one board; ``--moves`` board moves through
nginx's API are timed from the request to every socket's ``ticket.moved``. Prints p50,
p95, p99, max, lost, how the sockets were spread, the machine's load, and where the time
goes (the request's own latency, first and last arrival, CPU per process per move; see
scripts/bench_stack.py; ``--client-processes``, ``--direct``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.server
import logging
import os
import platform
import secrets
import shutil
import socketserver
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported for real once Django is set up
    from channels.testing import WebsocketCommunicator

    from accounts.models import User
    from tickets.models import Queue, Ticket

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
TARGET_P50_MS = 50
TARGET_P99_MS = 250
# How long one socket may take to hear of one change before it counts as lost.
ARRIVAL_TIMEOUT = 10
ORIGIN = (b"origin", b"http://localhost")
CLOSING_AT_ONCE = 25


# The machine facts (load average, CPU yardstick) are measured as bench.py measures them,
# at its import, so the two scripts' figures compare.
from bench import LOAD_AT_START, YARDSTICK_AT_START, cpu_yardstick, load_average  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100, help="connected agents")
    parser.add_argument("--moves", type=int, default=50, help="board moves, and assignments")
    parser.add_argument("--deliveries", type=int, default=200, help="per channel")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary database and print its path"
    )
    stack = parser.add_argument_group("through the production stack (scripts/stack.py)")
    stack.add_argument("--through-stack", action="store_true")
    stack.add_argument("--database-url", default="mysql://root@127.0.0.1:3306/bench_stack")
    stack.add_argument("--stack-redis-port", type=int, default=16412)
    stack.add_argument("--client-processes", type=int, default=1,
                       help="client processes the sockets are spread over")  # fmt: skip
    stack.add_argument("--direct", action="store_true",
                       help="sockets straight to each daphne (no nginx, no TLS)")  # fmt: skip
    stack.add_argument("--stack-ports", default="18403,18404,18413,18414",
                       help="nginx HTTP, nginx HTTPS, daphne A, daphne B")  # fmt: skip
    args = parser.parse_args()
    if args.through_stack and "--clients" not in sys.argv:
        args.clients = 1000
    return args


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def p256_key_pair() -> tuple[str, str]:
    """(public point, private value), encoded as browsers and VAPID settings hold them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return b64url(public), b64url(private)


# --- Redis ----------------------------------------------------------------------------


def redis_version(url: str) -> str:
    """Redis's version, or exit with a clear message when it is not there."""
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).info("server")["redis_version"]
    except redis.RedisError as exc:
        raise SystemExit(
            f"Redis is not reachable at {url} ({exc}).\n"
            "This benchmark measures the Redis channel layer: start redis-server "
            "(e.g. `redis-server --port 6379`) or point --redis-url at one."
        ) from exc


def redis_forget(url: str, prefix: str) -> int:
    """Delete what this run left in Redis (its channel layer and cache keys only)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)


# --- Loopback services ----------------------------------------------------------------


class Counting(socketserver.TCPServer):
    """Counts what a loopback server received (its handlers run in threads)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[socketserver.BaseRequestHandler]
    ) -> None:
        super().__init__(address, handler)
        self.lock = threading.Lock()
        self.count = 0
        self.bytes = 0

    def received(self, size: int) -> None:
        with self.lock:
            self.count += 1
            self.bytes += size

    @property
    def port(self) -> int:
        return self.server_address[1]


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every message is accepted and counted."""

    server: Counting

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 bench ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-bench\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                size = 0
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    size += len(data)
                self.server.received(size)
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class PushHandler(http.server.BaseHTTPRequestHandler):
    """A push service that accepts every message (201 Created, as the real ones do)."""

    server: Counting

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received(len(body))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the table says what arrived


class SmtpServer(Counting, socketserver.ThreadingTCPServer):
    pass


class PushServer(Counting, http.server.ThreadingHTTPServer):
    pass


def start(server_class: type[Counting], handler: type[socketserver.BaseRequestHandler]) -> Counting:
    server = server_class(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


# --- Django ---------------------------------------------------------------------------


@dataclass
class Setup:
    directory: Path
    database: Path
    redis_url: str
    prefix: str
    smtp: Counting
    push: Counting


def setup_django(setup: Setup, vapid: tuple[str, str]) -> None:
    """Point Django at a new database, this run's Redis prefix and the loopback servers
    before anything imports settings."""
    os.environ["DATABASE_URL"] = f"sqlite:///{setup.database}"
    os.environ["MEDIA_ROOT"] = str(setup.directory / "media")
    # Nothing static is served here; an existing folder keeps WhiteNoise from warning.
    os.environ["STATIC_ROOT"] = str(setup.directory / "static")
    (setup.directory / "static").mkdir()
    os.environ["DJANGO_ENV_FILE"] = ""  # no .env: nothing may redirect the database
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.base"
    os.environ["REDIS_URL"] = setup.redis_url
    os.environ["CHANNEL_LAYER_PREFIX"] = setup.prefix
    # No broker: the push and e-mail tasks run eagerly, in the thread of the change.
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["CELERY_RESULT_BACKEND"] = ""
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{setup.smtp.port}"
    os.environ["VAPID_PUBLIC_KEY"], os.environ["VAPID_PRIVATE_KEY"] = vapid
    os.environ["LOG_LEVEL"] = "WARNING"
    for name in ("NO_PROXY", "no_proxy"):  # requests must reach the push service directly
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    settings.CACHES  # noqa: B018 (reads the settings; the cache itself is not made yet)
    # The cache goes to the same Redis database: under this run's prefix, so neither a
    # stale workflow of an earlier run nor another run's keys can mix in.
    settings.CACHES["default"]["KEY_PREFIX"] = f"{setup.prefix}-cache"
    django.setup()
    from django.core.cache import cache
    from django.db import connection

    if Path(connection.settings_dict["NAME"]).resolve() != setup.database.resolve():
        raise SystemExit(f"refusing to run: the database is {connection.settings_dict['NAME']}")
    # Eager tasks still take a producer from the pool, whose broker URL is empty: kombu
    # warns once that it falls back to localhost, but nothing connects to it.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    if settings.DEBUG or not settings.CELERY_TASK_ALWAYS_EAGER:
        raise SystemExit("refusing to run: DEBUG is on or Celery is not eager")
    if cache.key_prefix != f"{setup.prefix}-cache":
        raise SystemExit("refusing to run: the cache is not under this run's prefix")
    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    if not backend.endswith("RedisChannelLayer"):
        raise SystemExit(f"refusing to run: the channel layer is {backend}")


# --- The data -------------------------------------------------------------------------


@dataclass
class World:
    queue: Queue
    lead: User
    agents: list[User]
    moving: Ticket
    assigning: Ticket
    sessions: dict[int, str] = field(default_factory=dict)


def build_world(clients: int) -> World:
    """A queue, its lead, ``clients`` agents with a session each, and two tickets."""
    from django.core.management import call_command

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_set_roles
    from tickets import services
    from tickets.models import Queue
    from tickets.workflow import ensure_default_workflow

    call_command("migrate", verbosity=0)
    ensure_default_workflow()

    def person(username: str, role: Role, email: str = "") -> User:
        # No password: nobody signs in with one, and hashing 100 would take seconds.
        user = User.objects.create_user(username=username, email=email, password=None)
        return user_set_roles(user=user, roles={role})

    queue = Queue.objects.create(name="Бенчмарк", key_prefix="BN", slug="bench")
    requester = person("bench-requester", Role.REQUESTER)  # no e-mail, no devices
    moving, assigning = (
        services.ticket_create(actor=requester, queue=queue, title=title)
        for title in ("Не печатает принтер в кабинете 214", "Не работает VPN из дома")
    )
    # Members join after the tickets exist: the benchmark is not about "new ticket".
    lead = person("bench-lead", Role.AGENT)
    agents = [
        person(f"bench-agent{n:03}", Role.AGENT, f"bench-agent{n:03}@example.com")
        for n in range(clients)
    ]
    queue.members.add(lead, *agents)
    world = World(queue=queue, lead=lead, agents=agents, moving=moving, assigning=assigning)
    world.sessions = {agent.pk: session_for(agent) for agent in agents}
    return world


def session_for(user: User) -> str:
    """A signed-in session made directly (what ``login`` stores), without 100 sign-ins."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


# --- WebSocket latency ----------------------------------------------------------------


class Socket:
    """One connected page: reads every message and notes when awaited ones arrive."""

    def __init__(self, user_id: int, communicator: WebsocketCommunicator) -> None:
        self.user_id = user_id
        self.communicator = communicator
        self.waiting: list[tuple[Callable[[dict], bool], asyncio.Future]] = []
        self.reader: asyncio.Task | None = None

    def expect(self, wanted: Callable[[dict], bool]) -> asyncio.Future:
        """A future of the perf_counter() time at which a matching message arrives."""
        arrived = asyncio.get_running_loop().create_future()
        self.waiting.append((wanted, arrived))
        return arrived

    async def read(self) -> None:
        while True:
            message = await self.communicator.receive_json_from(timeout=3600)
            now = time.perf_counter()
            for entry in list(self.waiting):
                wanted, arrived = entry
                if not arrived.done() and wanted(message):
                    arrived.set_result(now)
                    self.waiting.remove(entry)


async def connect(user_id: int, session_key: str, queue_id: int) -> Socket:
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from helpdesk.asgi import application

    cookie = (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"host", b"localhost"), ORIGIN, cookie]
    )
    connected, _ = await communicator.connect(timeout=10)
    hello = await communicator.receive_json_from(timeout=10)
    if not connected or hello.get("type") != "hello":
        raise SystemExit(f"socket of user {user_id} not signed in: {hello}")
    await communicator.send_json_to({"type": "subscribe", "board": [queue_id]})
    answer = await communicator.receive_json_from(timeout=10)
    if answer != {"type": "subscribed", "board": [queue_id]}:
        raise SystemExit(f"user {user_id} may not watch the board: {answer}")
    socket = Socket(user_id, communicator)
    socket.reader = asyncio.create_task(socket.read())
    return socket


@dataclass
class Latency:
    what: str
    times: list[float] = field(default_factory=list)  # seconds
    lost: int = 0
    calls: list[float] = field(default_factory=list)  # the service call itself
    firsts: list[float] = field(default_factory=list)  # per change: the first socket
    lasts: list[float] = field(default_factory=list)  # and the last one


async def arrivals(futures: list[asyncio.Future], started: float, row: Latency) -> None:
    done, pending = await asyncio.wait(futures, timeout=ARRIVAL_TIMEOUT)
    times = [future.result() - started for future in done]
    row.times += times
    if times:
        row.firsts.append(min(times))
        row.lasts.append(max(times))
    row.lost += len(pending)
    for future in pending:
        future.cancel()


async def timed_call(
    function: Callable[..., T], row: Latency | None, **kwargs: Any
) -> tuple[float, T]:
    from asgiref.sync import sync_to_async

    started = time.perf_counter()
    result = await sync_to_async(function)(**kwargs)
    if row is not None:
        row.calls.append(time.perf_counter() - started)
    return started, result


async def measure_moves(world: World, sockets: list[Socket], moves: int, row: Latency) -> None:
    """Move a card between "in progress" and "waiting"; every socket hears of each."""
    from asgiref.sync import sync_to_async

    from tickets import services
    from tickets.models import Status

    columns = [
        await sync_to_async(Status.objects.get)(code=code) for code in ("in_progress", "waiting")
    ]
    ticket = world.moving
    for number in range(moves + 1):  # the first one warms up
        version = ticket.version + 1

        def moved(message: dict, ticket_id: int = ticket.pk, version: int = version) -> bool:
            return (
                message.get("type") == "ticket.moved"
                and message.get("ticket_id") == ticket_id
                and message.get("version") == version
            )

        futures = [socket.expect(moved) for socket in sockets]
        started, result = await timed_call(
            services.ticket_move,
            row if number else None,
            actor=world.lead,
            ticket=ticket,
            status=columns[number % 2],
            version=ticket.version,
        )
        ticket = result.ticket
        await arrivals(futures, started, row if number else Latency("warm-up"))


async def measure_assignments(
    world: World, sockets: list[Socket], times: int, row: Latency
) -> None:
    """Assign a ticket to the next agent each time; that agent's socket hears of it."""
    from tickets import services

    ticket = world.assigning
    for number in range(times + 1):  # the first one warms up
        socket = sockets[number % len(sockets)]

        def assigned(message: dict, key: str = ticket.key) -> bool:
            return (
                message.get("type") == "notification"
                and message["notification"].get("event") == "assigned"
                and message["notification"].get("ticket") == key
            )

        arrived = socket.expect(assigned)
        assignee = world.agents[number % len(sockets)]
        started, ticket = await timed_call(
            services.ticket_assign,
            row if number else None,
            actor=world.lead,
            ticket=ticket,
            assignee=assignee,
        )
        await arrivals([arrived], started, row if number else Latency("warm-up"))


async def measure_latency(world: World, moves: int) -> tuple[list[Latency], float]:
    from channels.layers import get_channel_layer

    started = time.perf_counter()
    sockets = []
    for agent in world.agents:  # one by one, as pages open
        sockets.append(await connect(agent.pk, world.sessions[agent.pk], world.queue.pk))
    connected = time.perf_counter() - started
    move_row = Latency(f'board move → "ticket.moved" on each of {len(sockets)} sockets')
    assign_row = Latency('assignment → "notification" on the assignee\'s socket')
    try:
        await measure_moves(world, sockets, moves, move_row)
        await measure_assignments(world, sockets, moves, assign_row)
    finally:
        for socket in sockets:
            if socket.reader is not None:
                socket.reader.cancel()
        # Each close waits up to a second for its consumer to stop, so close several at
        # once, but not all: every consumer leaves its groups on its own Redis connection,
        # and the layer's pool (100 connections) raises instead of waiting when it is empty.
        for start in range(0, len(sockets), CLOSING_AT_ONCE):
            batch = sockets[start : start + CLOSING_AT_ONCE]
            await asyncio.gather(*(socket.communicator.disconnect() for socket in batch))
        await get_channel_layer().close_pools()
    return [move_row, assign_row], connected


# --- Delivery throughput --------------------------------------------------------------


@dataclass
class Throughput:
    what: str
    times: list[float] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    measured: bool = True
    note: str = ""


def pending_deliveries(world: World, recipient: User, channel: str, count: int) -> list[int]:
    """``count`` "assigned" notifications of ``recipient``, each with one pending delivery
    on ``channel`` (written in bulk: the receivers would also start them at once)."""
    from notifications.models import Delivery, Event, Notification

    ticket = world.assigning
    params = {"key": ticket.key, "title": ticket.title, "actor": world.lead.get_display_name()}
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            event=Event.ASSIGNED,
            ticket=ticket,
            actor=world.lead,
            params=params,
        )
        for _ in range(count)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(notification=notification, channel=channel) for notification in notifications
    )
    return [delivery.pk for delivery in deliveries]


def measure_deliveries(what: str, ids: list[int], server: Counting) -> Throughput:
    """``deliver`` each id in turn; stops after the first if that one is not sent."""
    from notifications.delivery import deliver
    from notifications.models import Delivery

    row = Throughput(what)
    before = server.count
    for number, delivery_id in enumerate(ids):
        started = time.perf_counter()
        try:
            state = deliver(delivery_id)
        except Exception as exc:  # TransientError: the delivery says why
            cause = exc.__cause__ or exc
            state = f"error ({type(cause).__name__})"
        row.times.append(time.perf_counter() - started)
        row.states[state] = row.states.get(state, 0) + 1
        if number == 0 and state != Delivery.State.SENT:
            error = Delivery.objects.get(pk=delivery_id).last_error or state
            row.measured = False
            row.note = f"not measured yet: the first delivery ended {state}: {error[:200]}"
            return row
    size = server.bytes / max(server.count - before, 1) / 1024
    row.note = f"the server received {server.count - before} ({size:.1f} KB each)"
    return row


def measure_throughput(world: World, setup: Setup, deliveries: int) -> list[Throughput]:
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_set_roles
    from notifications import web_push
    from notifications.models import Channel

    rows = []
    ids = pending_deliveries(world, world.agents[0], Channel.EMAIL, deliveries)
    rows.append(measure_deliveries("e-mail: SMTP server on 127.0.0.1", ids, setup.smtp))

    # One device, with a real P-256 key pair and auth secret, so pywebpush encrypts as
    # for a browser. The push service is plain HTTP on loopback: web_push.py and pywebpush
    # send to any URL; only the subscribe view insists on https, and it is not used here.
    device = User.objects.create_user(username="bench-push", email="", password=None)
    user_set_roles(user=device, roles={Role.AGENT})
    public, _private = p256_key_pair()
    web_push.subscription_save(
        user=device,
        endpoint=f"http://127.0.0.1:{setup.push.port}/push/{secrets.token_urlsafe(16)}",
        p256dh=public,
        auth=b64url(os.urandom(16)),
    )
    ids = pending_deliveries(world, device, Channel.PUSH, deliveries)
    rows.append(measure_deliveries("push: HTTP 201 service on 127.0.0.1", ids, setup.push))
    return rows


# --- Report ---------------------------------------------------------------------------


def percentile(seconds: list[float], point: int) -> float:
    if len(seconds) < 2:
        return seconds[0] * 1000 if seconds else float("nan")
    return statistics.quantiles(seconds, n=100, method="inclusive")[point - 1] * 1000


def verdict(row: Latency) -> str:
    if not row.times:
        return "nothing arrived"
    p50, p99 = percentile(row.times, 50), percentile(row.times, 99)
    met = p50 < TARGET_P50_MS and p99 < TARGET_P99_MS and not row.lost
    return "met" if met else "**missed**"


def print_latency(rows: list[Latency], connected: float, clients: int) -> None:
    print(
        "\n| WebSocket, Redis channel layer | samples | p50 ms | p99 ms | max ms | lost "
        f"| target p50 < {TARGET_P50_MS} / p99 < {TARGET_P99_MS} ms | service call p50 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for row in rows:
        top = max(row.times, default=float("nan")) * 1000
        print(
            f"| {row.what} | {len(row.times)} | {percentile(row.times, 50):.1f} | "
            f"{percentile(row.times, 99):.1f} | {top:.1f} | {row.lost} | {verdict(row)} | "
            f"{percentile(row.calls, 50):.1f} |"
        )
    print(
        f"\n- {clients} sockets connected (session cookie) and subscribed to the board in "
        f"{connected:.1f} s; latency runs from the call of the service (in a thread, "
        "sync_to_async) until the consumer's JSON is read from the socket in this process; "
        "one warm-up each. The service call includes its commit hooks: the live updates and "
        "the eager push and e-mail tasks of its notifications (no broker)."
    )
    fan_out = rows[0]
    if fan_out.firsts:
        print(
            f"- board move, per move: the first socket hears after p50 "
            f"{percentile(fan_out.firsts, 50):.1f} ms, the last after p50 "
            f"{percentile(fan_out.lasts, 50):.1f} ms"
        )


def print_throughput(rows: list[Throughput]) -> None:
    print(
        "\n| delivery through `deliver(id)`, one after the other | deliveries | per second "
        "| p50 ms | p99 ms | states | notes |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for row in rows:
        total = sum(row.times)
        states = ", ".join(f"{state} {count}" for state, count in sorted(row.states.items()))
        if row.measured and total:
            figures = (
                f"{len(row.times) / total:.0f} | {percentile(row.times, 50):.1f} | "
                f"{percentile(row.times, 99):.1f}"
            )
        else:
            figures = "– | – | –"
        print(f"| {row.what} | {len(row.times)} | {figures} | {states} | {row.note} |")


def print_machine(redis: str) -> None:
    from importlib.metadata import version

    import channels_redis
    import django

    print(
        f"\n- machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, Django {django.get_version()}, Redis {redis}, "
        f"channels-redis {channels_redis.__version__}, pywebpush {version('pywebpush')}, "
        f"SQLite database, {platform.platform()}"
    )
    print(
        f"- load average {LOAD_AT_START} at the start, {load_average()} at the end; "
        f"CPU yardstick {YARDSTICK_AT_START:.0f} ms at the start, {cpu_yardstick():.0f} ms "
        "at the end (a fixed Python loop: lower is faster)"
    )


# --- Main -----------------------------------------------------------------------------


def run(args: argparse.Namespace, setup: Setup, redis: str) -> None:
    started = time.monotonic()

    def step(text: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {text}", flush=True)

    step(f"Migrating and building {args.clients} agents in {setup.database} ...")
    world = build_world(args.clients)
    step(f"Connecting {args.clients} sockets, then {args.moves} moves and assignments ...")
    latency, connected = asyncio.run(measure_latency(world, args.moves))
    step(f"Sending {args.deliveries} e-mail and {args.deliveries} push deliveries ...")
    throughput = measure_throughput(world, setup, args.deliveries)
    step(f"Done (Redis keys under {setup.prefix} are deleted on exit).")
    print_latency(latency, connected, args.clients)
    print_throughput(throughput)
    print_machine(redis)


def main() -> None:
    args = parse_args()
    if args.through_stack:
        from bench_stack import run_through_stack

        run_through_stack(args)
        return
    redis = redis_version(args.redis_url)
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-bench-notifications-"))
    setup = Setup(
        directory=directory,
        database=directory / "bench.sqlite3",
        redis_url=args.redis_url,
        prefix=f"bench-notifications-{os.getpid()}-{secrets.token_hex(4)}",
        smtp=start(SmtpServer, SmtpHandler),
        push=start(PushServer, PushHandler),
    )
    try:
        setup_django(setup, p256_key_pair())
        run(args, setup, redis)
    finally:
        redis_forget(setup.redis_url, setup.prefix)
        for server in (setup.smtp, setup.push):
            server.shutdown()
            server.server_close()
        if args.keep:
            print(f"\nThe database is kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
