"""The cache backend of the full stack: Redis, and a short memory of its own while Redis
is away, so that a Redis outage slows nothing down and fails no request.

Every operation goes to Redis. When Redis cannot be reached (refused, timed out), the
operation is answered from a small per-process cache instead (``LocMemCache``, entries
kept at most ``FALLBACK_TIMEOUT`` seconds), so that the workflow's versioned cache, the
throttles and the locks keep working inside each process. Redis is then left alone for
``RETRY_AFTER`` seconds (a circuit breaker), so requests do not each wait for a connect
timeout; after that one operation tries it again. An outage is logged once (WARNING)
and its end once (INFO).

What a process wrote or deleted during the outage may be stale in Redis when it comes
back (an edit of the workflow bumped the version in the fallback only): those keys are
deleted from Redis on its return, so the next read loads them afresh. Keys taken with
``add`` (locks) are left alone: releasing one's own lock in the fallback must not free
another process's lock in Redis.

Settings (``OPTIONS`` of the cache, next to redis-py's own): ``FALLBACK_TIMEOUT`` and
``RETRY_AFTER``, seconds.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Redis away or too slow; any other error (a wrong type, a bug) is raised as usual.
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
# Keys of the outage to delete from Redis on its return; past this many (a long outage
# rendering many pages) the rest is not remembered and the return says so.
MAX_REMEMBERED_KEYS = 10_000

VersionedKey = tuple[str, int | None]


class Outage:
    """Whether Redis at one location is away, shared by every thread of the process (each
    thread has its own cache object)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.lock = threading.Lock()
        self.since: float | None = None
        self.retry_at = 0.0
        self.written: set[VersionedKey] = set()
        self.added: set[VersionedKey] = set()
        self.overflowed = False

    def may_try(self, retry_after: float) -> bool:
        """Up, or down long enough that this caller may try once more (the others keep
        using the fallback meanwhile)."""
        if self.since is None:  # the usual case, without taking the lock
            return True
        with self.lock:
            if self.since is None:
                return True
            now = time.monotonic()
            if now < self.retry_at:
                return False
            self.retry_at = now + retry_after
            return True

    def failed(self, error: Exception, retry_after: float) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + retry_after
            if self.since is None:
                self.since = now
                log.warning(
                    "cache: Redis at %s is unreachable (%s); using a per-process cache "
                    "until it returns",
                    self.location.split("|")[0],
                    error,
                )

    def remember(
        self, *, written: Iterable[VersionedKey] = (), added: Iterable[VersionedKey] = ()
    ) -> None:
        """Keys changed in the fallback; ``added`` ones (locks) are never deleted."""
        with self.lock:
            self.added.update(added)
            for key in written:
                if key in self.added:
                    continue
                if len(self.written) >= MAX_REMEMBERED_KEYS:
                    self.overflowed = True
                    return
                self.written.add(key)

    def changed_keys(self) -> set[VersionedKey]:
        with self.lock:
            return set(self.written)

    def recovered(self, dropped: set[VersionedKey]) -> tuple[float, bool] | None:
        """Redis answered again and the ``dropped`` keys are gone from it: the outage's
        length and whether some keys were not remembered; None when another thread
        ended the outage first."""
        with self.lock:
            if self.since is None:
                return None
            outage = (time.monotonic() - self.since, self.overflowed)
            # What other threads wrote meanwhile waits for the next return.
            self.written -= dropped
            self.since, self.added, self.overflowed = None, set(), False
            if self.written:
                self.since, self.retry_at = time.monotonic(), 0.0
            return outage


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def outage_of(location: str) -> Outage:
    with _outages_lock:
        return _outages.setdefault(location, Outage(location))


