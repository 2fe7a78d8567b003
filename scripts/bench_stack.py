"""`bench_notifications.py --through-stack`: board moves to many WebSockets through the
production stack of `make stack` (scripts/stack.py), as browsers would see them.

The stack runs on its own redis-server (started and stopped here) and the MariaDB database
of ``--database-url`` (dropped and made afresh). One manager signs in through nginx; its
session opens ``--clients`` WebSockets through nginx (round robin over both daphne
processes; their access logs say how many each took) and each watches one board. Every
move goes through nginx to ``POST /api/v1/tickets/<id>/move/``; its latency runs from the
request until the socket has read the ``ticket.moved`` JSON, for each socket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp
from bench import LOAD_AT_START, load_average
from stack import Ports, Stack, StackConfig
from yarl import URL

TARGET_P50_MS = 50
TARGET_P99_MS = 250
ARRIVAL_TIMEOUT = 10
CONNECTING_AT_ONCE = 50
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def percentile(values: list[float], point: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[point - 1]


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
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

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.arrived: dict[int, float] = {}
        self.changed = asyncio.Event()

    async def read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.perf_counter()
            message = frame.json()
            if message.get("type") == "ticket.moved":
                self.arrived[message["version"]] = now
                self.changed.set()


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


async def measure(stack: Stack, password: str, clients: int, moves: int) -> dict:
    url = stack.config.url
    connector = aiohttp.TCPConnector(ssl=False, limit=0)  # self-signed, loopback
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector, timeout=timeout
    ) as http:
        headers = await sign_in(http, url, password)
        async with http.get(f"{url}/api/v1/tickets/?page_size=100", headers=headers) as answer:
            tickets = (await answer.json())["results"]
        ticket = next(t for t in tickets if t["status"]["code"] in ("in_progress", "waiting"))
        board = ticket["queue"]["id"]

        async def connect() -> Watcher:
            ws = await http.ws_connect(f"{url.replace('https', 'wss')}/ws/", headers=headers)
            await ws.receive_json(timeout=30)  # hello
            await ws.send_json({"type": "subscribe", "board": [board]})
            await ws.receive_json(timeout=30)  # subscribed
            return Watcher(ws)

        started = time.perf_counter()
        watchers: list[Watcher] = []
        for start in range(0, clients, CONNECTING_AT_ONCE):
            batch = min(CONNECTING_AT_ONCE, clients - start)
            watchers += await asyncio.gather(*(connect() for _ in range(batch)))
        connected = time.perf_counter() - started
        readers = [asyncio.create_task(watcher.read()) for watcher in watchers]
        latencies: list[float] = []
        lost = 0
        status, version = ticket["status"]["code"], ticket["version"]
        for number in range(moves + 1):  # the first one warms up
            status = "waiting" if status == "in_progress" else "in_progress"
            sent = time.perf_counter()
            async with http.post(
                f"{url}/api/v1/tickets/{ticket['id']}/move/",
                json={"status": status, "version": version},
                headers=headers,
            ) as answer:
                body = await answer.json()
                if answer.status != 200:
                    raise SystemExit(f"the move was refused: {answer.status} {body}")
            version = body["version"]
            deadline = sent + ARRIVAL_TIMEOUT
            while time.perf_counter() < deadline:
                if all(version in w.arrived for w in watchers):
                    break
                await asyncio.sleep(0.01)
            if number:
                for watcher in watchers:
                    if version in watcher.arrived:
                        latencies.append((watcher.arrived[version] - sent) * 1000)
                    else:
                        lost += 1
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*(w.ws.close() for w in watchers), return_exceptions=True)
    return {"latencies": latencies, "lost": lost, "connected": connected}


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
        figures = asyncio.run(measure(stack, password, args.clients, args.moves))
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
    print(
        "\n| board move through nginx → `ticket.moved` on each socket | sockets | samples "
        f"| p50 ms | p95 ms | p99 ms | max ms | lost | target p50 ≤ {TARGET_P50_MS} / "
        f"p99 ≤ {TARGET_P99_MS} ms, 0 lost |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(
        f"| production stack, {args.moves} moves | {args.clients} | {len(times)} | {p50:.1f} "
        f"| {p95:.1f} | {p99:.1f} | {max(times, default=float('nan')):.1f} "
        f"| {figures['lost']} | {'met' if met else '**missed**'} |"
    )
    print(
        f"\n- sockets per daphne process: "
        f"{', '.join(f'{name} {count}' for name, count in spread.items())}; all "
        f"connected and subscribed in {figures['connected']:.1f} s (through nginx, TLS)"
    )
    print(
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}; load average {LOAD_AT_START} at the start, "
        f"{load_average()} at the end (1 / 5 / 15 min)"
    )
