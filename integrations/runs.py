"""Integration jobs run one at a time and leave a record: ``SyncRun``.

The lock is a short lease in the cache (Redis in production), renewed by a thread of the
process that holds it: a run that dies (SIGKILL, a worker's hard time limit, a lost
machine) frees the lock within ``INTEGRATION_LOCK_LEASE_SECONDS``, and the next run marks
the dead one failed. Counts are saved while the run goes, so a dead run still says what
it did.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from integrations.models import SyncRun

log = logging.getLogger(__name__)

MAX_ERRORS = 200
COUNTERS = ("created", "updated", "unchanged", "deactivated", "failed")
# Unchanged items are saved at most this often; the others as they happen.
SAVE_EVERY_SECONDS = 1.0
# Exceptions that stop a job: never recorded as one item's failure.
STOPS = (SoftTimeLimitExceeded,)


class RunSkipped(Exception):
    """Another run of the same job holds the lock."""


class RunAborted(Exception):
    """The job cannot go on (its service is down); the run is recorded as failed."""


class LockLost(RunAborted):
    """The lease ran out while the run was alive (the process stalled, the cache lost
    it) and another run may have taken over: this one stops."""


class Lease:
    """A lock ``key`` held as ``token`` for ``seconds``, renewed every third of it by a
    daemon thread until ``release()``. ``lost`` is set when the renewal finds the lock
    taken by someone else."""

    def __init__(self, key: str, seconds: int):
        self.key = key
        self.seconds = seconds
        self.token = uuid.uuid4().hex
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        if not cache.add(self.key, self.token, timeout=self.seconds):
            return False
        self._thread = threading.Thread(target=self._renew, name=f"lease {self.key}", daemon=True)
        self._thread.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                holder = cache.get(self.key)
                if holder == self.token:
                    cache.touch(self.key, self.seconds)
                elif holder is None and cache.add(self.key, self.token, timeout=self.seconds):
                    log.warning("lock %s had expired; taken again", self.key)
                else:
                    log.error("lock %s was taken over while its run was alive", self.key)
                    self.lost.set()
                    return
            except Exception:
                # The cache is away for a moment: the lease lasts until it returns.
                log.warning("lock %s could not be renewed", self.key, exc_info=True)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            if cache.get(self.key) == self.token:
                cache.delete(self.key)
        except Exception:
            log.warning("lock %s could not be released; its lease ends it", self.key)


def lock_key(kind: str) -> str:
    return f"integrations:lock:{kind}"


@contextmanager
def job_lock(kind: str, *, lease: int | None = None) -> Iterator[Lease]:
    """At most one run of a job at a time, across every process using the cache; raises
    ``RunSkipped`` when another run holds it. Yields the ``Lease``."""
    held = Lease(lock_key(kind), lease or settings.INTEGRATION_LOCK_LEASE_SECONDS)
    if not held.acquire():
        raise RunSkipped(kind)
    try:
        yield held
    finally:
        held.release()


class RunRecorder:
    """Counts and errors of a running job, saved on its SyncRun as it goes: created,
    updated, deactivated and failed items at once, unchanged ones at least every
    ``SAVE_EVERY_SECONDS``, everything when the run ends."""

    def __init__(self, run: SyncRun, lease: Lease | None = None):
        self.run = run
        self.lease = lease
        self._saved = {name: getattr(run, name) for name in COUNTERS}
        self._saved_errors = len(run.errors)
        self._saved_at = time.monotonic()

    def count(self, outcome: str, n: int = 1) -> None:
        setattr(self.run, outcome, getattr(self.run, outcome) + n)
        self._progressed(urgent=outcome != "unchanged")

    def error(self, item: str, error: str) -> None:
        self.run.failed += 1
        if len(self.run.errors) < MAX_ERRORS:
            self.run.errors.append({"item": item, "error": error[:500]})
        self._progressed(urgent=True)

    def _progressed(self, *, urgent: bool) -> None:
        if self.lease is not None and self.lease.lost.is_set():
            raise LockLost("the run lost its lock (it stalled longer than its lease) and stopped")
        if urgent or time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS:
            self.save()

    def save(self) -> None:
        """Add what was counted since the last save to the row (F(): the row's own
        counts are never overwritten by a stale copy)."""
        delta = {name: getattr(self.run, name) - self._saved[name] for name in COUNTERS}
        updates = {name: F(name) + n for name, n in delta.items() if n}
        if len(self.run.errors) != self._saved_errors:
            updates["errors"] = self.run.errors
        if updates:
            SyncRun.objects.filter(pk=self.run.pk).update(**updates)
            self._saved = {name: getattr(self.run, name) for name in COUNTERS}
            self._saved_errors = len(self.run.errors)
        self._saved_at = time.monotonic()


def _mark_dead_runs(kind: str, current: SyncRun) -> None:
    """Holding the lock, no other run of the job is alive: earlier "running" ones died,
    with the counts they had saved."""
    SyncRun.objects.filter(kind=kind, outcome=SyncRun.Outcome.RUNNING).exclude(
        pk=current.pk
    ).update(
        outcome=SyncRun.Outcome.FAILED,
        message="interrupted: the process ended before the run did (killed, or out of time); "
        "the counts are what it had done",
        finished_at=timezone.now(),
    )


def run_job(kind: str, job: Callable[[RunRecorder], None], *, trigger: str = "") -> SyncRun:
    """Run ``job(recorder)`` under the job's lock and record it as a ``SyncRun``.

    The outcome is success, partial (some items failed, or the run stopped at the worker's
    time limit and the next run goes on from there), failed (``RunAborted`` or an
    unexpected error, with the reason) or skipped (another run was going on).
    """
    run = SyncRun.objects.create(kind=kind, trigger=trigger[:100], started_at=timezone.now())
    recorder = RunRecorder(run)
    try:
        with job_lock(kind) as lease:
            recorder.lease = lease
            _mark_dead_runs(kind, run)
            job(recorder)
    except RunSkipped:
        run.outcome = SyncRun.Outcome.SKIPPED
        run.message = "another run of this job is in progress"
    except RunAborted as exc:
        run.outcome = SyncRun.Outcome.FAILED
        run.message = str(exc)
    except SoftTimeLimitExceeded:
        # What was applied is kept (each item commits on its own, cursors are saved).
        run.outcome = SyncRun.Outcome.PARTIAL
        run.message = (
            f"stopped at the worker's time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s); "
            "the next run goes on from where this one stopped"
        )
    except Exception as exc:
        log.exception("%s run failed", kind)
        run.outcome = SyncRun.Outcome.FAILED
        run.message = f"{type(exc).__name__}: {exc}"
    else:
        run.outcome = SyncRun.Outcome.PARTIAL if run.failed else SyncRun.Outcome.SUCCESS
    run.finished_at = timezone.now()
    recorder.save()
    run.save()  # the counts in memory are the saved ones plus none since
    log.info(
        "%s run %s: %s (created %s, updated %s, unchanged %s, deactivated %s, failed %s)",
        kind,
        run.pk,
        run.outcome,
        run.created,
        run.updated,
        run.unchanged,
        run.deactivated,
        run.failed,
    )
    return run
