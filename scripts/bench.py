"""Benchmark the main pages on a large database, in-process.

    .venv/bin/python scripts/bench.py [--tickets 20000 --comments 100000 --runs 20]
    .venv/bin/python scripts/bench.py --database-url mysql://root@127.0.0.1:3306/hd_bench
                                      [--agents-per-queue 50]
    .venv/bin/python scripts/bench.py --tickets 300 --comments 1000 --runs 2 --queries
    .venv/bin/python scripts/bench.py --full-stack --database-url mysql://root@127.0.0.1:3306/hd_bench

Builds a fresh SQLite database in a temporary directory (never ``var/``), or with
``--database-url`` a new MariaDB/MySQL database (refused if the name exists; dropped at
the end unless ``--keep``), migrates it, loads the demo data in bulk (``tickets.demo``),
fills every queue up to ``--agents-per-queue`` agents, adds one ticket with 5 and one
with 50 comments through the services, then signs in an agent of every demo queue with
Django's test client and measures, over ``--runs`` repetitions, the median and 90th
percentile wall time and the SQL query count of the ticket list, a search matching about
1 % of the tickets, a ticket page, a board, filing a ticket (the form and the API) and a
status change with a comment (``--queries`` lists every query of each). The search is
also timed on its own (the first page of ranked ids and their snippets, without the page
around it), with one and with three words. Prints a Markdown table (see
docs/performance.md and docs/search.md).

With ``--full-stack`` (MariaDB only) the writes run as in production: the base settings
with ``REDIS_URL`` on a redis-server of the bench's own (``--redis-port``; cache, channel
layer and Celery broker) and a Celery worker subprocess on the bench database, so the
fan-out is queued, not eager. The request's figures then leave the fan-out out; each
write is also timed until the worker has delivered it (the broker's queue empty, nothing
unacknowledged, no delivery pending).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import logging
import os
import platform
import pstats
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:  # imported for real once Django is set up
    from django.test import Client
    from redis import Redis

    from accounts.models import User
    from tickets.demo.load import BatchReport, LoadResult
    from tickets.models import Queue, Status, Ticket

ROOT = Path(__file__).resolve().parent.parent


def load_average() -> str:
    """Other work on the machine slows every figure down; the report says how much ran."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


LOAD_AT_START = load_average()
SHOW_QUERIES = "--queries" in sys.argv


def cpu_yardstick() -> float:
    """Milliseconds for a fixed piece of pure Python (median of five): how fast this
    machine runs Python right now. Shared virtual machines vary by tens of per cent from
    one minute to the next; divide by it to compare runs."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number * number
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


YARDSTICK_AT_START = cpu_yardstick()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--agents-per-queue",
        type=int,
        default=50,
        help="agents in each demo queue, as a department has them (the demo has 2); "
        "every one of them hears of a new ticket",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the slowest query of each operation with SQLite's query plan",
    )
    parser.add_argument(
        "--queries",
        action="store_true",
        help="print every SQL query of one run of each operation",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print where the time of one run of each operation goes (cProfile)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a mysql:// URL naming a database that does not exist yet (default: a "
        "temporary SQLite file)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary database and print its path"
    )
    parser.add_argument(
        "--full-stack",
        action="store_true",
        help="Redis (cache, channel layer, broker) and a real Celery worker; needs --database-url",
    )
    parser.add_argument(
        "--redis-port", type=int, default=16416, help="the --full-stack redis-server's port"
    )
    args = parser.parse_args()
    if args.full_stack and not args.database_url:
        parser.error("--full-stack needs --database-url (a worker process shares the database)")
    return args


# Servers this run started (--full-stack), stopped at the end, the last first.
STARTED: list[subprocess.Popen[bytes]] = []


def stop_started() -> None:
    while STARTED:
        process = STARTED.pop()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """A redis-server of our own on ``port`` (no persistence), once it answers."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    process = subprocess.Popen(  # noqa: S603 - our arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(directory), "--maxclients", "20000"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.terminate()
    raise SystemExit(f"redis-server did not start on port {port}")


def mysql_database_create(url: str) -> str:
    """Create the database ``url`` names (refusing one that exists); returns its name."""
    from environ import Env

    config = Env.db_url_config(url)
    name = config["NAME"]
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to run: {name!r} is not a plain database name")
    server = mysql_server(config)
    try:
        cursor = server.cursor()
        if cursor.execute("SHOW DATABASES LIKE %s", [name]):
            raise SystemExit(f"refusing to run: the database {name} exists already")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        server.close()
    return name


