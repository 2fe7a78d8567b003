"""Sign-in throttling on top of django-axes: how failures are counted and answered.

The rule (docs/configuration.md): failures are counted per pair of user name and address
(``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]``), so wrong passwords for X
from address A never stop X signing in from B, nor anyone else signing in from A (an
office behind one NAT address). The ``LOGIN_FAILURE_LIMIT``-th failure of a pair pauses
that pair for the first step of ``LOGIN_PAUSE_MINUTES`` (1, 5, 15, 60 by default); each
failure after a pause pauses it for the next step, the last step repeating. Attempts
while paused are refused without checking the password and do not count. The count is
forgotten ``LOGIN_FAILURE_MEMORY_HOURS`` after the pair's last failure, at a successful
sign-in from that address, or when an administrator lifts the pause in the admin.

Every pause is logged (WARNING, user name and address, never the password) and announced
after commit with ``accounts.signals.sign_in_paused``, so that the owner of the account and
the administrators can be told.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User
from accounts.signals import sign_in_paused

log = logging.getLogger(__name__)


def attempted_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The user name as counted: ``Ivanov``, `` ivanov`` and ``IVANOV`` are one person
    to the ERP, so they share one counter. The name typed in the sign-in form comes first:
    after a success Django names the local account, which may differ (``orlov-2``)."""
    raw = ""
    if request is not None:
        raw = getattr(request, "POST", {}).get("username", "")
    if not raw:
        raw = (credentials or {}).get("username") or ""
    return str(raw).strip().lower()


def pause_after(failures: int) -> timedelta | None:
    """How long a pair is paused after its ``failures``-th failure (None: not at all)."""
    limit = settings.AXES_FAILURE_LIMIT
    if failures < limit:
        return None
    steps = settings.LOGIN_PAUSE_MINUTES
    return timedelta(minutes=steps[min(failures - limit, len(steps) - 1)])


def memory() -> timedelta:
    """How long after a pair's last failure its count is kept."""
    return timedelta(hours=settings.LOGIN_FAILURE_MEMORY_HOURS)


@dataclass(frozen=True)
class PairState:
    """The failures of one (user name, address) pair that still count."""

    failures: int
    last_failure: datetime | None

    @property
    def pause(self) -> timedelta | None:
        return pause_after(self.failures)

    @property
    def paused_until(self) -> datetime | None:
        pause = self.pause
        if pause is None or self.last_failure is None:
            return None
        return self.last_failure + pause

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Time left of the pause (zero when not paused)."""
        until = self.paused_until
        if until is None:
            return timedelta(0)
        return max(until - (now or timezone.now()), timedelta(0))


def pair_attempts(username: str, ip_address: str | None) -> QuerySet[AccessAttempt]:
    """The counted attempt rows of a pair (one per browser it used)."""
    return AccessAttempt.objects.filter(
        username=username,
        ip_address=ip_address,
        attempt_time__gte=timezone.now() - memory(),
    )


def pair_state(username: str, ip_address: str | None) -> PairState:
    totals = pair_attempts(username, ip_address).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    return PairState(failures=totals["failures"] or 0, last_failure=totals["last"])


def _request_pair(
    request: HttpRequest, credentials: dict[str, Any] | None = None
) -> tuple[str, str | None]:
    ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    return get_client_username(request, credentials), ip_address


def cool_off(request: HttpRequest | None) -> timedelta:
    """``AXES_COOLOFF_TIME``: the current pause of the request's pair, or the first step
    when the pair is not paused (what its next pause would be)."""
    state = pair_state(*_request_pair(request)) if request is not None else None
    pause = state.pause if state is not None else None
    return pause or timedelta(minutes=settings.LOGIN_PAUSE_MINUTES[0])


def account_for(username: str) -> User | None:
    """The local account a typed user name signs in to (local name or ERP name)."""
    if not username:
        return None
    return (
        User.objects.filter(Q(username__iexact=username) | Q(erp_username__iexact=username))
        .order_by("pk")
        .first()
    )


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-ins while paused. Web sign-ins always carry the request; a check
    without one (a script calling ``authenticate``) has no address to count and goes to
    the other backends instead of failing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginAttemptsHandler(AxesDatabaseHandler):
    """Axes' database handler with a growing pause per (user name, address) pair."""

    def get_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> list[QuerySet[AccessAttempt]]:
        # Counted over the memory window rather than the (short) pause: the count must
        # outlive a pause for the next failure to take the next step.
        since = timezone.now() - memory()
        return [
            attempts.filter(attempt_time__gte=since)
            for attempts in self.filter_user_attempts(request, credentials)
        ]

    def clean_expired_user_attempts(
        self, request: HttpRequest | None = None, credentials: dict[str, Any] | None = None
    ) -> int:
        count, _ = AccessAttempt.objects.filter(attempt_time__lt=timezone.now() - memory()).delete()
        return count

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return pair_state(*_request_pair(request, credentials)).remaining() > timedelta(0)

    def user_login_failed(
        self,
        sender: object,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        refused_while_paused = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username, ip_address = _request_pair(request, credentials)
        if refused_while_paused:
            log.warning("Sign-in as %r from %s refused: paused", username, ip_address)
            return
        state = pair_state(username, ip_address)
        if not getattr(request, "axes_locked_out", False) or state.pause is None:
            if state.failures > 1:
                log.warning(
                    "Sign-in as %r from %s failed (%d wrong passwords counted)",
                    username,
                    ip_address,
                    state.failures,
                )
            return
        log.warning(
            "Sign-in as %r from %s paused for %d min after %d wrong passwords",
            username,
            ip_address,
            state.pause.total_seconds() // 60,
            state.failures,
        )
        account = account_for(username)
        transaction.on_commit(
            lambda: _announce(
                username=username,
                ip_address=ip_address,
                failures=state.failures,
                pause=state.pause,
                account=account,
            )
        )


def _announce(**details: Any) -> None:
    # A receiver that fails (a notification not written) must not fail the sign-in page.
    for receiver, result in sign_in_paused.send_robust(sender=LoginAttemptsHandler, **details):
        if isinstance(result, Exception):
            log.error("%r failed on sign_in_paused: %r", receiver, result, exc_info=result)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page (or JSON for scripts) shown instead of signing in while paused."""
    credentials = credentials or getattr(request, "axes_credentials", None)
    username, ip_address = _request_pair(request, credentials)
    remaining = pair_state(username, ip_address).remaining()
    seconds = max(math.ceil(remaining.total_seconds()), 1)
    minutes = math.ceil(seconds / 60)
    status = settings.AXES_HTTP_RESPONSE_CODE
    wants_json = request.headers.get("x-requested-with") == "XMLHttpRequest" or (
        "application/json" in request.headers.get("accept", "")
    )
    response: HttpResponse
    if wants_json:
        response = JsonResponse(
            {"detail": "locked_out", "retry_after_minutes": minutes}, status=status
        )
    else:
        context = {"minutes": minutes, "username": username}
        response = render(request, "registration/locked_out.html", context, status=status)
    response["Retry-After"] = str(seconds)
    return response
