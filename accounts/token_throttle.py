"""Failed API token attempts, counted per client address in the cache.

A wrong, revoked or malformed token is a failure. Once an address has made
``API_TOKEN_FAILURE_LIMIT`` failures within ``API_TOKEN_FAILURE_WINDOW`` seconds (counted
from its first failure), every request presenting a token from that address is refused
with 429 and ``Retry-After`` until the window ends, valid tokens included: otherwise the
answer would tell a guesser which secrets are right. Successes do not reset the count.

The counters live in the cache, which all processes share in production (Redis). The
address is ``REMOTE_ADDR``: daphne sets it from the proxy's ``X-Forwarded-For``
(``--proxy-headers``), which clients cannot forge past nginx.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

KEY = "api-token-failures:{address}"
UNTIL_KEY = "api-token-failures-until:{address}"


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def token_failures_wait(request: HttpRequest) -> int | None:
    """Seconds until the request's address may present tokens again, or ``None`` if it
    may now."""
    address = _address(request)
    if (cache.get(KEY.format(address=address)) or 0) < settings.API_TOKEN_FAILURE_LIMIT:
        return None
    until = cache.get(UNTIL_KEY.format(address=address))
    if until is None:  # the window ended between the two reads
        return None
    return max(1, math.ceil(until - time.time()))


def token_failure_record(request: HttpRequest) -> None:
    """Count a failed token attempt of the request's address."""
    address = _address(request)
    window = settings.API_TOKEN_FAILURE_WINDOW
    key = KEY.format(address=address)
    # The window starts with the first failure; add() keeps an open window as it is.
    cache.add(UNTIL_KEY.format(address=address), time.time() + window, timeout=window)
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
