"""`bench_notifications.py --through-stack`: board moves to many WebSockets through the
production stack of `make stack` (scripts/stack.py), as browsers would see them.

The stack runs on its own redis-server (started and stopped here) and the MariaDB database
of ``--database-url`` (dropped and made afresh). One manager signs in through nginx; its
session opens ``--clients`` WebSockets through nginx (round robin over both daphne
processes; their access logs say how many each took) and each watches one board. Every
move goes through nginx to ``POST /api/v1/tickets/<id>/move/``; its latency runs from the
request until the socket has read the ``ticket.moved`` JSON, for each socket.

It also prints where the time goes: the move request's own round trip, the first and last
socket's arrival per move (per daphne process with ``--direct``, which connects straight
to each daphne, without nginx and TLS), and each process's CPU per move (daphne, redis,
nginx's workers, the clients) with its idle CPU before the moves. ``--client-processes``
spreads the sockets over several client processes (forked after the sign-in; their
``perf_counter`` clocks are the machine's monotonic clock, so times compare).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp
from bench import LOAD_AT_START, load_average, start_redis
from stack import Ports, Stack, StackConfig
from yarl import URL

TARGET_P50_MS = 50
TARGET_P99_MS = 250
ARRIVAL_TIMEOUT = 10
CONNECTING_AT_ONCE = 50
# Before the moves, the processes' CPU is sampled this long with nothing happening.
IDLE_SECONDS = 2
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def percentile(values: list[float], point: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[point - 1]


def drop_database(url: str) -> None:
    import MySQLdb

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "_stack" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the bench's database is named *_stack*")
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    connection.close()


class Watcher:
    """One socket: notes when each awaited ``ticket.moved`` version arrives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, target: str) -> None:
        self.ws = ws
        self.target = target
        self.arrived: dict[int, float] = {}

    async def read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.perf_counter()
            message = frame.json()
            if message.get("type") == "ticket.moved":
                self.arrived[message["version"]] = now


async def sign_in(http: aiohttp.ClientSession, url: str, password: str) -> dict[str, str]:
    async with http.get(f"{url}/accounts/login/") as page:
        token = CSRF_INPUT.search(await page.text())
    if token is None:
        raise SystemExit("no sign-in form")
    cookies = http.cookie_jar.filter_cookies(URL(url))
    headers = {"Referer": f"{url}/", "X-CSRFToken": cookies["csrftoken"].value}
    form = {"username": "manager", "password": password, "csrfmiddlewaretoken": token.group(1)}
    async with http.post(
        f"{url}/accounts/login/", data=form, headers=headers, allow_redirects=False
    ) as answer:
        if answer.status != 302:
            raise SystemExit(f"the manager could not sign in ({answer.status})")
    cookies = http.cookie_jar.filter_cookies(URL(url))
    return {"Origin": url, "Referer": f"{url}/", "X-CSRFToken": cookies["csrftoken"].value}


def client_session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(ssl=False, limit=0)  # self-signed, loopback
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=60),
    )


@dataclass
class Session:
    """What the client processes share: the manager's cookies and the board watched."""

    url: str
    headers: dict[str, str]
    cookie: str
    ticket: dict
    board: int


async def open_session(url: str, password: str) -> Session:
    async with client_session() as http:
        headers = await sign_in(http, url, password)
        async with http.get(f"{url}/api/v1/tickets/?page_size=100", headers=headers) as answer:
            tickets = (await answer.json())["results"]
        cookies = http.cookie_jar.filter_cookies(URL(url))
    ticket = next(t for t in tickets if t["status"]["code"] in ("in_progress", "waiting"))
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    return Session(url, headers, cookie, ticket, ticket["queue"]["id"])


async def client(conn: Connection, session: Session, targets: list[tuple[str, str]]) -> None:
    """One client process: opens a socket per ``(name, ws URL)`` of ``targets``, then,
    for each ``("expect", version, sent)`` of the driver, answers the latencies (ms, per
    target name) once every socket has the move or its time is up."""
    headers = {**session.headers, "Cookie": session.cookie}
    if any(not ws_url.startswith("wss:") for _, ws_url in targets):
        # Straight to daphne: the Host and Origin nginx would pass on.
        headers["Host"] = urlsplit(session.url).netloc
        headers["X-Forwarded-Proto"] = "https"
    async with client_session() as http:

        async def connect(name: str, ws_url: str) -> Watcher:
            ws = await http.ws_connect(ws_url, headers=headers)
            await ws.receive_json(timeout=30)  # hello
            await ws.send_json({"type": "subscribe", "board": [session.board]})
            await ws.receive_json(timeout=30)  # subscribed
            return Watcher(ws, name)

        watchers: list[Watcher] = []
        for start in range(0, len(targets), CONNECTING_AT_ONCE):
            batch = targets[start : start + CONNECTING_AT_ONCE]
            watchers += await asyncio.gather(*(connect(*target) for target in batch))
        readers = [asyncio.create_task(watcher.read()) for watcher in watchers]
        conn.send(("connected", len(watchers)))
        cpu = time.process_time()  # the client's CPU from one answer to the next
        while True:
            order = await asyncio.to_thread(conn.recv)
            if order[0] == "stop":
                break
            _, version, sent = order
            deadline = sent + ARRIVAL_TIMEOUT
            while time.perf_counter() < deadline:
                if all(version in w.arrived for w in watchers):
                    break
                await asyncio.sleep(0.005)
            arrivals: dict[str, list[float]] = {}
            lost = 0
            for watcher in watchers:
                if version in watcher.arrived:
                    ms = (watcher.arrived[version] - sent) * 1000
                    arrivals.setdefault(watcher.target, []).append(ms)
                else:
                    lost += 1
            now = time.process_time()
            conn.send(("arrived", arrivals, lost, now - cpu))
            cpu = now
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*(w.ws.close() for w in watchers), return_exceptions=True)


