"""`make stack`: the production stack on one machine; Ctrl-C stops all of it.

    .venv/bin/python scripts/stack.py [--https-port 8443] [--http-port 8080] ...

Production settings (``helpdesk.settings.production``) against MariaDB (``--database-url``)
and Redis (``--redis-url``): ``collectstatic``, ``migrate`` and ``seed_demo`` with the demo
users' password from ``DEMO_PASSWORD`` (or asked for), then two daphne processes with
``--proxy-headers`` behind nginx, two Celery workers and beat. nginx runs as the invoking
user on the config of ``docker/nginx/helpdesk.conf.template``, rendered for the ports here,
with its pid, logs, cache and a self-signed certificate under ``var/stack/``. The secret
key is ``DJANGO_SECRET_KEY`` when set, else one generated once into ``var/stack/``.

Each process has its log in ``var/stack/logs/``. When one of them exits the others are
stopped. The test of the stack (helpdesk/tests/test_stack.py) and the benchmark through it
(scripts/bench_notifications.py --through-stack) drive the same ``Stack`` class.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import getpass
import ipaddress
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


from check_service import probe

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "docker" / "nginx" / "helpdesk.conf.template"
DEFAULT_DIR = ROOT / "var" / "stack"
START_TIMEOUT = 60
STOP_TIMEOUT = 20
# ${NAME} of the template; nginx's own variables ($host) have no braces there.
PLACEHOLDER = re.compile(r"\$\{(HELPDESK_[A-Z_]+)\}")


def which(name: str) -> str | None:
    """A binary on PATH or in the sbin directories a non-root PATH may lack."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


def say(line: str) -> None:
    print(line, flush=True)


# --- nginx ------------------------------------------------------------------------------


def render_template(text: str, values: dict[str, str]) -> str:
    """Fill in ``${HELPDESK_...}`` as the nginx image's envsubst does; every placeholder
    must have a value (an empty one is a value)."""
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)} in {TEMPLATE.name}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@dataclass
class Ports:
    """nginx's HTTP and HTTPS ports and one port per daphne process (all on 127.0.0.1)."""

    http: int = 8080
    https: int = 8443
    daphne: tuple[int, ...] = (8001, 8002)


def nginx_values(ports: Ports, directory: Path) -> dict[str, str]:
    """The template's variables for the local stack (docker/compose.yml sets its own)."""
    servers = " ".join(f"server 127.0.0.1:{port};" for port in ports.daphne)
    return {
        "HELPDESK_UPSTREAM_SERVERS": servers,
        "HELPDESK_HTTP_LISTEN": f"127.0.0.1:{ports.http}",
        "HELPDESK_HTTPS_LISTEN": f"127.0.0.1:{ports.https}",
        "HELPDESK_HTTPS_SUFFIX": f":{ports.https}",
        "HELPDESK_CACHE_DIR": str(directory / "cache"),
        "HELPDESK_CERT_DIR": str(directory / "certs"),
    }


def nginx_main_config(directory: Path) -> str:
    """The top level Debian's /etc/nginx/nginx.conf would give, with every path of this
    prefix, so that nginx needs nothing of /var or /etc and runs as the invoking user."""
    user = ""
    if os.geteuid() == 0:  # workers would otherwise drop to nobody and lose var/stack/
        name = pwd.getpwuid(0).pw_name
        user = f"user {name};\n"
    temp = directory / "tmp"
    return (
        f"{user}worker_processes auto;\n"
        f"pid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "worker_rlimit_nofile 16384;\n"
        "events { worker_connections 8192; }\n"
        "http {\n"
        f"    access_log {directory / 'access.log'};\n"
        f"    client_body_temp_path {temp / 'client_body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {directory / 'helpdesk.conf'};\n"
        "}\n"
    )


