"""Business-time arithmetic (sla.business_time), by properties over generated moments."""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import business_time as bt

MOSCOW = ZoneInfo("Europe/Moscow")  # no DST since 2014
BERLIN = ZoneInfo("Europe/Berlin")  # DST
DAY = (dt.time(9), dt.time(18))


def office(tz: ZoneInfo, exceptions: dict | None = None) -> bt.Schedule:
    return bt.Schedule(tz=tz, weekly=(DAY,) * 5 + (None, None), exceptions=exceptions or {})


def russian(years: list[int]) -> bt.Schedule:
    known = holidays.country_holidays("RU", years=years)
    exceptions: dict[dt.date, bt.Hours] = dict.fromkeys(known, None)
    exceptions.update(dict.fromkeys(known.weekend_workdays, DAY))
    return office(MOSCOW, exceptions)


SCHEDULES = [office(MOSCOW), office(BERLIN), russian([2024, 2025, 2026, 2027])]
moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 1), timezones=st.just(dt.UTC)
)
amounts = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: dt.timedelta(minutes=m))
schedules = st.sampled_from(SCHEDULES)


def working(schedule: bt.Schedule, moment: dt.datetime) -> bool:
    local = moment.astimezone(schedule.tz)
    hours = schedule.hours(local.date())
    return hours is not None and hours[0] <= local.time() < hours[1]


@settings(max_examples=150, deadline=None)
@given(schedules, moments, amounts)
def test_adding_then_counting_gives_the_amount(schedule, start, amount) -> None:
    end = bt.add(schedule, start, amount)
    assert end >= start
    assert bt.between(schedule, start, end) == amount


@settings(max_examples=150, deadline=None)
@given(schedules, moments, amounts)
def test_a_target_ends_inside_working_hours_or_at_their_end(schedule, start, amount) -> None:
    end = bt.add(schedule, start, amount)
    if amount:
        before = end - dt.timedelta(microseconds=1)
        assert working(schedule, before)


@settings(max_examples=150, deadline=None)
@given(schedules, moments, moments, moments)
def test_counting_adds_up_over_consecutive_spans(schedule, a, b, c) -> None:
    a, b, c = sorted([a, b, c])
    assert bt.between(schedule, a, b) + bt.between(schedule, b, c) == bt.between(schedule, a, c)
    assert bt.between(schedule, a, c) <= c - a


@settings(max_examples=100, deadline=None)
@given(
    schedules,
    moments,
    st.integers(min_value=1, max_value=60 * 24 * 20).map(lambda m: dt.timedelta(minutes=m)),
    st.integers(min_value=1, max_value=60 * 24 * 10),
)
def test_a_pause_keeps_the_remaining_time(schedule, start, amount, pause_minutes) -> None:
    """Paused for a while in the middle: the target moves by the business time the pause
    took, and the time used before it is kept."""
    half = bt.add(schedule, start, amount / 2)
    resume = half + dt.timedelta(minutes=pause_minutes)
    segments = [(start, half), (resume, None)]
    due = bt.reached(schedule, segments, amount)
    assert due is not None
    assert bt.elapsed(schedule, segments, due) == amount
    assert due == bt.add(schedule, resume, amount - bt.between(schedule, start, half))
    assert bt.reached(schedule, [(start, half)], amount + dt.timedelta(minutes=1)) is None


def test_weekend_and_holidays_are_skipped() -> None:
    schedule = russian([2026, 2027])
    # Friday 30 Jan 2026, 17:00 Moscow + 2 h: 1 h on Friday, 1 h on Monday.
    friday = dt.datetime(2026, 1, 30, 17, tzinfo=MOSCOW)
    assert bt.add(schedule, friday, dt.timedelta(hours=2)) == dt.datetime(
        2026, 2, 2, 10, tzinfo=MOSCOW
    )
    # 30 Dec 2026 (Wednesday) 17:00: the New Year holidays run to 11 January.
    eve = dt.datetime(2026, 12, 30, 17, tzinfo=MOSCOW)
    after = bt.add(schedule, eve, dt.timedelta(hours=2))
    assert after.astimezone(MOSCOW).date() > dt.date(2027, 1, 8)


def test_a_transferred_working_saturday_counts() -> None:
    schedule = russian([2025])
    saturday = dt.date(2025, 11, 1)  # worked instead of Monday 3 November
    assert saturday in holidays.country_holidays("RU", years=2025).weekend_workdays
    friday = dt.datetime(2025, 10, 31, 17, tzinfo=MOSCOW)
    assert bt.add(schedule, friday, dt.timedelta(hours=2)) == dt.datetime(
        2025, 11, 1, 10, tzinfo=MOSCOW
    )


def test_a_dst_day_counts_real_time() -> None:
    """Round the clock in Berlin across the spring change: the night has 23 hours."""
    schedule = bt.always(BERLIN)
    start = dt.datetime(2026, 3, 28, 12, tzinfo=BERLIN)
    end = dt.datetime(2026, 3, 29, 12, tzinfo=BERLIN)
    assert bt.between(schedule, start, end) == dt.timedelta(hours=23)
    assert bt.add(schedule, start, dt.timedelta(hours=23)) == end


def test_minutes_round_down() -> None:
    assert bt.minutes(dt.timedelta(seconds=119)) == 1
    assert bt.minutes(dt.timedelta(seconds=-1)) == -1