def mysql_database_drop(url: str) -> None:
    from environ import Env

    config = Env.db_url_config(url)
    server = mysql_server(config)
    try:
        server.cursor().execute(f"DROP DATABASE IF EXISTS `{config['NAME']}`")
    finally:
        server.close()


def mysql_server(config: dict):
    import MySQLdb

    return MySQLdb.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=int(config.get("PORT") or 3306),
        user=config.get("USER") or "root",
        password=config.get("PASSWORD") or "",
        charset="utf8mb4",
    )


def setup_django(directory: Path, url: str = "", redis_url: str = "") -> str:
    """Point Django at a new database (a file in ``directory``, or the database ``url``
    names) before anything imports settings; returns what the report calls it. With
    ``redis_url``, the full stack: the base settings on that Redis, tasks queued."""
    database = directory / "bench.sqlite3"
    os.environ["DATABASE_URL"] = url or f"sqlite:///{database}"
    os.environ["MEDIA_ROOT"] = str(directory / "media")
    os.environ["DJANGO_ENV_FILE"] = ""  # no .env: nothing may redirect the database
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    if redis_url:
        # The base settings as a deployment has them: Redis cache, channel layer and
        # broker (tasks queued for the worker), e-mail to the worker's log.
        os.environ["REDIS_URL"] = redis_url
        os.environ["CELERY_BROKER_URL"] = redis_url
        os.environ["EMAIL_URL"] = "consolemail://"
        os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
        os.environ["STATIC_ROOT"] = str(directory / "static")
        (directory / "static").mkdir()
        os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.base"
    else:
        # The test settings: fast password hashing, local-memory cache, eager tasks,
        # "testserver" allowed; DEBUG stays off as in production.
        os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.test"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if url:
        from environ import Env

        if connection.vendor != "mysql" or name != Env.db_url_config(url)["NAME"]:
            raise SystemExit(f"refusing to run: the database is {connection.vendor} {name}")
    elif Path(name).resolve() != database.resolve():
        raise SystemExit(f"refusing to run: the database is {name}")
    if settings.DEBUG:
        raise SystemExit("refusing to run: DEBUG is on")
    if redis_url and settings.CELERY_TASK_ALWAYS_EAGER:
        raise SystemExit("refusing to run: --full-stack but the tasks are eager")
    # The probes of the write endpoints log their 400 answers; the table says enough.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    return str(database) if not url else f"MariaDB/MySQL database {name}"


# --- Measuring ------------------------------------------------------------------------


@dataclass
class Row:
    operation: str
    times: list[float] = field(default_factory=list)
    queries: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p90(self) -> float:
        if len(self.times) < 2:
            return self.median
        return statistics.quantiles(self.times, n=10, method="inclusive")[-1] * 1000


def measure(
    name: str,
    action: Callable[[], object],
    *,
    runs: int,
    prepare: Callable[[], None] | None = None,
    explain: bool = False,
    profile: bool = False,
) -> Row:
    """Time ``action`` ``runs`` times (after a warm-up), then count its queries once."""
    row = Row(name)
    for run in range(runs + 1):
        if prepare is not None:
            prepare()
        started = time.perf_counter()
        action()
        if run:  # the first run warms caches and templates
            row.times.append(time.perf_counter() - started)
    return finish_row(row, action, prepare=prepare, explain=explain, profile=profile)


def measure_interleaved(
    actions: list[tuple[str, Callable[[], object]]],
    *,
    runs: int,
    explain: bool = False,
    profile: bool = False,
) -> list[Row]:
    """Time several read-only actions in turns (one warm-up each), so that a machine whose
    speed drifts treats them alike; then count each one's queries."""
    rows = [Row(name) for name, _action in actions]
    for _name, action in actions:
        action()
    for _run in range(runs):
        for row, (_name, action) in zip(rows, actions, strict=True):
            started = time.perf_counter()
            action()
            row.times.append(time.perf_counter() - started)
    return [
        finish_row(row, action, explain=explain, profile=profile)
        for row, (_name, action) in zip(rows, actions, strict=True)
    ]


