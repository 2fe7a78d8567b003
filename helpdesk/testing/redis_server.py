"""A redis-server of a test's own, so that the test can stop and start it (a Redis outage)."""

import shutil
import subprocess
import time
from pathlib import Path

from helpdesk.testing import free_port, service_unavailable


class PrivateRedis:
    """A redis-server on a free loopback port, without persistence: a restart comes back
    empty, as a Redis cache does after a crash."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server") or ""
        if not binary:
            service_unavailable("redis-server", "the binary is not installed")
        self.binary, self.dir, self.port = binary, directory, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
