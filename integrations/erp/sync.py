"""ERP directory sync (I4): keep ERP-backed users in line with Oracle E-Business Suite.

Each run refreshes the users whose ERP records changed since the last successful run
(minus an overlap, as commit times differ from the stamps), deactivates users whose ERP
end date has come, and reactivates those the ERP shows active again. A full run asks the
ERP about every ERP-backed user. Users are only ever created by signing in.

The window is on the ERP database's clock: a run starts by reading its SYSDATE, which is
what EBS stamps its rows with, and the next run starts from there. Profiles are read in
pages of a thousand user names, a couple of round trips per page whatever the number of
users.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction

from accounts import directory
from accounts.erp import IN_LIST_MAX, ERPError, ERPProfile, get_gateway
from accounts.erp_failures import erp_failures_prune
from accounts.models import User
from accounts.roles import prefetch_role_codes
from integrations.models import SyncRun
from integrations.runs import STOPS, RunAborted, RunRecorder, run_job

log = logging.getLogger(__name__)

KIND = SyncRun.Kind.ERP_DIRECTORY
OVERLAP = dt.timedelta(minutes=10)
PAGE = IN_LIST_MAX

Progress = Callable[[int, int], None]


def _cursor() -> dt.datetime | None:
    """Where the next incremental run starts, on the ERP's clock: the last successful
    run's start, minus the overlap."""
    last = (
        SyncRun.objects.filter(
            kind=KIND, outcome__in=[SyncRun.Outcome.SUCCESS, SyncRun.Outcome.PARTIAL]
        )
        .exclude(source_cursor="")
        .order_by("-started_at")
        .values_list("source_cursor", flat=True)
        .first()
    )
    return dt.datetime.fromisoformat(last) - OVERLAP if last else None


COUNTERS = {
    directory.Outcome.CREATED: "updated",
    directory.Outcome.UPDATED: "updated",
    directory.Outcome.DEACTIVATED: "deactivated",
}


def _apply(
    recorder: RunRecorder,
    user: User,
    profile: ERPProfile | None,
    today: dt.date,
    mapping: directory.Mapping,
) -> None:
    try:
        with transaction.atomic():  # a savepoint: one user's failure spares the page
            outcome = directory.sync_user(profile, user, today=today, mapping=mapping)
    except STOPS:
        raise
    except Exception as exc:
        log.exception("ERP sync of %s failed", user.erp_username)
        recorder.error(user.erp_username or "", f"{type(exc).__name__}: {exc}")
        return
    recorder.count(COUNTERS.get(outcome, "unchanged"))


def _pages(names: list[str], users: dict[str, User]) -> Iterator[tuple[str, list[str]]]:
    """``(language, user names)`` pages: department names are read in each user's
    language, so a page holds users of one language."""
    by_language: dict[str, list[str]] = {}
    for name in names:
        language = users[name].language or settings.LANGUAGE_CODE
        by_language.setdefault(language, []).append(name)
    for language, group in sorted(by_language.items()):
        for start in range(0, len(group), PAGE):
            yield language, group[start : start + PAGE]


def _sync(recorder: RunRecorder, *, full: bool, progress: Progress | None) -> None:
    gateway = get_gateway()
    users = {
        user.erp_username: user
        for user in User.objects.filter(erp_username__isnull=False).order_by("pk")
        if user.erp_username is not None  # filtered above; said again for the type checker
    }
    seen: set[int] = set()
    try:
        erp_now = gateway.now()
        recorder.run.source_cursor = erp_now.isoformat()
        today = erp_now.date()
        since = None if full else _cursor()
        if since is None:
            names = sorted(users)
        else:
            names = sorted(gateway.changed_usernames(since, erp_now) & users.keys())
        done = 0
        for language, page in _pages(names, users):
            profiles = gateway.profiles(page, language=language)
            # One transaction, one mapping read and one roles read per page, not per user.
            mapping = directory.responsibility_mapping()
            prefetch_role_codes(users[name] for name in page)
            with transaction.atomic():
                for name in page:
                    _apply(recorder, users[name], profiles.get(name), today, mapping)
                    seen.add(users[name].pk)
                    done += 1
                    if progress:
                        progress(done, len(names))
    except ERPError as exc:
        raise RunAborted(f"ERP unavailable: {exc} ({exc.code})") from exc
    # End dates learnt earlier take effect on their day without any change in the ERP.
    for user in users.values():
        ended = user.erp_end_date is not None and user.erp_end_date <= today
        if user.pk not in seen and user.is_active and ended:
            recorder.count("deactivated" if directory.deactivate(user) else "unchanged")
    erp_failures_prune()


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
