"""`make run`'s last step: daphne on HOST:PORT, and once it answers, where to go and who to be.

The server's own log follows on the terminal; Ctrl-C stops it.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60

BANNER = """
Helpdesk is up: {url}
  Sign in (password: demo): admin (superuser), manager, agent1..agent3, requester1..requester3
  Demo data: queues HD, NET, ERP, HW with 60 tickets
    (more: .venv/bin/python manage.py seed_demo --tickets 2000)
  Operator console: {url}admin/   API: {url}api/docs/   Health: {url}healthz
  Setup log: var/setup.log.  Ctrl-C stops the server.
"""


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    url = f"http://{args.host}:{args.port}/"
    print(f"Starting daphne on {url} ...", flush=True)
    daphne = str(Path(sys.executable).parent / "daphne")
    server = subprocess.Popen(  # noqa: S603
        [daphne, "-b", args.host, "-p", str(args.port), "helpdesk.asgi:application"],
        cwd=ROOT,
        env=os.environ,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(url):
            if server.poll() is not None:
                print(f"daphne exited ({server.returncode}) before answering", file=sys.stderr)
                return server.returncode or 1
            if time.monotonic() > deadline:
                print(f"no answer from {url}healthz after {START_TIMEOUT} s", file=sys.stderr)
                server.terminate()
                return 1
            time.sleep(0.2)
        print(BANNER.format(url=url), flush=True)
        return server.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached daphne too (same process group): let it finish shutting down.
        try:
            return server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGKILL)
            return 130


if __name__ == "__main__":
    sys.exit(main())
