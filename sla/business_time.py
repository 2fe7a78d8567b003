"""Business-time arithmetic: pure functions, no database.

A ``Schedule`` says when work happens: working hours per weekday in a time zone, and dated
exceptions (a holiday with no hours, a transferred working Saturday with hours). Time is
counted in whole seconds of absolute time inside working hours; the local hours are turned
into absolute instants with ``zoneinfo``, so a day on which the clocks change counts what
really elapsed.

A clock runs over ``segments``: ``(start, end)`` intervals of absolute time (``end`` None:
still running), outside which it is paused (a waiting status) or stopped. ``elapsed``
counts the business time in them up to a moment; ``reached`` finds when a number of
business minutes is reached. Times are aware datetimes; results are in UTC.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Hours = tuple[dt.time, dt.time] | None  # working from-to on a day, or None: a day off
Segment = tuple[dt.datetime, dt.datetime | None]

UTC = dt.UTC
# Looking for the next working day gives up after this many days off in a row.
MAX_DAYS_OFF = 366


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    # Monday = 0 .. Sunday = 6.
    weekly: tuple[Hours, Hours, Hours, Hours, Hours, Hours, Hours]
    exceptions: dict[dt.date, Hours] = field(default_factory=dict)
    # Working intervals by day, worked out once: clocks walk the same days again and again.
    _days: dict[dt.date, tuple[dt.datetime, dt.datetime] | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def hours(self, day: dt.date) -> Hours:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly[day.weekday()]

    def interval(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working interval of a local day in UTC, or None."""
        if day not in self._days:
            self._days[day] = self._interval(day)
        return self._days[day]

    def _interval(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        hours = self.hours(day)
        if hours is None:
            return None
        # An end of 00:00 is the following midnight: a day worked to its end.
        end_day = day + dt.timedelta(days=1) if hours[1] == dt.time(0) else day
        start = dt.datetime.combine(day, hours[0], tzinfo=self.tz).astimezone(UTC)
        end = dt.datetime.combine(end_day, hours[1], tzinfo=self.tz).astimezone(UTC)
        return (start, end) if start < end else None

    def intervals(self, since: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals (UTC) from the local day of ``since`` on, forever (or until
        a whole year passes without work)."""
        day = since.astimezone(self.tz).date() - dt.timedelta(days=1)
        idle = 0
        while idle <= MAX_DAYS_OFF:
            found = self.interval(day)
            day += dt.timedelta(days=1)
            if found is None:
                idle += 1
                continue
            idle = 0
            if found[1] > since:
                yield found


def always(tz: ZoneInfo | None = None) -> Schedule:
    """Round the clock, every day (a policy in calendar time)."""
    tz = tz or ZoneInfo("UTC")
    whole = (dt.time(0), dt.time(0))
    return Schedule(tz=tz, weekly=(whole,) * 7)


def between(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Business time from ``start`` to ``end`` (zero when ``end`` is not later)."""
    total = dt.timedelta()
    if end <= start:
        return total
    for low, high in schedule.intervals(start):
        if low >= end:
            break
        total += min(high, end) - max(low, start)
    return total


def add(schedule: Schedule, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    """The instant at which ``amount`` of business time after ``start`` has passed. A
    zero amount gives ``start`` itself."""
    if amount <= dt.timedelta():
        return start.astimezone(UTC)
    left = amount
    for low, high in schedule.intervals(start):
        begin = max(low, start)
        available = high - begin
        if left <= available:
            return begin + left
        left -= available
    raise ValueError("the calendar has no working time left")


def elapsed(schedule: Schedule, segments: Sequence[Segment], until: dt.datetime) -> dt.timedelta:
    """Business time inside ``segments`` up to ``until``."""
    total = dt.timedelta()
    for start, end in segments:
        stop = until if end is None else min(end, until)
        total += between(schedule, start, stop)
    return total


def reached(
    schedule: Schedule, segments: Sequence[Segment], amount: dt.timedelta
) -> dt.datetime | None:
    """When the business time inside ``segments`` reaches ``amount``; None if the
    segments (all closed) end before that."""
    used = dt.timedelta()
    for start, end in segments:
        if end is None:
            return add(schedule, start, amount - used)
        part = between(schedule, start, end)
        if used + part >= amount:
            return add(schedule, start, amount - used)
        used += part
    return None


def minutes(delta: dt.timedelta) -> int:
    """Whole minutes of a duration, rounded down (negative durations towards -inf)."""
    return int(delta.total_seconds() // 60)