def run_client(conn: Connection, session: Session, targets: list[tuple[str, str]]) -> None:
    asyncio.run(client(conn, session, targets))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def targets_for(stack: Stack, clients: int, direct: bool) -> list[tuple[str, str]]:
    """Where each socket connects: nginx (which spreads them over the daphne processes),
    or with ``direct`` each daphne process in turn, bypassing nginx and TLS."""
    if not direct:
        return [("nginx", stack.config.url.replace("https", "wss") + "/ws/")] * clients
    daphne = [(name, p.port) for name, p in stack.processes.items() if name.startswith("daphne-")]
    return [
        (daphne[i % len(daphne)][0], f"ws://127.0.0.1:{daphne[i % len(daphne)][1]}/ws/")
        for i in range(clients)
    ]


async def drive(
    stack: Stack, session: Session, conns: list[Connection], moves: int, watched: dict[str, int]
) -> dict:
    """Moves the ticket ``moves`` times (after one warm-up move) through nginx's API and
    gathers, per move, the request's own latency and every socket's arrival."""
    latencies: list[float] = []
    per_target: dict[str, list[tuple[float, float]]] = {}
    requests: list[float] = []
    lost = 0
    client_cpu = 0.0
    ticket = session.ticket
    status, version = ticket["status"]["code"], ticket["version"]
    cpu_before: dict[str, float] = {}
    idle: dict[str, float] = {}
    busy_before = (0.0, 0.0)
    async with client_session() as http:
        http.cookie_jar.update_cookies(
            dict(part.split("=", 1) for part in session.cookie.split("; ")), URL(session.url)
        )
        for number in range(moves + 1):  # the first one warms up
            if number == 1:
                idle_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
                await asyncio.sleep(IDLE_SECONDS)
                idle = {
                    name: (cpu_seconds(pid) - idle_before[name]) * 1000 / IDLE_SECONDS
                    for name, pid in watched.items()
                }
                cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
                busy_before = machine_busy()
            status = "waiting" if status == "in_progress" else "in_progress"
            sent = time.perf_counter()
            async with http.post(
                f"{session.url}/api/v1/tickets/{ticket['id']}/move/",
                json={"status": status, "version": version},
                headers=session.headers,
            ) as answer:
                body = await answer.json()
                if answer.status != 200:
                    raise SystemExit(f"the move was refused: {answer.status} {body}")
            answered = time.perf_counter()
            version = body["version"]
            for conn in conns:
                conn.send(("expect", version, sent))
            answers = [await asyncio.to_thread(conn.recv) for conn in conns]
            if not number:
                continue
            requests.append((answered - sent) * 1000)
            arrivals: dict[str, list[float]] = {}
            for _, by_target, missing, cpu in answers:
                lost += missing
                client_cpu += cpu
                for name, values in by_target.items():
                    arrivals.setdefault(name, []).extend(values)
            for name, values in arrivals.items():
                latencies.extend(values)
                per_target.setdefault(name, []).append((min(values), max(values)))
            await asyncio.sleep(0.2)  # let the stack settle between moves
    busy_after = machine_busy()
    cpu = {
        name: (cpu_seconds(pid) - cpu_before[name]) * 1000 / moves for name, pid in watched.items()
    }
    cpu["clients"] = client_cpu * 1000 / moves
    busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1e-9)
    return {
        "latencies": latencies,
        "lost": lost,
        "requests": requests,
        "per_target": per_target,
        "cpu": cpu,
        "busy": busy,
        "idle": idle,
    }


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.is_file() else []


