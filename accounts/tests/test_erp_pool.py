"""The ERP connection pool on its own: exit, fork, idle connections, failed connects."""

import atexit
import time
import weakref

import pytest

from accounts import erp_pool
from accounts.erp_pool import ConnectionPool, ConnectTimeout, PoolClosed


class Connection:
    def __init__(self):
        self.closed = False
        self.pings = 0

    def ping(self):
        self.pings += 1

    def close(self):
        self.closed = True


@pytest.fixture
def opened():
    return []


@pytest.fixture
def pool(opened):
    def connect():
        opened.append(Connection())
        return opened[-1]

    return ConnectionPool(connect, size=2, connect_timeout=1, wait_timeout=0.05)


def test_the_pool_registers_its_closing_at_exit(monkeypatch):
    registered = []
    monkeypatch.setattr(atexit, "register", lambda *args: registered.append(args))

    pool = ConnectionPool(Connection, size=1, connect_timeout=1, wait_timeout=1)
    pool.release(pool.acquire())
    ((function, ref),) = registered
    function(ref)

    assert pool.idle_count == 0
    with pytest.raises(PoolClosed):
        pool.acquire()


def test_closing_closes_idle_connections_and_those_released_later(pool, opened):
    idle, busy = pool.acquire(), pool.acquire()
    pool.release(idle)

    pool.close()
    assert idle.closed and not busy.closed
    pool.release(busy)

    assert busy.closed
    assert pool.open_count == 0


def test_a_forked_child_never_uses_or_closes_the_parents_connections(pool):
    connection = pool.acquire()
    pool.release(connection)

    erp_pool._forget_after_fork(weakref.ref(pool))

    assert pool.acquire() is not connection
    assert not connection.closed


def test_idle_connections_are_pinged_after_a_while_and_closed_after_longer(pool, opened):
    first = pool.acquire()
    pool.release(first)
    assert pool.acquire() is first and first.pings == 0
    pool.release(first)

    pool.ping_after = 0
    assert pool.acquire() is first and first.pings == 1
    pool.release(first)

    pool.idle_timeout = 0
    second = pool.acquire()
    assert second is not first
    deadline = time.monotonic() + 2
    while not first.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.closed and pool.open_count == 1


def test_a_failed_connect_frees_its_slot():
    calls = []

    def connect():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("refused")
        return Connection()

    pool = ConnectionPool(connect, size=1, connect_timeout=1, wait_timeout=0.05)
    with pytest.raises(OSError):
        pool.acquire()

    assert pool.open_count == 0
    assert isinstance(pool.acquire(), Connection)


def test_a_connection_that_arrives_after_the_caller_gave_up_is_closed():
    arrived = []

    def slow():
        time.sleep(0.2)
        arrived.append(Connection())
        return arrived[-1]

    pool = ConnectionPool(slow, size=1, connect_timeout=0.02, wait_timeout=0.05)
    with pytest.raises(ConnectTimeout):
        pool.acquire()

    deadline = time.monotonic() + 2
    while not (arrived and arrived[0].closed) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert arrived[0].closed
    assert pool.open_count == 0
