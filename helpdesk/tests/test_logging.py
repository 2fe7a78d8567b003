"""What the server prints: one line per event, stamped in the configured time zone."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EMIT = """
import logging, warnings
import django
django.setup()
logging.getLogger("django.request").warning("Not Found: /nowhere")
warnings.warn("a deprecated call", DeprecationWarning)
logging.getLogger("helpdesk").info("Заявка HD-1")
"""


def server_log(**env: str) -> list[str]:
    """The stderr lines of a process configured like ``make run``'s daphne."""
    completed = subprocess.run(
        [sys.executable, "-W", "default", "-c", EMIT],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "true",
            "TZ": "UTC",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stderr.splitlines()


def test_each_warning_is_one_line_stamped_in_the_site_time_zone():
    lines = server_log(TIME_ZONE="Asia/Vladivostok")

    not_found = [line for line in lines if "Not Found: /nowhere" in line]
    assert len(not_found) == 1, lines
    assert " WARNING django.request: " in not_found[0]
    assert not_found[0][23:29] == "+10:00", not_found[0]  # 2026-12-06 23:10:49.386+10:00
    assert sum("a deprecated call" in line for line in lines) == 1, lines
    assert sum("Заявка HD-1" in line for line in lines) == 1, lines


def test_json_lines_carry_the_site_time_zone():
    lines = server_log(TIME_ZONE="Europe/Moscow", LOG_FORMAT="json")

    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert [event["message"] for event in events if event["logger"] == "django.request"] == [
        "Not Found: /nowhere"
    ]
    assert all(event["time"].endswith("+03:00") for event in events), events


@pytest.mark.redis
@pytest.mark.celery_worker
def test_a_celery_worker_logs_json_when_asked(redis_url):
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle",
         "-Q", f"test-{uuid.uuid4().hex[:8]}", "--loglevel=INFO"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
             "DJANGO_ENV_FILE": "", "REDIS_URL": redis_url, "LOG_FORMAT": "json", "TZ": "UTC"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    lines = []
    try:
        assert worker.stderr is not None  # piped
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = worker.stderr.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if "ready" in line:
                break
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    logged = [line for line in lines if line.strip()]
    assert any("ready" in line for line in logged), logged
    if os.geteuid() == 0:
        # As root, Celery warns (in plain text) before any logging is set up.
        first = next(i for i, line in enumerate(logged) if line.startswith("{"))
        assert "SecurityWarning" in "".join(logged[:first])
        logged = logged[first:]
    records = [json.loads(line) for line in logged]  # every line, not only ours
    ready = next(r for r in records if "ready" in r["message"])
    assert ready["level"] == "INFO"
    assert ready["time"].endswith("+03:00")  # TIME_ZONE, as the web processes stamp it