def measure(stack: Stack, redis_pid: int, password: str, args: argparse.Namespace) -> dict:
    session = asyncio.run(open_session(stack.config.url, password))
    targets = targets_for(stack, args.clients, args.direct)
    processes = max(1, args.client_processes)
    context = multiprocessing.get_context("fork")  # no event loop runs here now
    conns, workers = [], []
    started = time.perf_counter()
    for index in range(processes):
        mine, theirs = context.Pipe()
        worker = context.Process(
            target=run_client, args=(theirs, session, targets[index::processes]), daemon=True
        )
        worker.start()
        conns.append(mine)
        workers.append(worker)
    for conn in conns:
        if not conn.poll(120):
            raise SystemExit("a client process did not connect its sockets in 120 s")
        conn.recv()
    connected = time.perf_counter() - started
    watched = {
        name: process.popen.pid
        for name, process in stack.processes.items()
        if name.startswith("daphne-") and process.popen is not None
    }
    watched["redis-server"] = redis_pid
    nginx = stack.processes["nginx"].popen
    if nginx is not None:
        for number, pid in enumerate(children(nginx.pid)):
            watched[f"nginx worker {number + 1}"] = pid
    try:
        figures = asyncio.run(drive(stack, session, conns, args.moves, watched))
    finally:
        for conn in conns:
            conn.send(("stop",))
        for worker in workers:
            worker.join(30)
    figures["connected"] = connected
    figures["processes"] = processes
    return figures


def ws_connects(stack: Stack) -> dict[str, int]:
    spread = {}
    for name in stack.processes:
        if name.startswith("daphne-"):
            log = stack.config.logs / f"{name}.access.log"
            spread[name] = log.read_text().count("WSCONNECT ") if log.is_file() else 0
    return spread


def run_through_stack(args: argparse.Namespace) -> None:
    http_port, https_port, *daphne = (int(port) for port in args.stack_ports.split(","))
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-bench-stack-"))
    password = secrets.token_urlsafe(18)
    redis = start_redis(args.stack_redis_port, directory)
    drop_database(args.database_url)
    config = StackConfig(
        database_url=args.database_url,
        redis_url=f"redis://127.0.0.1:{args.stack_redis_port}/0",
        demo_password=password,
        ports=Ports(http=http_port, https=https_port, daphne=tuple(daphne)),
        directory=directory,
        tickets=60,
        environment={"DJANGO_ENV_FILE": "", "LOG_LEVEL": "WARNING"},
    )
    stack = Stack(config)
    try:
        stack.prepare()
        stack.up()
        print(f"Stack up; {args.clients} sockets, then {args.moves} moves ...", flush=True)
        figures = measure(stack, redis.pid, password, args)
        spread = ws_connects(stack)
    finally:
        stack.down()
        redis.terminate()
        redis.wait()
        drop_database(args.database_url)
        shutil.rmtree(directory, ignore_errors=True)
    report(args, figures, spread)


def report(args: argparse.Namespace, figures: dict, spread: dict[str, int]) -> None:
    times = figures["latencies"]
    p50, p95, p99 = (percentile(times, point) for point in (50, 95, 99))
    met = p50 <= TARGET_P50_MS and p99 <= TARGET_P99_MS and figures["lost"] == 0
    how = "straight to daphne (ws)" if args.direct else "through nginx (wss)"
    print(
        "\n| board move → `ticket.moved` on each socket | sockets | client processes | samples "
        f"| p50 ms | p95 ms | p99 ms | max ms | lost | target p50 ≤ {TARGET_P50_MS} / "
        f"p99 ≤ {TARGET_P99_MS} ms, 0 lost |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(
        f"| {how}, {args.moves} moves | {args.clients} | {figures['processes']} | {len(times)} "
        f"| {p50:.1f} | {p95:.1f} | {p99:.1f} | {max(times, default=float('nan')):.1f} "
        f"| {figures['lost']} | {'met' if met else '**missed**'} |"
    )
    requests = figures["requests"]
    print("\nWhere the time goes, per move (medians over the moves; ms from the request):\n")
    print("| part | p50 ms | max ms |")
    print("| --- | ---: | ---: |")
    print(
        f"| the move request's own round trip (API through nginx, answered) "
        f"| {statistics.median(requests):.1f} | {max(requests):.1f} |"
    )
    for name, pairs in sorted(figures["per_target"].items()):
        firsts, lasts = [first for first, _ in pairs], [last for _, last in pairs]
        print(f"| first socket via {name} | {statistics.median(firsts):.1f} | {max(firsts):.1f} |")
        print(f"| last socket via {name} | {statistics.median(lasts):.1f} | {max(lasts):.1f} |")
    print(f"\n| process | CPU ms per move | idle CPU ms per s (sockets open, {IDLE_SECONDS} s) |")
    print("| --- | ---: | ---: |")
    for name, ms in figures["cpu"].items():
        idle = figures["idle"].get(name)
        print(f"| {name} | {ms:.1f} | {'' if idle is None else f'{idle:.0f}'} |")
    print(
        f"\n- the machine's CPUs were {figures['busy'] * 100:.0f}% busy during the moves "
        "(all processes, 0.2 s pause after each move included)"
    )
    print(
        f"- sockets per daphne process: "
        f"{', '.join(f'{name} {count}' for name, count in spread.items())}; all "
        f"connected and subscribed in {figures['connected']:.1f} s"
    )
    print(
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}; load average {LOAD_AT_START} at the start, "
        f"{load_average()} at the end (1 / 5 / 15 min)"
    )
