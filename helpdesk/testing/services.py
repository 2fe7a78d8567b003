"""Real services: the Redis of the tests, and the summary of the tests that use a real
service (skipped without it, failed under CI=true: see ``service_unavailable``)."""

import os
from collections import Counter

import pytest

from helpdesk.testing import service_unavailable


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        service_unavailable("Redis", f"{url}: {exc}")
    return url


# --- Summary of the tests that use real services --------------------------------------

SERVICE_MARKERS = ("mariadb", "redis", "celery_worker", "redmine", "e2e", "stack")
_service_outcomes: dict[str, Counter] = {marker: Counter() for marker in SERVICE_MARKERS}


# By node id: a report's keywords also hold folder names (integrations/redmine/...).
_service_markers: dict[str, set[str]] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = {mark.name for mark in item.iter_markers()} & set(SERVICE_MARKERS)
        if names:
            _service_markers[item.nodeid] = names


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for marker in _service_markers.get(report.nodeid, ()):
            _service_outcomes[marker][report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = []
    for marker, outcomes in _service_outcomes.items():
        if outcomes:
            counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            lines.append(f"{marker}: {counts}")
    if lines:
        terminalreporter.section("tests on real services")
        for line in lines:
            terminalreporter.write_line(line)