def finish_row(
    row: Row,
    action: Callable[[], object],
    *,
    prepare: Callable[[], None] | None = None,
    explain: bool = False,
    profile: bool = False,
) -> Row:
    """Count the queries of one more run; print its plan or profile when asked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    name = row.operation
    if prepare is not None:
        prepare()
    with CaptureQueriesContext(connection) as captured:
        action()
    row.queries = len(captured)
    if SHOW_QUERIES:
        print(f"\n-- {name}: {len(captured)} queries")
        for number, query in enumerate(captured.captured_queries, 1):
            print(f"{number:3}. {' '.join(query['sql'].split())[:160]}")
    if explain:
        print_slowest(name, captured.captured_queries)
    if profile:
        if prepare is not None:
            prepare()
        profiler = cProfile.Profile()
        profiler.runcall(action)
        print(f"\n-- {name}: one run under cProfile")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return row


def print_slowest(name: str, queries: list[dict]) -> None:
    from django.db import connection

    if not queries:
        return
    slowest = max(queries, key=lambda query: float(query["time"]))
    print(f"\n-- {name}: slowest of {len(queries)} queries, {float(slowest['time']) * 1000:.1f} ms")
    print(slowest["sql"][:1500])
    if slowest["sql"].lstrip().upper().startswith("SELECT"):
        explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        with connection.cursor() as cursor:
            cursor.execute(explain + slowest["sql"])
            for row in cursor.fetchall():
                print("   ", row[-1] if connection.vendor == "sqlite" else row)


def checked_get(client: Client, url: str, notes: dict[str, str]) -> Callable[[], None]:
    def get() -> None:
        response = client.get(url)
        if response.status_code != 200:
            notes[url] = f"HTTP {response.status_code}"
        else:
            notes[url] = f"{len(response.content) / 1024:.0f} KB of HTML"

    return get


# --- The data -------------------------------------------------------------------------


def build_dataset(args: argparse.Namespace) -> tuple[LoadResult, float]:
    from django.core.management import call_command

    from accounts.demo import demo_personas_ensure
    from tickets.demo import demo_queues_ensure, demo_tickets_load

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    migrated = time.monotonic() - started
    demo_personas_ensure(password=secrets.token_urlsafe(16))
    demo_queues_ensure()

    def progress(report: BatchReport) -> None:
        if report.batch % 10 == 0 or report.batch == report.batches:
            print(f"  batch {report.batch}/{report.batches} ({report.seconds:.1f} s)", flush=True)

    result = demo_tickets_load(
        total=args.tickets,
        seed=args.seed,
        comments_per_ticket=args.comments / max(args.tickets, 1),
        batch_size=1000,
        progress=progress,
    )
    return result, migrated


def bench_agent() -> User:
    """An agent of every demo queue: the list and search see all the demo tickets."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_set_roles
    from tickets.models import Queue

    agent, _created = User.objects.get_or_create(
        username="bench-agent", defaults={"first_name": "Bench", "last_name": "Agent"}
    )
    user_set_roles(user=agent, roles={Role.AGENT})
    for queue in Queue.objects.all():
        queue.members.add(agent)
    return agent


