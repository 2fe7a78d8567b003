"""Integration jobs: one run at a time through a lease that dies with its process, counts
saved as a run goes, dead runs marked failed, the worker's time limit respected."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from integrations.models import RedmineLink, RedmineProject, SyncRun
from integrations.redmine.testing import FakeRedmine, served_over_http
from integrations.runs import Lease, LockLost, job_lock, lock_key, run_job
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory
from tickets.workflow import ensure_default_workflow

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
KIND = SyncRun.Kind.ERP_DIRECTORY


@pytest.fixture(autouse=True)
def _no_lock_left():
    cache.delete(lock_key(KIND))
    yield
    cache.delete(lock_key(KIND))


@pytest.mark.django_db
def test_counts_and_errors_are_saved_as_the_run_goes():
    seen: dict[str, object] = {}

    def job(recorder):
        recorder.count("created")
        recorder.error("u1", "refused")
        row = SyncRun.objects.get(pk=recorder.run.pk)
        seen.update(created=row.created, failed=row.failed, errors=row.errors)
        recorder.count("unchanged", 5)

    run = run_job(KIND, job)

    assert seen == {"created": 1, "failed": 1, "errors": [{"item": "u1", "error": "refused"}]}
    run.refresh_from_db()
    assert (run.outcome, run.created, run.unchanged, run.failed) == ("partial", 1, 5, 1)


@pytest.mark.django_db
def test_a_dead_run_is_marked_failed_with_what_it_did():
    dead = SyncRun.objects.create(kind=KIND, started_at=timezone.now(), created=363)

    run = run_job(KIND, lambda recorder: None)

    dead.refresh_from_db()
    assert run.outcome == "success"
    assert dead.outcome == "failed" and dead.created == 363
    assert "interrupted" in dead.message and dead.finished_at is not None


@pytest.mark.django_db
def test_a_run_is_skipped_while_another_holds_the_lock():
    with job_lock(KIND):
        run = run_job(KIND, lambda recorder: None)
    assert run.outcome == "skipped"
    assert run_job(KIND, lambda recorder: None).outcome == "success"  # released


def test_the_lease_is_renewed_while_its_holder_lives():
    lease = Lease("integrations:lock:test-renewal", seconds=3)
    assert lease.acquire()
    try:
        time.sleep(4)  # past the lease: only the renewals keep it
        assert cache.get(lease.key) == lease.token
        assert not Lease(lease.key, seconds=3).acquire()
    finally:
        lease.release()
    assert cache.get(lease.key) is None


@pytest.mark.django_db
def test_a_run_whose_lease_was_taken_over_stops():
    def job(recorder):
        cache.set(lock_key(KIND), "another run", timeout=60)
        recorder.lease.lost.set()  # what the renewal finds next
        recorder.count("updated")

    run = run_job(KIND, job)

    assert run.outcome == "failed"
    assert "lost its lock" in run.message
    assert issubclass(LockLost, Exception)


def test_the_lease_is_shorter_than_any_schedule():
    lease = django_settings.INTEGRATION_LOCK_LEASE_SECONDS
    assert lease < django_settings.REDMINE_SYNC_INTERVAL_MINUTES * 60
    assert lease < django_settings.ERP_SYNC_INTERVAL_MINUTES * 60


# --- a real process, killed -----------------------------------------------------------


def _sync(env: dict, **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "redmine_sync"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kwargs,
    )


def _wait_for(condition: Callable[[], T], *, timeout: float, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_killed_sync_frees_its_lock_and_the_next_run_completes(redis_url):
    """SIGKILL ``manage.py redmine_sync`` mid-run: the next run is skipped only while the
    dead run's lease lasts (well within one scheduled interval), then completes, and the
    dead run is recorded as failed with what it had applied."""
    from helpdesk.testing import database_url_for_subprocess

    fake = FakeRedmine()
    fake.add_project(10, "Сеть", "net")
    for n in range(40):
        fake.add_issue(10, f"Задача {n}")
    ensure_default_workflow()
    RedmineProject.objects.create(redmine_id=10, name="Сеть", queue=QueueFactory(key_prefix="NET"))
    lease = 10
    with served_over_http(fake, delay=0.15) as url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
            "DATABASE_URL": database_url_for_subprocess(),
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
            "REDMINE_URL": url,
            "REDMINE_API_KEY": "test-key",
            "INTEGRATION_LOCK_LEASE_SECONDS": str(lease),
        }
        first = _sync(env)
        try:
            _wait_for(
                lambda: SyncRun.objects.filter(created__gte=5).exists(), timeout=120, every=0.05
            )
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        killed_at = time.monotonic()

        assert _sync(env).wait(timeout=120) != 0  # skipped: the lease is still running
        assert SyncRun.objects.latest("pk").outcome == "skipped"

        def completed() -> bool:
            _sync(env).wait(timeout=120)
            return SyncRun.objects.latest("pk").outcome == "success"

        _wait_for(completed, timeout=lease * 4, every=1)
        recovered_after = time.monotonic() - killed_at

    assert recovered_after < django_settings.REDMINE_SYNC_INTERVAL_MINUTES * 60
    dead = SyncRun.objects.earliest("pk")
    assert dead.outcome == "failed" and "interrupted" in dead.message
    applied = dead.created
    assert applied >= 5
    last = SyncRun.objects.latest("pk")
    assert applied + last.created == 40
    assert Ticket.objects.count() == 40
    assert RedmineLink.objects.count() == 40  # no duplicates, no gaps
