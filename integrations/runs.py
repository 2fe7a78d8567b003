"""Integration jobs run one at a time and leave a record: ``SyncRun``."""

import logging
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from django.core.cache import cache
from django.utils import timezone

from integrations.models import SyncRun

log = logging.getLogger(__name__)

MAX_ERRORS = 200


class RunSkipped(Exception):
    """Another run of the same job holds the lock."""


class RunAborted(Exception):
    """The job cannot go on (its service is down); the run is recorded as failed."""


@contextmanager
def job_lock(kind: str, *, timeout: int):
    """A lock shared by every process using the cache (Redis in production): at most
    one run of a job at a time. ``timeout`` frees the lock of a crashed process."""
    key = f"integrations:lock:{kind}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=timeout):
        raise RunSkipped(kind)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


class RunRecorder:
    """Counts and errors of a running job, saved on the SyncRun when it ends."""

    def __init__(self, run: SyncRun):
        self.run = run

    def count(self, outcome: str, n: int = 1) -> None:
        setattr(self.run, outcome, getattr(self.run, outcome) + n)

    def error(self, item: str, error: str) -> None:
        self.run.failed += 1
        if len(self.run.errors) < MAX_ERRORS:
            self.run.errors.append({"item": item, "error": error[:500]})


def run_job(
    kind: str, job: Callable[[RunRecorder], None], *, trigger: str = "", lock_timeout: int = 3600
) -> SyncRun:
    """Run ``job(recorder)`` under the job's lock and record it as a ``SyncRun``.

    The outcome is success, partial (some items failed), failed (``RunAborted`` or an
    unexpected error, with the reason) or skipped (another run was going on).
    """
    run = SyncRun.objects.create(kind=kind, trigger=trigger[:100], started_at=timezone.now())
    recorder = RunRecorder(run)
    try:
        with job_lock(kind, timeout=lock_timeout):
            # Holding the lock, no other run can be alive: earlier "running" ones died.
            SyncRun.objects.filter(kind=kind, outcome=SyncRun.Outcome.RUNNING).exclude(
                pk=run.pk
            ).update(
                outcome=SyncRun.Outcome.FAILED,
                message="interrupted (the process ended before the run did)",
                finished_at=timezone.now(),
            )
            job(recorder)
    except RunSkipped:
        run.outcome = SyncRun.Outcome.SKIPPED
        run.message = "another run of this job is in progress"
    except RunAborted as exc:
        run.outcome = SyncRun.Outcome.FAILED
        run.message = str(exc)
    except Exception as exc:
        log.exception("%s run failed", kind)
        run.outcome = SyncRun.Outcome.FAILED
        run.message = f"{type(exc).__name__}: {exc}"
    else:
        run.outcome = SyncRun.Outcome.PARTIAL if run.failed else SyncRun.Outcome.SUCCESS
    run.finished_at = timezone.now()
    run.save()
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