def queue_agents_ensure(count: int) -> dict[str, int]:
    """Fill every queue up to ``count`` agent members (new agents with an e-mail address,
    written in bulk); returns each queue's prefix with its number of members."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role
    from tickets.models import Queue
    from tickets.workflow import agents_changed

    group, _created = Group.objects.get_or_create(name=Role.AGENT.value)
    members = Queue.members.through
    unusable = make_password(None)
    sizes = {}
    for queue in Queue.objects.order_by("key_prefix"):
        missing = count - members.objects.filter(queue=queue).count()
        if missing > 0:
            prefix = queue.key_prefix.lower()
            User.objects.bulk_create(
                User(
                    username=f"bench-{prefix}-{number}",
                    first_name="Agent",
                    last_name=f"{queue.key_prefix} {number}",
                    email=f"bench-{prefix}-{number}@example.com",
                    password=unusable,
                )
                for number in range(missing)
            )
            people = list(User.objects.filter(username__startswith=f"bench-{prefix}-"))
            User.groups.through.objects.bulk_create(
                User.groups.through(user_id=person.pk, group_id=group.pk) for person in people
            )
            members.objects.bulk_create(members(queue=queue, user=person) for person in people)
        sizes[queue.key_prefix] = members.objects.filter(queue=queue).count()
    agents_changed()  # bulk writes send no signals
    return sizes


def ticket_with_comments(*, count: int, agent: User, queue: Queue, title: str) -> Ticket:
    """A ticket with ``count`` comments, made through the services like real ones."""
    from accounts.models import User
    from tickets import services

    requester = User.objects.get(username="requester1")
    ticket = services.ticket_create(
        actor=requester,
        queue=queue,
        title=title,
        description="Принтер в кабинете 214 не печатает.\n\n- перезагружали\n- бумага есть",
    )
    for number in range(count):
        author, internal = (agent, number % 5 == 4) if number % 2 else (requester, False)
        services.comment_add(
            actor=author,
            ticket=ticket,
            body=f"Комментарий {number + 1}: **проверили** драйвер и очередь печати.",
            is_internal=internal,
        )
    return ticket


# --- The writes -----------------------------------------------------------------------


def create_ticket_action(
    client: Client, agent: User, queue: Queue
) -> tuple[Callable[[], object], str]:
    """Filing a ticket through ``POST /tickets/new/``, or the service if it is a stub."""
    from tickets import services
    from tickets.models import Ticket
    from tickets.workflow import workflow

    data = {
        "queue": str(queue.pk),
        "title": "Не работает VPN из дома",
        "description": "Клиент пишет **TLS handshake failed**.",
        "priority": str(workflow().default_priority.pk),
    }
    before = Ticket.objects.count()
    response = client.post("/tickets/new/", data)
    if response.status_code in (301, 302, 303) and Ticket.objects.count() == before + 1:
        return (lambda: client.post("/tickets/new/", data)), "POST /tickets/new/"

    def service() -> None:
        services.ticket_create(
            actor=agent, queue=queue, title=data["title"], description=data["description"]
        )

    return service, f"services.ticket_create (the page answered {response.status_code})"


def create_ticket_api_action(client: Client, queue: Queue) -> tuple[Callable[[], object], str]:
    """Filing a ticket through ``POST /api/v1/tickets/`` (JSON)."""
    import json

    body = json.dumps(
        {
            "queue": queue.pk,
            "title": "Не открывается 1С после обновления",
            "description": "Ошибка **формата хранилища** при запуске.",
        }
    )

    def post() -> None:
        response = client.post("/api/v1/tickets/", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"POST /api/v1/tickets/ answered {response.status_code}")

    post()
    return post, "POST /api/v1/tickets/"


@dataclass
class StatusChange:
    """The ticket as the next change sees it, and the status it goes to."""

    ticket: Ticket
    target: Status


def status_change_action(
    client: Client, agent: User, ticket: Ticket
) -> tuple[Callable[[], None], Callable[[], None], str]:
    """A status change with a comment: the page's endpoints if they work, else the service.

    Returns (prepare, action, how). ``prepare`` reads the ticket's current version and
    picks the other of two open statuses, outside the timing.
    """
    from tickets import services
    from tickets.models import Comment, Ticket
    from tickets.workflow import workflow

    flow = workflow()
    in_progress = next(s for s in flow.statuses if s.code == "in_progress")
    waiting = next(s for s in flow.statuses if s.code == "waiting")
    state = StatusChange(ticket=ticket, target=in_progress)

    def prepare() -> None:
        current = Ticket.objects.get(pk=ticket.pk)
        state.ticket = current
        state.target = waiting if current.status_id == in_progress.pk else in_progress

    def changed(before_comments: int) -> bool:
        current = Ticket.objects.get(pk=ticket.pk)
        comments = Comment.objects.filter(ticket=ticket).count()
        return current.status_id == state.target.pk and comments == before_comments + 1

    url = f"/tickets/{ticket.key}/"
    body = "Жду ответа от пользователя: уточнил модель принтера."

    def one_request() -> None:
        client.post(
            url + "comment/",
            {
                "body": body,
                "status": str(state.target.pk),
                "version": str(state.ticket.version),
            },
        )

    def two_requests() -> None:
        client.post(
            url + "update/",
            {
                "field": "status",
                "value": str(state.target.pk),
                "version": str(state.ticket.version),
            },
        )
        client.post(url + "comment/", {"body": body})

    answers = []
    for action, how in (
        (one_request, f"POST {url}comment/ with status and body"),
        (two_requests, f"POST {url}update/ + POST {url}comment/"),
    ):
        prepare()
        before = Comment.objects.filter(ticket=ticket).count()
        answer = client.post(url + "comment/", {}).status_code  # probe, changes nothing
        answers.append(answer)
        if answer == 501:
            break
        action()
        if changed(before):
            return prepare, action, how

    def service() -> None:
        services.ticket_change_status(
            actor=agent,
            ticket=state.ticket,
            status=state.target,
            comment=body,
            version=state.ticket.version,
        )

    how = f"services.ticket_change_status(comment=...) (the page answered {answers[-1]})"
    return prepare, service, how


# --- Report ---------------------------------------------------------------------------


# --- The full stack (--full-stack) -----------------------------------------------------


def start_worker(directory: Path) -> subprocess.Popen[bytes]:
    """A Celery worker on the bench's settings and database (the environment
    ``setup_django`` made), logging to ``directory``; returns once it answers a ping."""
    from helpdesk.celery import app

    log = open(directory / "worker.log", "ab")  # noqa: SIM115 - the worker's, closed with it
    worker = subprocess.Popen(  # noqa: S603 - our arguments
        [str(Path(sys.executable).parent / "celery"), "-A", "helpdesk", "worker",
         "--loglevel=WARNING", "--concurrency=2", "--hostname=bench@%h"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise SystemExit(f"the Celery worker did not start: see {directory / 'worker.log'}")
    return worker


def worker_idle(broker: Redis) -> bool:
    """Nothing queued or running for the worker, and no delivery due."""
    from django.utils import timezone

    from helpdesk.outbox import OutboxState
    from notifications.models import Delivery

    queued = sum(broker.llen(key) for key in broker.scan_iter(match="celery*"))
    if queued or broker.hlen("unacked"):
        return False
    return not Delivery.objects.filter(
        state__in=[OutboxState.PENDING, OutboxState.SENDING],
        next_attempt_at__lte=timezone.now(),
    ).exists()


def wait_idle(broker: Redis, timeout: float = 600) -> float:
    """Seconds until the worker is idle (see ``worker_idle``), polled every 5 ms."""
    started = time.perf_counter()
    while not worker_idle(broker):
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"the worker was not done after {timeout:.0f} s")
        time.sleep(0.005)
    return time.perf_counter() - started


def measure_delivered(
    name: str,
    action: Callable[[], object],
    broker: Redis,
    *,
    runs: int,
    prepare: Callable[[], None] | None = None,
) -> Row:
    """From the request until the worker has delivered its fan-out, one at a time (the
    worker idle before each)."""
    row = Row(name)
    busy = 0
    for _run in range(runs):
        if prepare is not None:
            prepare()
        wait_idle(broker)
        started = time.perf_counter()
        action()
        busy += not worker_idle(broker)
        wait_idle(broker)
        row.times.append(time.perf_counter() - started)
    row.note = (
        "the request, then until nothing is queued, unacknowledged or pending; the worker "
        f"had work after {busy} of {runs} requests"
    )
    return row


def mention_agent(agent: User, every: int = 50) -> int:
    """Every ``every``-th comment mentions the bench agent (as a ``CommentMention`` row,
    what the comment service writes), so the home page's "mentioned since my last
    answer" block and the list's ``mentioned=me`` have rows to look through."""
    from tickets.models import Comment, CommentMention

    rows = Comment.objects.values_list("pk", "ticket_id", "created_at", "is_internal")
    mentions = [
        CommentMention(
            comment_id=pk, ticket_id=ticket_id, user=agent, created_at=at, is_internal=internal
        )
        for number, (pk, ticket_id, at, internal) in enumerate(rows.iterator())
        if number % every == 0
    ]
    CommentMention.objects.bulk_create(mentions, batch_size=1000, ignore_conflicts=True)
    return len(mentions)