class TolerantRedisCache(RedisCache):
    """Django's Redis cache that answers from a per-process cache while Redis is away."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.fallback_timeout = float(options.pop("FALLBACK_TIMEOUT", 10))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self.location = server
        self.outage = outage_of(f"{server}|{self.key_prefix}")
        self.fallback = LocMemCache(
            f"helpdesk-fallback|{server}|{self.key_prefix}",
            {
                "TIMEOUT": self.fallback_timeout,
                "KEY_PREFIX": self.key_prefix,
                "VERSION": self.version,
                "KEY_FUNCTION": self.key_func,
                "OPTIONS": {"MAX_ENTRIES": 5000},
            },
        )

    # --- the switch ----------------------------------------------------------------------

    def _either(
        self,
        redis_op: Callable[[], T],
        local_op: Callable[[], T],
        *,
        written: Iterable[VersionedKey] = (),
        added: Iterable[VersionedKey] = (),
    ) -> T:
        if self.outage.may_try(self.retry_after):
            try:
                if self.outage.since is not None:
                    self._recover()
                return redis_op()
            except OUTAGE_ERRORS as exc:
                self.outage.failed(exc, self.retry_after)
        self.outage.remember(written=written, added=added)
        return local_op()

    def _recover(self) -> None:
        """Before Redis answers again: delete what was written in the fallback during the
        outage (Redis' copies may be stale), which also tells whether it is back."""
        changed = self.outage.changed_keys()
        by_version: dict[int | None, list[str]] = {}
        for key, version in changed:
            by_version.setdefault(version, []).append(key)
        if not by_version:
            self._cache.get_client(write=True).ping()
        for version, keys in by_version.items():
            super().delete_many(keys, version=version)
        ended = self.outage.recovered(changed)
        if ended is None:
            return
        seconds, overflowed = ended
        self.fallback.clear()
        log.info(
            "cache: Redis at %s is back after %.0f s; %s key(s) written meanwhile dropped%s",
            self.location,
            seconds,
            len(changed),
            " (more were written than remembered: some may be stale until they expire)"
            if overflowed
            else "",
        )

    def _local_timeout(self, timeout: Any) -> float:
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return self.fallback_timeout
        return min(float(timeout), self.fallback_timeout)

    def redis_round_trip(self, key: str) -> None:
        """Write, read and delete ``key`` in Redis itself, never in the fallback (the
        health check); raises when Redis is away."""
        super().set(key, "1", 10)
        try:
            if super().get(key) != "1":
                raise RuntimeError("value written to Redis could not be read back")
        finally:
            super().delete(key)

    # --- the operations ------------------------------------------------------------------

    def add(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._either(
            partial(super().add, key, value, timeout, version),
            partial(self.fallback.add, key, value, self._local_timeout(timeout), version),
            added=[(key, version)],
        )

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._either(
            partial(super().get, key, default, version),
            partial(self.fallback.get, key, default, version),
        )

    def set(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._either(
            partial(super().set, key, value, timeout, version),
            partial(self.fallback.set, key, value, self._local_timeout(timeout), version),
            written=[(key, version)],
        )

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._either(
            partial(super().touch, key, timeout, version),
            partial(self.fallback.touch, key, self._local_timeout(timeout), version),
        )

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._either(
            partial(super().delete, key, version),
            partial(self.fallback.delete, key, version),
            written=[(key, version)],
        )

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        keys = list(keys)
        return self._either(
            partial(super().get_many, keys, version),
            partial(self.fallback.get_many, keys, version),
        )

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._either(
            partial(super().has_key, key, version),
            partial(self.fallback.has_key, key, version),
        )

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return self._either(
            partial(super().incr, key, delta, version),
            partial(self.fallback.incr, key, delta, version),
            written=[(key, version)],
        )

    def set_many(
        self,
        data: dict[str, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[str]:
        return self._either(
            partial(super().set_many, data, timeout, version),
            partial(self.fallback.set_many, data, self._local_timeout(timeout), version),
            written=[(key, version) for key in data],
        )

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        keys = list(keys)
        self._either(
            partial(super().delete_many, keys, version),
            partial(self.fallback.delete_many, keys, version),
            written=[(key, version) for key in keys],
        )

    def clear(self) -> None:
        self._either(super().clear, self.fallback.clear)
