"""Never let Helpdesk lock an EBS account.

EBS disables an account after SIGNON_PASSWORD_FAILURE_LIMIT wrong passwords, and the
wrapper's ``FND_USER_PKG.ValidateLogin`` is counted like any other attempt. Helpdesk's
general sign-in lockout (django-axes) pauses a user name after a few failures and then
lets it try again, so on its own it would walk a user into EBS's lock. Here each user
name gets at most ``limit - 1`` wrong EBS passwords through Helpdesk within
``ERP_FAILURE_WINDOW_HOURS``; after that Helpdesk refuses to ask EBS until the oldest
failure leaves the window.

A check reserves its failure before EBS is asked (insert, then count), so concurrent
sign-ins of one user can never together exceed the limit; a check that did not fail
gives the reservation back. A success does not clear earlier failures: whether EBS
resets its own count when only the password is checked is to be confirmed on a real EBS
(docs/integrations.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from accounts.models import ERPLoginFailure


@dataclass
class TooManyFailures(Exception):
    """No EBS check for this user now; ``until`` is when one is possible again (None:
    never, EBS locks an account at its first wrong password)."""

    failures: int
    until: dt.datetime | None


def failure_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.ERP_FAILURE_WINDOW_HOURS)


def erp_check_reserve(
    *, username: str, limit: int | None, now: dt.datetime | None = None
) -> int | None:
    """Reserve one failure for a password check of ``username``; returns the
    reservation for ``erp_check_settle`` (None when EBS never locks accounts).
    Raises ``TooManyFailures`` when one more wrong password could lock the account."""
    if limit is None:
        return None
    allowed = limit - 1
    if allowed < 1:
        raise TooManyFailures(failures=0, until=None)
    now = now or timezone.now()
    start = now - failure_window()
    name = username.strip().upper()
    ERPLoginFailure.objects.filter(username=name, at__lt=start).delete()
    reservation = ERPLoginFailure.objects.create(username=name, at=now)
    failures = list(
        ERPLoginFailure.objects.filter(username=name, at__gte=start)
        .order_by("at", "pk")
        .values_list("at", flat=True)
    )
    if len(failures) > allowed:
        reservation.delete()
        raise TooManyFailures(failures=allowed, until=failures[0] + failure_window())
    return reservation.pk


def erp_check_settle(reservation: int | None, *, failed: bool) -> None:
    """Keep the reserved failure when EBS counted one, give it back otherwise."""
    if reservation is not None and not failed:
        ERPLoginFailure.objects.filter(pk=reservation).delete()


def erp_failures_prune(*, now: dt.datetime | None = None) -> int:
    """Forget failures older than the window; returns how many."""
    start = (now or timezone.now()) - failure_window()
    deleted, _by_model = ERPLoginFailure.objects.filter(at__lt=start).delete()
    return deleted