def bench_manager() -> User:
    """A manager: the home page and the dashboard over every queue."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_set_roles

    manager, _created = User.objects.get_or_create(
        username="bench-manager", defaults={"first_name": "Bench", "last_name": "Manager"}
    )
    user_set_roles(user=manager, roles={Role.MANAGER})
    return manager


def export_figures(client: Client, url: str) -> str:
    """One CSV export of every ticket, read to the end as a browser would: its time, size
    and the peak of memory Python allocated meanwhile (tracemalloc, a second run, as
    tracing slows it down)."""
    import tracemalloc

    started = time.perf_counter()
    response = client.get(url)
    chunks: Iterable[bytes] = getattr(response, "streaming_content", [])
    size = sum(len(chunk) for chunk in chunks)
    seconds = time.perf_counter() - started
    rows = response.get("X-Export-Rows", "?")
    tracemalloc.start()
    response = client.get(url)
    for _chunk in getattr(response, "streaming_content", []):
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        f"CSV export `{url}` of {rows} tickets: {seconds:.2f} s, {size / 1e6:.1f} MB, "
        f"peak Python memory {peak / 1e6:.1f} MB while streaming (target ≤ 5 s, flat)"
    )


def query_count(client: Client, url: str) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    suffix = "" if response.status_code == 200 else f" (HTTP {response.status_code})"
    return f"{len(captured)}{suffix}"


def print_report(
    rows: list[Row],
    *,
    args: argparse.Namespace,
    result: LoadResult,
    migrated: float,
    database: str,
    extra: list[str],
) -> None:
    import django

    print("\n| operation | median ms | p90 ms | queries | notes |")
    print("| --- | ---: | ---: | ---: | --- |")
    for row in rows:
        print(
            f"| {row.operation} | {row.median:.1f} | {row.p90:.1f} | {row.queries} | {row.note} |"
        )
    print()
    for line in extra:
        print(f"- {line}")
    print(
        f"- dataset: {result.created} tickets, {result.comments} comments, "
        f"{result.events} history entries, {result.search_documents} search documents; "
        f"built in {result.seconds:.0f} s (+ {migrated:.0f} s migrations); "
        f"{database}: {database_size() / 1e6:.0f} MB"
    )
    print(
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, Django {django.get_version()}, {database_version()}, "
        f"{platform.platform()}"
    )
    print(
        f"- {args.runs} runs per operation after one warm-up (the seven reads in turns); "
        "times are in-process; "
        f"load average {LOAD_AT_START} at the start, {load_average()} at the end; "
        f"CPU yardstick {YARDSTICK_AT_START:.0f} ms at the start, {cpu_yardstick():.0f} ms "
        "at the end (a fixed Python loop: lower is faster)"
    )


def database_size() -> int:
    from django.db import connection

    if connection.vendor == "sqlite":
        return Path(connection.settings_dict["NAME"]).stat().st_size
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(data_length + index_length) FROM information_schema.tables "
            "WHERE table_schema = DATABASE()"
        )
        return int(cursor.fetchone()[0] or 0)


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]} (module {sqlite3.sqlite_version})"
        cursor.execute("select version()")
        return f"MariaDB/MySQL {cursor.fetchone()[0]}"


def search_index_parts() -> list[tuple[str, int]]:
    """Bytes on disk of the documents table and of the engine's index, by table."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'tickets_search%' "
                "GROUP BY name ORDER BY name"
            )
            return [(name, int(size)) for name, size in cursor.fetchall()]
        # InnoDB keeps a FULLTEXT index in auxiliary tables (FTS_...), one file each; the
        # documents table's file holds the normalised text. Sizes are of the files.
        cursor.execute(
            "SELECT name, file_size FROM information_schema.innodb_sys_tablespaces "
            "WHERE name = CONCAT(DATABASE(), '/tickets_searchdocument') "
            "OR name LIKE CONCAT(DATABASE(), '/FTS\\_%') ORDER BY name"
        )
        rows = [(name.split("/", 1)[1], int(size)) for name, size in cursor.fetchall()]
    documents = [row for row in rows if not row[0].startswith("FTS_")]
    engine = sum(size for name, size in rows if name.startswith("FTS_"))
    return [*documents, (f"FULLTEXT tables ({len(rows) - len(documents)} files)", engine)]


