"""Is the Redmine pull keeping up? For ``/healthz`` and the admin index."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from integrations.models import SyncRun


def pull_health() -> dict | None:
    """None when the sync is off; else the last successful pull and whether it is
    older than three intervals (``stale``)."""
    if not settings.REDMINE_SYNC_ENABLED:
        return None
    last = (
        SyncRun.objects.filter(
            kind=SyncRun.Kind.REDMINE_PULL,
            outcome__in=[SyncRun.Outcome.SUCCESS, SyncRun.Outcome.PARTIAL],
        )
        .order_by("-started_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    limit = dt.timedelta(minutes=3 * settings.REDMINE_SYNC_INTERVAL_MINUTES)
    stale = last is None or timezone.now() - last > limit
    return {
        "status": "stale" if stale else "ok",
        "last_success": last.isoformat() if last else None,
        "stale_after_minutes": int(limit.total_seconds() // 60),
        "last": last,
    }
