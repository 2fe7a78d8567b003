"""A real Celery worker process against Redis: send a task, get the answer back."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from helpdesk.tasks import ping
from helpdesk.testing import celery_pointed_at, database_url_for_subprocess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_queue(redis_url, db):
    """Start ``celery worker`` on a private queue; point this process at the same Redis."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url_for_subprocess(),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
    }
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "helpdesk", "worker",
            "--pool=solo", "--concurrency=1", "--without-heartbeat", "--without-gossip",
            "--without-mingle", "-Q", queue, "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        with celery_pointed_at(redis_url, result_backend=redis_url):
            yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.redis
@pytest.mark.celery_worker
def test_task_round_trip_through_a_real_worker(celery_worker_queue):
    result = ping.apply_async(queue=celery_worker_queue)
    answer = result.get(timeout=60)
    assert answer["pong"] is True
    assert answer["database"] is True
    assert result.successful()
