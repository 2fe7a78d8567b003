"""ERP directory sync (I4): keep ERP-backed users in line with Oracle E-Business Suite.

Each run refreshes the users whose ERP records changed since the last successful run
(minus an overlap, as clocks and commit times differ), deactivates users whose ERP end
date has come, and reactivates those the ERP shows active again. A full run asks the ERP
about every ERP-backed user one by one. Users are only ever created by signing in.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.utils import timezone

from accounts import directory
from accounts.erp import ERPError, get_gateway
from accounts.models import User
from integrations.models import SyncRun
from integrations.runs import STOPS, RunAborted, RunRecorder, run_job

log = logging.getLogger(__name__)

KIND = SyncRun.Kind.ERP_DIRECTORY
OVERLAP = dt.timedelta(minutes=10)

Progress = Callable[[int, int], None]


def _cursor() -> dt.datetime | None:
    """Where the next incremental run starts: the last successful run's start."""
    last = (
        SyncRun.objects.filter(
            kind=KIND, outcome__in=[SyncRun.Outcome.SUCCESS, SyncRun.Outcome.PARTIAL]
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return last - OVERLAP if last else None


def _apply(recorder: RunRecorder, user: User, profile, today: dt.date) -> None:
    try:
        outcome = directory.sync_user(profile, user, today=today)
    except STOPS:
        raise
    except Exception as exc:
        log.exception("ERP sync of %s failed", user.erp_username)
        recorder.error(user.erp_username, f"{type(exc).__name__}: {exc}")
        return
    recorder.count(COUNTERS.get(outcome, "unchanged"))


COUNTERS = {
    directory.Outcome.CREATED: "updated",
    directory.Outcome.UPDATED: "updated",
    directory.Outcome.DEACTIVATED: "deactivated",
}


def _profiles(users: dict[str, User], since: dt.datetime | None):
    """(user, profile) pairs to bring in line: every user when ``since`` is None (one
    ERP call each, fetched as the run goes), else the users changed since then."""
    gateway = get_gateway()
    if since is None:
        return len(users), ((user, gateway.get_profile(name)) for name, user in users.items())
    changed = {p.username.upper(): p for p in gateway.users_changed_since(since)}
    pairs = [(users[name], profile) for name, profile in changed.items() if name in users]
    return len(pairs), iter(pairs)


def _sync(recorder: RunRecorder, *, full: bool, progress: Progress | None) -> None:
    today = timezone.localdate()
    users = {
        user.erp_username: user
        for user in User.objects.filter(erp_username__isnull=False).order_by("pk")
    }
    seen: set[int] = set()
    done = 0
    try:
        total, pairs = _profiles(users, None if full else _cursor())
        for user, profile in pairs:
            _apply(recorder, user, profile, today)
            seen.add(user.pk)
            done += 1
            if progress:
                progress(done, total)
    except ERPError as exc:
        raise RunAborted(f"ERP unavailable: {exc} ({exc.code})") from exc
    # End dates learnt earlier take effect on their day without any change in the ERP.
    for user in users.values():
        ended = user.erp_end_date is not None and user.erp_end_date <= today
        if user.pk not in seen and user.is_active and ended:
            recorder.count("deactivated" if directory.deactivate(user) else "unchanged")


def sync_directory(
    *, full: bool = False, trigger: str = "", progress: Progress | None = None
) -> SyncRun:
    """Run the directory sync once and return its record (failed, not raised, when the
    ERP cannot be reached; skipped when another run is going on)."""
    return run_job(
        KIND,
        lambda recorder: _sync(recorder, full=full, progress=progress),
        trigger=trigger,
    )
