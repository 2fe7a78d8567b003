"""Sign-in throttling on top of django-axes: how attempts are counted and answered.

Failures are counted per user name and per address; each has its own limit
(``AXES_FAILURE_LIMIT`` and ``LOGIN_IP_FAILURE_LIMIT``) and the lock lifts after the
cool-off time. A success resets the counters of that user name and address.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


def attempted_username(request, credentials: dict | None) -> str:
    """The user name as counted: ``Ivanov``, `` ivanov`` and ``IVANOV`` are one person
    to the ERP, so they share one counter."""
    raw = (credentials or {}).get("username") or ""
    if not raw and request is not None:
        raw = getattr(request, "POST", {}).get("username", "")
    return str(raw).strip().lower()


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-ins while locked out. Web sign-ins always carry the request; a
    check without one (a script calling ``authenticate``) has no address to count and
    goes to the other backends instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginAttemptsHandler(AxesDatabaseHandler):
    """Axes' database handler with separate limits for a user name and an address."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # Axes compares this one number with AXES_FAILURE_LIMIT; the address's failures
        # are scaled so that reaching LOGIN_IP_FAILURE_LIMIT reaches that limit.
        limit = get_failure_limit(request, credentials)
        scale = {"username": 1, "ip_address": limit / settings.LOGIN_IP_FAILURE_LIMIT}
        attempts_per_parameter = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS, attempts_per_parameter, strict=True
        ):
            failures = sum(attempts.values_list("failures_since_start", flat=True))
            worst = max(worst, math.floor(failures * scale[parameter] + 1e-9))
        return worst


def lockout_response(request, original_response=None, credentials=None):
    """The page (or JSON for scripts) shown instead of signing in while locked out."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    status = settings.AXES_HTTP_RESPONSE_CODE
    wants_json = request.headers.get("x-requested-with") == "XMLHttpRequest" or (
        "application/json" in request.headers.get("accept", "")
    )
    if wants_json:
        response = JsonResponse(
            {"detail": "locked_out", "retry_after_minutes": minutes}, status=status
        )
    else:
        response = render(
            request, "registration/locked_out.html", {"minutes": minutes}, status=status
        )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
