"""A few reusable connections to the ERP database, where every wait has an end.

python-oracledb's own pool opens connections in a background thread that nothing can
interrupt, and thin mode waits without limit for a listener that accepts the TCP
connection and then says nothing (``tcp_connect_timeout`` covers the TCP handshake
only). Against such a stalled database a sign-in failed after the pool's wait timeout,
but the process could not exit until the peer hung up, and the late failure then
crashed the pool's thread (``ValueError: list.remove(x)`` in ``pool.pyx``).

Here each connection is opened in a daemon thread and the caller stops waiting after
the connect timeout. An attempt that never ends is abandoned: being a daemon thread it
cannot keep the process alive, and it keeps its slot until it ends, so stalled attempts
never pile up beyond the pool's size. Idle connections are pinged before reuse after a
minute, closed after ten, and all closed when the process exits.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from typing import Any

logger = logging.getLogger(__name__)


class PoolError(Exception):
    """No connection within the time allowed; not a driver error."""


class PoolBusy(PoolError):
    """Every connection is in use (or still being opened) for longer than the wait."""


class ConnectTimeout(PoolError):
    """The database accepted the connection but did not finish the logon in time."""


class PoolClosed(PoolError):
    """The pool was closed (the process is exiting)."""


class _Attempt:
    def __init__(self) -> None:
        self.connection: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.abandoned = False


class ConnectionPool:
    """``acquire()`` a connection, then ``release()`` it, or ``discard()`` it when it
    may be broken. ``connect`` opens one connection (the driver's ``connect``)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        size: int,
        connect_timeout: float,
        wait_timeout: float,
        ping_after: float = 60.0,
        idle_timeout: float = 600.0,
        close_timeout: float = 2.0,
        name: str = "erp",
    ):
        self._connect = connect
        self.size = max(1, size)
        self.connect_timeout = connect_timeout
        self.wait_timeout = wait_timeout
        self.ping_after = ping_after
        self.idle_timeout = idle_timeout
        self.close_timeout = close_timeout
        self.name = name
        self._condition = threading.Condition()
        self._idle: list[tuple[float, Any]] = []  # (released at, connection), newest last
        self._slots = 0  # connections open, being opened or abandoned while opening
        self._stalled = 0  # attempts abandoned and not ended yet
        self._closed = False
        ref = weakref.ref(self)
        atexit.register(_close_at_exit, ref)
        os.register_at_fork(after_in_child=lambda: _forget_after_fork(ref))

    def __repr__(self) -> str:
        return f"<ConnectionPool {self.name} {self._slots}/{self.size}>"

    @property
    def open_count(self) -> int:
        return self._slots

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    # --- taking and giving back -----------------------------------------------------

    def acquire(self) -> Any:
        deadline = time.monotonic() + self.wait_timeout
        while True:
            connection, stale = self._reserve(deadline)
            if connection is None:
                return self._open()
            if not stale:
                return connection
            try:
                connection.ping()
            except Exception:
                logger.info("%s: an idle connection no longer answers; opening another", self)
                self.discard(connection)
                continue
            return connection

    def _reserve(self, deadline: float) -> tuple[Any, bool]:
        """An idle connection (and whether to ping it), or (None, False) with a slot
        reserved for a new one."""
        with self._condition:
            while True:
                if self._closed:
                    raise PoolClosed(f"{self.name}: the connection pool is closed")
                now = time.monotonic()
                self._expire_idle(now)
                if self._idle:
                    released_at, connection = self._idle.pop()
                    return connection, now - released_at >= self.ping_after
                if self._slots < self.size:
                    self._slots += 1
                    return None, False
                if self._stalled >= self.size:
                    # Waiting would only wait for the database that hangs them.
                    raise PoolBusy(
                        f"{self._stalled} connection attempts to the ERP database are still "
                        "waiting for it to answer"
                    )
                remaining = deadline - now
                if remaining <= 0:
                    raise PoolBusy(
                        f"all {self.size} connections to the ERP database were busy for "
                        f"{self.wait_timeout:g} s"
                    )
                self._condition.wait(remaining)

    def _open(self) -> Any:
        attempt = _Attempt()
        thread = threading.Thread(
            target=self._run_attempt, args=(attempt,), name=f"{self.name}-connect", daemon=True
        )
        try:
            thread.start()
        except BaseException:
            self._free_slot()
            raise
        attempt.done.wait(self.connect_timeout)
        with self._condition:
            if not attempt.done.is_set():
                attempt.abandoned = True  # the thread frees the slot when it ends
                self._stalled += 1
                raise ConnectTimeout(
                    f"the ERP database did not complete the connection within "
                    f"{self.connect_timeout:g} s (it accepts connections but does not answer)"
                )
        if attempt.error is not None:
            self._free_slot()
            raise attempt.error
        return attempt.connection

    def _run_attempt(self, attempt: _Attempt) -> None:
        try:
            attempt.connection = self._connect()
        except BaseException as exc:
            attempt.error = exc
        with self._condition:
            if not attempt.abandoned:
                attempt.done.set()
                return
            self._slots -= 1
            self._stalled -= 1
            self._condition.notify()
        if attempt.connection is not None:
            _close_quietly(attempt.connection)
        logger.info("%s: an abandoned connection attempt ended", self)

    def release(self, connection: Any) -> None:
        with self._condition:
            if not self._closed:
                self._idle.append((time.monotonic(), connection))
                self._condition.notify()
                return
            self._slots -= 1
        _close_quietly(connection)

    def discard(self, connection: Any) -> None:
        """Forget a connection that may be dead or mid-call; it is closed in the
        background, as closing a stalled connection waits for the database too."""
        self._free_slot()
        _close_in_background(connection, self.name)

    def _free_slot(self) -> None:
        with self._condition:
            self._slots -= 1
            self._condition.notify()

    def _expire_idle(self, now: float) -> None:
        while self._idle and now - self._idle[0][0] >= self.idle_timeout:
            _released_at, connection = self._idle.pop(0)
            self._slots -= 1
            _close_in_background(connection, self.name)

    # --- the end --------------------------------------------------------------------

    def close(self) -> None:
        """Close the idle connections (each given ``close_timeout`` at most) and refuse
        new work; connections in use are closed when released."""
        with self._condition:
            self._closed = True
            idle, self._idle = self._idle, []
            self._slots -= len(idle)
            self._condition.notify_all()
        threads = [_close_in_background(connection, self.name) for _at, connection in idle]
        deadline = time.monotonic() + self.close_timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _forget_after_fork(self) -> None:
        # The connections belong to the parent process: never close or use them here.
        self._condition = threading.Condition()
        self._forked_leftovers = self._idle
        self._idle = []
        self._slots = 0
        self._stalled = 0


def _close_quietly(connection: Any) -> None:
    with suppress(Exception):
        connection.close()


def _close_in_background(connection: Any, name: str) -> threading.Thread:
    thread = threading.Thread(
        target=_close_quietly, args=(connection,), name=f"{name}-close", daemon=True
    )
    thread.start()
    return thread


def _close_at_exit(ref: weakref.ref) -> None:
    pool = ref()
    if pool is not None:
        pool.close()


def _forget_after_fork(ref: weakref.ref) -> None:
    pool = ref()
    if pool is not None:
        pool._forget_after_fork()
