"""Fixtures of the sla tests: the Moscow office calendar and the urgent policy of the
"done when" scenario (30 min response, 4 business hours resolution, paused while
«Ожидает»)."""

import datetime as dt

import pytest

from sla.models import BusinessCalendar, Policy
from tickets.models import Queue
from tickets.tests.factories import priority, status


@pytest.fixture
def moscow_office(db: None) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        name="Офис, Москва", time_zone="Europe/Moscow", work_start=dt.time(9), work_end=dt.time(18)
    )


@pytest.fixture
def urgent_policy(moscow_office: BusinessCalendar, queue: Queue) -> Policy:
    policy = Policy.objects.create(
        name="Срочные",
        queue=queue,
        priority=priority("urgent"),
        calendar=moscow_office,
        first_response_minutes=30,
        resolution_minutes=4 * 60,
        next_response_minutes=60,
    )
    policy.pause_statuses.set([status("waiting")])
    return policy
