"""REST API sign-in with personal API tokens (``Authorization: Token <secret>``).

Browsers keep using the session; scripts and other systems send a token made on the
profile page. ``Bearer`` is accepted too, for clients that only know that scheme. A request
that presents a token is judged by the token alone: a wrong one is 401 even beside a valid
session cookie, and an address sending too many wrong ones is answered 429 for a while
(``accounts.token_throttle``).
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, User
from accounts.services import api_token_authenticate
from accounts.token_throttle import token_failure_record, token_failures_wait

KEYWORDS = (b"token", b"bearer")


def _presented_scheme(request: Request) -> bytes | None:
    parts = authentication.get_authorization_header(request).split()
    if parts and parts[0].lower() in KEYWORDS:
        return parts[0].lower()
    return None


class TokenFailuresThrottled(exceptions.Throttled):
    """429 for an address that sent too many wrong tokens, with ``Retry-After``. The
    message is one translated sentence (DRF's own appends an English "Expected available")."""

    def __init__(self, wait: int) -> None:
        message = ngettext(
            "Too many wrong API tokens have been sent from your address. "
            "Try again in %(wait)d second.",
            "Too many wrong API tokens have been sent from your address. "
            "Try again in %(wait)d seconds.",
            wait,
        )
        super().__init__(detail=message % {"wait": wait})
        self.wait = wait


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: another scheme, or no header at all
        wait = token_failures_wait(request)
        if wait is not None:
            raise TokenFailuresThrottled(wait)
        if len(parts) != 2:
            token_failure_record(request)
            raise exceptions.AuthenticationFailed(
                _("Send the API token as “Authorization: Token <token>”.")
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        result = api_token_authenticate(secret)
        if result is None:
            token_failure_record(request)
            raise exceptions.AuthenticationFailed(
                _("The API token is not valid or has been revoked.")
            )
        # The language middleware ran before the token named the user: speak theirs now.
        user = result[0]
        if user.language:
            translation.activate(user.language)
            request._request.LANGUAGE_CODE = user.language
        return result

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session sign-in, except that it stands aside when a token is presented and
    for the scheme it announces on failure.

    A request with ``Authorization: Token …`` (or ``Bearer``) is judged by the token
    alone, so a wrong token is refused even when the browser also sends a valid session
    cookie.

    DRF asks only the first authentication class for the ``WWW-Authenticate`` scheme and
    answers 403 when there is none. The session comes first (browsers), so a request
    that presented a bad API token would get a 403; this makes it the 401 with
    ``WWW-Authenticate: Token`` that API clients expect. Requests without a token keep
    the 403 of a missing session.
    """

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        if _presented_scheme(request) is not None:
            return None
        return super().authenticate(request)

    def authenticate_header(self, request: Request) -> str | None:
        if _presented_scheme(request) is not None:
            return ApiTokenAuthentication.keyword
        return None