def self_signed_certificate(directory: Path) -> None:
    """A certificate for 127.0.0.1 and localhost, made once (fullchain.pem, privkey.pem)."""
    if (directory / "fullchain.pem").is_file() and (directory / "privkey.pem").is_file():
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    private = directory / "privkey.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    (directory / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def nginx_prepare(ports: Ports, directory: Path) -> Path:
    """Render the template and the top level into ``directory``; the main config's path."""
    for sub in ("cache", "tmp", "certs"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    self_signed_certificate(directory / "certs")
    site = render_template(TEMPLATE.read_text(), nginx_values(ports, directory))
    (directory / "helpdesk.conf").write_text(site)
    main = directory / "nginx.conf"
    main.write_text(nginx_main_config(directory))
    return main


def nginx_command(main: Path, *extra: str) -> list[str]:
    binary = which("nginx")
    if binary is None:
        raise SystemExit(
            "nginx is not installed: run `sudo make stack` (it installs it) or "
            "`sudo apt-get install nginx`"
        )
    directory = str(main.parent)
    return [binary, "-p", directory, "-c", str(main), "-e", str(main.parent / "error.log"), *extra]


def nginx_check(main: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the rendered config (its output says why when it fails)."""
    return subprocess.run(  # noqa: S603 - our arguments
        nginx_command(main, "-t"), capture_output=True, text=True, check=False
    )


# --- The stack ----------------------------------------------------------------------------


@dataclass
class StackConfig:
    database_url: str
    redis_url: str
    demo_password: str
    ports: Ports = field(default_factory=Ports)
    directory: Path = DEFAULT_DIR
    email_url: str = "consolemail://"
    workers: int = 2
    # Prefork children per worker: each is one delivery that a killed worker may have
    # in flight, so the test runs one.
    worker_concurrency: int = 2
    tickets: int = 60
    # Anything else the processes should see (the test's short lease, say).
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.ports.https}"

    @property
    def logs(self) -> Path:
        return self.directory / "logs"


def secret_key_file(directory: Path) -> Path:
    """A secret key made once for this machine's stack (never the embedded default)."""
    path = directory / "secret_key"
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path


def stack_environment(config: StackConfig) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": config.database_url,
        "REDIS_URL": config.redis_url,
        "EMAIL_URL": config.email_url,
        "SITE_URL": config.url,
        "STATIC_ROOT": str(config.directory / "static"),
        "MEDIA_ROOT": str(config.directory / "media"),
        "PYTHONUNBUFFERED": "1",
        **config.environment,
    }
    if not env.get("DJANGO_SECRET_KEY"):
        env.pop("DJANGO_SECRET_KEY", None)
        env.setdefault("DJANGO_SECRET_KEY_FILE", str(secret_key_file(config.directory)))
    return env


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def unverified_tls() -> ssl.SSLContext:
    """The local stack's certificate is self-signed: loopback clients skip the check."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def healthz(url: str) -> int | None:
    """The status of ``url``/healthz, None when nothing answers."""
    try:
        with urllib.request.urlopen(  # noqa: S310 - our own https URL
            f"{url}/healthz", timeout=5, context=unverified_tls()
        ) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


@dataclass
class Process:
    name: str
    argv: list[str]
    port: int | None = None  # the port it serves, when it serves one
    popen: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Stack:
    """The processes of the stack, each in its own process group (Ctrl-C reaches only
    this supervisor, which stops them in order; a test can kill one and start it again)."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.env = stack_environment(config)
        self.processes: dict[str, Process] = {}

    # --- set-up steps, each one line --------------------------------------------------

    def manage(self, what: str, *args: str) -> None:
        self.config.logs.mkdir(parents=True, exist_ok=True)
        log = self.config.logs / "setup.log"
        started = time.monotonic()
        print(f"{what} ...", end="", flush=True)
        with open(log, "ab") as output:
            completed = subprocess.run(  # noqa: S603 - our arguments
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                check=False,
            )
        if completed.returncode != 0:
            say(f" failed (exit {completed.returncode})")
            tail = log.read_text(errors="replace").splitlines()[-15:]
            raise SystemExit("\n".join([f"the end of {log}:", *tail]))
        say(f" done ({time.monotonic() - started:.0f} s)")

    def check_services(self) -> None:
        for url, create in ((self.config.database_url, True), (self.config.redis_url, False)):
            found = probe(url, create=create)
            if not found.ok:
                raise SystemExit(found.explain())

    def prepare(self) -> None:
        """Services reachable, static files collected, database migrated, demo users."""
        self.check_services()
        self.manage("Collecting the static files (collectstatic)", "collectstatic", "--no-input")
        self.manage("Migrating the database", "migrate", "--no-input")
        self.manage(
            f"Loading the demo users, queues and {self.config.tickets} tickets",
            "seed_demo",
            f"--tickets={self.config.tickets}",
            # One argument: a password may begin with "-".
            f"--password={self.config.demo_password}",
        )

    # --- processes ----------------------------------------------------------------------

    def define(self) -> None:
        bin_dir = Path(sys.executable).parent
        config = self.config
        letters = "abcdefghij"
        for letter, port in zip(letters, config.ports.daphne, strict=False):
            self.processes[f"daphne-{letter}"] = Process(
                f"daphne-{letter}",
                [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "--proxy-headers",
                 "--access-log", str(config.logs / f"daphne-{letter}.access.log"),
                 "helpdesk.asgi:application"],
                port=port,
            )  # fmt: skip
        for letter in letters[: config.workers]:
            self.processes[f"worker-{letter}"] = Process(
                f"worker-{letter}",
                [str(bin_dir / "celery"), "-A", "helpdesk", "worker", "--loglevel=INFO",
                 f"--hostname=worker-{letter}@%h",
                 f"--concurrency={config.worker_concurrency}"],
            )  # fmt: skip
        self.processes["beat"] = Process(
            "beat", [str(bin_dir / "celery"), "-A", "helpdesk", "beat", "--loglevel=INFO"]
        )
        main = nginx_prepare(config.ports, config.directory / "nginx")
        checked = nginx_check(main)
        if checked.returncode != 0:
            raise SystemExit(f"nginx -t refuses {main}:\n{checked.stderr}")
        self.processes["nginx"] = Process(
            "nginx", nginx_command(main, "-g", "daemon off;"), port=config.ports.https
        )

    def start(self, name: str) -> None:
        process = self.processes[name]
        if process.port is not None and port_open(process.port):
            raise SystemExit(f"{name}: port {process.port} is taken by another server")
        self.config.logs.mkdir(parents=True, exist_ok=True)
        with open(self.config.logs / f"{name}.log", "ab") as log:
            process.popen = subprocess.Popen(  # noqa: S603 - our arguments
                process.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def up(self) -> None:
        """Start every process and wait until nginx answers /healthz through daphne."""
        self.define()
        for name in self.processes:
            self.start(name)
        deadline = time.monotonic() + START_TIMEOUT
        for process in self.processes.values():
            while process.port is not None and not port_open(process.port):
                self.fail_if_exited()
                if time.monotonic() > deadline:
                    raise SystemExit(f"{process.name} did not listen on {process.port}")
                time.sleep(0.2)
        while healthz(self.config.url) is None:
            self.fail_if_exited()
            if time.monotonic() > deadline:
                raise SystemExit(f"no answer from {self.config.url}/healthz")
            time.sleep(0.2)

    def fail_if_exited(self) -> None:
        for process in self.processes.values():
            if process.popen is not None and process.popen.poll() is not None:
                code, tail = process.popen.returncode, self.log_tail(process.name)
                raise SystemExit(f"{process.name} exited ({code}):\n{tail}")

    def log_tail(self, name: str, lines: int = 15) -> str:
        log = self.config.logs / f"{name}.log"
        if not log.is_file():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def signal(self, name: str, signum: int) -> None:
        """Send ``signum`` to the process and its children (its process group)."""
        process = self.processes[name]
        if process.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signum)

    def kill(self, name: str) -> None:
        """SIGKILL, as the OOM killer or a lost host would: no clean-up at all."""
        self.signal(name, signal.SIGKILL)
        popen = self.processes[name].popen
        if popen is not None:
            popen.wait()

    def stop(self, *names: str) -> None:
        """SIGTERM (nginx: SIGQUIT, finish the requests) to each at once, then wait; what
        is still there after STOP_TIMEOUT is killed, and so are children left behind."""
        stopping = [self.processes[name] for name in names if self.processes[name].running]
        for process in stopping:
            self.signal(process.name, signal.SIGQUIT if process.name == "nginx" else signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in stopping:
            if process.popen is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            self.signal(process.name, signal.SIGKILL)
            process.popen.wait()

    def down(self) -> None:
        """nginx first (no new requests), then all the others at once."""
        if "nginx" in self.processes:
            self.stop("nginx")
        self.stop(*self.processes)

    def exited(self) -> Iterator[Process]:
        for process in self.processes.values():
            if process.popen is not None and process.popen.poll() is not None:
                yield process


# --- make stack ------------------------------------------------------------------------------


def demo_password() -> str:
    password = os.environ.get("DEMO_PASSWORD", "")
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit(
            "Set DEMO_PASSWORD (the demo users' password; production settings refuse 'demo')"
        )
    while True:
        password = getpass.getpass("Password for the demo users (admin, agent1, ...): ")
        if password and password == getpass.getpass("Again: "):
            return password
        say("They differ or are empty; once more.")


BANNER = """
The production stack is up: {url}/  (self-signed certificate; http://127.0.0.1:{http}/healthz)
  nginx {https} -> daphne {daphne}; workers: {workers}; beat. Sign in as admin, manager,
  agent1..3 or requester1..3 with DEMO_PASSWORD. Logs: {logs}/  Ctrl-C stops all.
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("STACK_DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("STACK_REDIS_URL", ""))
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--daphne-ports", default="8001,8002", help="one per daphne process")
    parser.add_argument("--email-url", default=os.environ.get("EMAIL_URL", "consolemail://"))
    parser.add_argument("--tickets", type=int, default=60)
    return parser.parse_args()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    args = parse_args()
    if not args.database_url or not args.redis_url:
        raise SystemExit("--database-url and --redis-url (or STACK_DATABASE_URL, STACK_REDIS_URL)")
    config = StackConfig(
        database_url=args.database_url,
        redis_url=args.redis_url,
        demo_password=demo_password(),
        ports=Ports(
            http=args.http_port,
            https=args.https_port,
            daphne=tuple(int(port) for port in args.daphne_ports.split(",")),
        ),
        email_url=args.email_url,
        tickets=args.tickets,
    )
    stack = Stack(config)
    stack.prepare()
    # The processes run in sessions of their own (a Ctrl-C reaches this supervisor only,
    # which stops them in order): SIGTERM and SIGHUP stop them the same way, and Ctrl-C
    # works even where the shell started this with SIGINT ignored (in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        stack.up()
        workers = ", ".join(name for name in stack.processes if name.startswith("worker"))
        say(
            BANNER.format(
                url=config.url,
                http=config.ports.http,
                https=config.ports.https,
                daphne=", ".join(map(str, config.ports.daphne)),
                workers=workers,
                logs=config.logs,
            )
        )
        while True:
            ended = next(stack.exited(), None)
            if ended is not None:
                say(f"{ended.name} stopped; stopping the others. Its log:")
                say(stack.log_tail(ended.name))
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("\nStopping the stack ...")
        return 0
    finally:
        stack.down()


if __name__ == "__main__":
    sys.exit(main())
