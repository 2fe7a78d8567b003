"""The cache backend of the full stack (``helpdesk.cache``): Redis, and a per-process
memory while Redis is away."""

import logging
import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCacheClient

from helpdesk import cache as tolerant
from helpdesk.cache import TolerantRedisCache
from helpdesk.testing import free_port
from helpdesk.testing.redis_server import PrivateRedis


@pytest.fixture(autouse=True)
def no_outage_known():
    tolerant._outages.clear()
    yield
    tolerant._outages.clear()


def backend(url: str, **options) -> TolerantRedisCache:
    return TolerantRedisCache(
        url,
        {
            "KEY_PREFIX": f"cache-test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1, **options},
        },
    )


def cache_records(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "helpdesk.cache" and r.levelno == level]


def test_a_dead_redis_is_answered_from_memory_and_logged_once(caplog, monkeypatch):
    cache = backend(f"redis://127.0.0.1:{free_port()}/0", RETRY_AFTER=60)  # nothing listens
    tries = []
    get_client = RedisCacheClient.get_client

    def counted(client, *args, **kwargs):
        tries.append(args)
        return get_client(client, *args, **kwargs)

    monkeypatch.setattr(RedisCacheClient, "get_client", counted)
    caplog.set_level(logging.INFO, logger="helpdesk.cache")

    cache.set("a", 1)
    assert cache.get("a") == 1
    assert cache.get_or_set("version", 7, timeout=None) == 7
    assert cache.incr("a") == 2 and cache.decr("a") == 1
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.add("lock", "mine") and not cache.add("lock", "theirs")
    assert cache.has_key("lock") and cache.touch("lock", 5)
    assert cache.delete("lock") and not cache.has_key("lock")
    assert cache.set_many({"b": 2, "c": 3}) == []
    assert cache.get_many(["a", "b", "c", "d"]) == {"a": 1, "b": 2, "c": 3}
    cache.delete_many(["b", "c"])
    assert cache.get_many(["b", "c"]) == {}
    cache.clear()
    assert cache.get("a") is None

    assert len(tries) == 1, "after a failure Redis is left alone for RETRY_AFTER seconds"
    [warning] = cache_records(caplog, logging.WARNING)
    assert "unreachable" in warning.getMessage()
    assert cache_records(caplog, logging.INFO) == []


def test_the_fallback_keeps_values_only_briefly(monkeypatch):
    cache = backend(f"redis://127.0.0.1:{free_port()}/0", FALLBACK_TIMEOUT=3)
    kept = []

    def remember(key, value, timeout, version):
        kept.append(timeout)

    monkeypatch.setattr(cache.fallback, "set", remember)
    cache.set("forever", 1, timeout=None)
    cache.set("an hour", 1, timeout=3600)
    cache.set("a second", 1, timeout=1)
    cache.set("default", 1)
    assert kept == [3, 3, 1, 3]


def test_every_thread_shares_one_outage_and_one_fallback():
    url = f"redis://127.0.0.1:{free_port()}/0"
    first = TolerantRedisCache(url, {"KEY_PREFIX": "p"})
    second = TolerantRedisCache(url, {"KEY_PREFIX": "p"})
    assert first.outage is second.outage
    first.set("shared", 1)
    assert second.get("shared") == 1


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.redis
def test_redis_stopped_then_back_is_used_again_and_logged_once(caplog, redis_server):
    cache = backend(redis_server.url, RETRY_AFTER=0)
    caplog.set_level(logging.INFO, logger="helpdesk.cache")
    cache.set("before", 1)
    redis_server.stop()

    for n in range(5):
        cache.set("during", n)
        assert cache.get("during") == n
    assert len(cache_records(caplog, logging.WARNING)) == 1

    redis_server.start()
    cache.set("after", 2)
    raw = redis.Redis.from_url(redis_server.url)
    assert raw.exists(cache.make_and_validate_key("after")), "written to Redis again"
    assert cache.get("during") is None, "the fallback is not read once Redis is back"
    [info] = cache_records(caplog, logging.INFO)
    assert "is back" in info.getMessage()
    assert len(cache_records(caplog, logging.WARNING)) == 1


@pytest.fixture
def partition(monkeypatch):
    """Redis unreachable while ``partition.cut`` is set; its data stays (a network fault,
    or a restart with persistence)."""

    class Partition:
        cut = False

    get_client = RedisCacheClient.get_client

    def maybe_cut(client, *args, **kwargs):
        if Partition.cut:
            raise redis.exceptions.ConnectionError("Connection refused")
        return get_client(client, *args, **kwargs)

    monkeypatch.setattr(RedisCacheClient, "get_client", maybe_cut)
    return Partition


@pytest.mark.redis
def test_keys_written_during_an_outage_are_dropped_from_redis_on_its_return(redis_url, partition):
    cache = backend(redis_url, RETRY_AFTER=0)
    cache.set("edited", "old")
    cache.set("deleted", "old")
    cache.set("untouched", "old")
    cache.add("lock", "another process")

    partition.cut = True
    cache.set("edited", "new")
    cache.delete("deleted")
    assert cache.add("lock", "mine")  # the fallback has no lock: taken here
    cache.delete("lock")  # and released here
    partition.cut = False

    assert cache.get("edited") is None, "not the value from before the outage"
    assert cache.get("deleted") is None
    assert cache.get("untouched") == "old"
    assert cache.get("lock") == "another process", "another process's lock is left alone"
    cache.delete_many(["edited", "deleted", "untouched", "lock"])


@pytest.mark.redis
@pytest.mark.django_db
def test_the_workflow_edited_during_an_outage_is_not_stale_after_it(settings, redis_url, partition):
    from tickets.models import Status
    from tickets.workflow import workflow

    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.TolerantRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"cache-test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"RETRY_AFTER": 0},
        }
    }

    def name_of_new() -> str:
        return next(s.name_en for s in workflow().statuses if s.code == "new")

    assert name_of_new() == "New"  # cached in Redis
    partition.cut = True
    Status.objects.filter(code="new").update(name_en="Fresh")
    Status.objects.get(code="new").save()  # as the admin saves: the cache is told
    partition.cut = False
    # Redis still holds the workflow cached before the edit, under the version it had.
    assert name_of_new() == "Fresh", "the edit made while Redis was away is seen after"