def searchable_text() -> int:
    """Bytes (UTF-8) of titles, descriptions and comments: what the search covers."""
    from django.db import connection

    blob = "CAST({} AS BLOB)" if connection.vendor == "sqlite" else "{}"
    title, description, body = (blob.format(name) for name in ("title", "description", "body"))
    sql = (
        f"SELECT (SELECT SUM(LENGTH({title}) + LENGTH({description})) FROM tickets_ticket)"  # noqa: S608
        f" + (SELECT SUM(LENGTH({body})) FROM tickets_comment)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0] or 0)


def normalised_text() -> int:
    """Bytes (UTF-8) of the normal forms the documents hold."""
    from django.db import connection

    columns = ("title", "description", "comments", "notes")
    blob = "CAST({} AS BLOB)" if connection.vendor == "sqlite" else "{}"
    total = " + ".join(f"LENGTH({blob.format(name)})" for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM({total}) FROM tickets_searchdocument")  # noqa: S608
        return int(cursor.fetchone()[0] or 0)


def search_figures(total: int) -> list[str]:
    """The search index's size beside the text it covers, and a full rebuild's time."""
    import io

    from django.core.management import call_command

    text = searchable_text()
    normal = normalised_text()
    parts = search_index_parts()
    index = sum(size for _name, size in parts)
    started = time.perf_counter()
    call_command("search_reindex", stdout=io.StringIO())
    seconds = time.perf_counter() - started
    detail = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in parts)
    return [
        f"search index {index / 1e6:.1f} MB ({detail}) for {text / 1e6:.1f} MB of "
        f"searchable text (titles, descriptions, comments): {index / max(text, 1):.2f}x; "
        f"the normal forms alone are {normal / 1e6:.1f} MB ({normal / max(text, 1):.2f}x)",
        f"`search_reindex` of {total} tickets: {seconds:.1f} s",
    ]


def search_action(agent: User, query: str) -> Callable[[], object]:
    """The search alone, as the list runs it: the first page of ids in rank order, then
    the snippets of those tickets (no count, no page around it)."""
    from django.db.models import F

    from tickets.search import page_snippets
    from tickets.selectors import search_visible_tickets

    def search() -> object:
        ids = list(
            search_visible_tickets(agent, query)
            .order_by(F("search_rank").desc(), F("id").desc())
            .values_list("pk", flat=True)[:25]
        )
        return page_snippets(ids, query)

    return search


def three_word_query(agent, word: str) -> str:
    """``word`` and two more words of the title of a ticket that holds it."""
    import re

    from tickets.lemmas import STOPWORDS
    from tickets.selectors import search_visible_tickets

    title = search_visible_tickets(agent, word).values_list("title", flat=True).first() or ""
    others = [
        w for w in re.findall(r"[^\W\d_]{4,}", title.lower()) if w not in STOPWORDS and w != word
    ]
    return " ".join([word, *others[:2]])


def run(args: argparse.Namespace, database: str, directory: Path) -> None:
    from django.test import Client

    from tickets.demo import RARE_WORD
    from tickets.models import Queue
    from tickets.selectors import search_visible_tickets

    print(f"Building {args.tickets} tickets with {args.comments} comments in {database} ...")
    result, migrated = build_dataset(args)
    search_lines = search_figures(result.total)
    # Measure as a serving process would: without the loader's leftovers (its lemma cache
    # alone holds tens of thousands of entries that every full garbage collection walks).
    from tickets.lemmas import lemmas

    lemmas.cache_clear()
    gc.collect()
    agent = bench_agent()
    sizes = queue_agents_ensure(args.agents_per_queue)
    print("agents per queue: " + ", ".join(f"{key} {size}" for key, size in sizes.items()))
    queue = Queue.objects.get(key_prefix="HD")
    five = ticket_with_comments(
        count=5, agent=agent, queue=queue, title="Не печатает принтер в кабинете 214"
    )
    fifty = ticket_with_comments(
        count=50, agent=agent, queue=queue, title="Не печатает принтер в кабинете 308"
    )
    changing = ticket_with_comments(
        count=0, agent=agent, queue=queue, title="Сканер не сохраняет в сетевую папку"
    )
    mentions = mention_agent(agent)
    print(f"{mentions} comments mention {agent.username} (the home page's mentioned block)")
    broker = None
    runs = min(args.runs, 10)
    if args.full_stack:
        import redis
        from django.conf import settings

        STARTED.append(start_worker(directory))
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        print(f"Celery worker up; {wait_idle(broker):.1f} s to drain the load's backlog")
    client = Client()
    client.force_login(agent)
    notes: dict[str, str] = {}
    matches = search_visible_tickets(agent, RARE_WORD).count()
    three_words = three_word_query(agent, RARE_WORD)
    matches_three = search_visible_tickets(agent, three_words).count()
    search_three_url = f"/tickets/?state=all&q={quote(three_words)}"

    list_url = "/tickets/?state=open&sort=-priority"
    search_url = f"/tickets/?state=all&q={RARE_WORD}"
    detail_url = fifty.get_absolute_url()
    board_url = f"/board/{queue.slug}/"
    manager_client = Client()
    manager_client.force_login(bench_manager())
    reads = [
        (f"ticket list `{list_url}` (25 rows)", list_url),
        (f"search `{RARE_WORD}`: {matches} of {result.total} tickets", search_url),
        (f"search `{three_words}`: {matches_three} tickets", search_three_url),
        (f"ticket page with 50 comments `{detail_url}`", detail_url),
        (f"board `{board_url}`", board_url),
    ]
    # The home page and the dashboard (reports): targets 60 and 150 ms.
    report_reads = [
        ("home page, agent of every queue `/` (target ≤ 60 ms)", client, "/"),
        ("home page, manager `/` (target ≤ 60 ms)", manager_client, "/"),
        (
            "home page's figures, agent of every queue `/home/figures/`",
            client,
            "/home/figures/",
        ),
        (
            "managers' home: embedded dashboard `/dashboard/?embed=1`",
            manager_client,
            "/dashboard/?embed=1",
        ),
        (
            "list: mentioned since my last answer `/tickets/?mentioned=me`",
            client,
            "/tickets/?mentioned=me",
        ),
        ("list: requester replied `/tickets/?awaiting=me`", client, "/tickets/?awaiting=me"),
        (
            "dashboard, manager, 30 days `/dashboard/` (target ≤ 150 ms)",
            manager_client,
            "/dashboard/",
        ),
        (
            "dashboard, manager, 90 days `/dashboard/?period=90` (target ≤ 150 ms)",
            manager_client,
            "/dashboard/?period=90",
        ),
    ]
    searches = [
        (f"search alone `{RARE_WORD}`: first 25 ids + snippets", RARE_WORD),
        (f"search alone `{three_words}`: first 25 ids + snippets", three_words),
    ]
    detail = {"explain": args.explain, "profile": args.profile}
    rows = measure_interleaved(
        [(name, checked_get(client, url, notes)) for name, url in reads]
        + [(name, checked_get(who, url, notes)) for name, who, url in report_reads]
        + [(name, search_action(agent, query)) for name, query in searches],
        runs=args.runs,
        **detail,
    )
    for row, (_name, url) in zip(rows, reads, strict=False):
        row.note = notes.get(url, "")
    for row, (_name, _who, url) in zip(rows[len(reads) :], report_reads, strict=False):
        row.note = notes.get(url, "")
    for row in rows[len(reads) + len(report_reads) :]:
        row.note = "the queryset and `page_snippets`, without the page"
    create, create_how = create_ticket_action(client, agent, queue)
    rows.append(measure("create a ticket (form)", create, runs=args.runs, **detail))
    rows[-1].note = create_how
    create_api, create_api_how = create_ticket_api_action(client, queue)
    rows.append(measure("create a ticket (API)", create_api, runs=args.runs, **detail))
    rows[-1].note = create_api_how
    prepare, change, change_how = status_change_action(client, agent, changing)
    rows.append(
        measure(
            "status change with a comment",
            change,
            runs=args.runs,
            prepare=prepare,
            **detail,
        )
    )
    rows[-1].note = change_how
    if broker is not None:
        rows += [
            measure_delivered("create a ticket (form) → worker done", create, broker, runs=runs),
            measure_delivered("create a ticket (API) → worker done", create_api, broker, runs=runs),
            measure_delivered(
                "status change with a comment → worker done",
                change,
                broker,
                runs=runs,
                prepare=prepare,
            ),
        ]
    extra = [
        export_figures(manager_client, "/reports/tickets.csv?state=all"),
        f"list query count, 25 vs 100 rows: {query_count(client, list_url)} vs "
        f"{query_count(client, list_url + '&per_page=100')}",
        f"ticket page query count, 5 vs 50 comments: "
        f"{query_count(client, five.get_absolute_url())} vs {query_count(client, detail_url)}",
        f"search `{RARE_WORD}` matches {matches} tickets "
        f"({100 * matches / max(result.total, 1):.2f} %)",
        *search_lines,
        "agents per queue (each hears of a new ticket): "
        + ", ".join(f"{key} {size}" for key, size in sizes.items()),
    ]
    print_report(rows, args=args, result=result, migrated=migrated, database=database, extra=extra)


def main() -> None:
    args = parse_args()
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    if args.database_url:
        mysql_database_create(args.database_url)
    try:
        redis_url = ""
        if args.full_stack:
            STARTED.append(start_redis(args.redis_port, directory))
            redis_url = f"redis://127.0.0.1:{args.redis_port}/0"
        database = setup_django(directory, args.database_url, redis_url)
        if args.full_stack:
            database += f", Redis on port {args.redis_port}, a Celery worker (concurrency 2)"
        run(args, database, directory)
    finally:
        stop_started()
        if args.keep:
            print(f"\nThe database is kept: {args.database_url or directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
            if args.database_url:
                from django.db import connections

                connections.close_all()
                mysql_database_drop(args.database_url)


if __name__ == "__main__":
    main()
