"""A ticket's clock, computed from its history: status changes and public replies.

- first response: from creation to the first public reply of someone other than the
  requester (or to the ticket's first closing);
- next response: from a public reply of the requester that follows a staff reply, to the
  next staff reply; each such reply starts a new cycle;
- resolution: from creation to closing; a reopened ticket keeps the time it had used.

Every clock is paused while the ticket is in one of the policy's pausing statuses and
stopped while it is closed; it counts business time of the policy's calendar, so a ticket
that was paused keeps its remaining time. The policy that applies now (the first match in
the operators' order) counts for the whole life of the ticket: a change of queue or
priority re-evaluates it.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch

from sla import business_time as bt
from sla.models import (
    BusinessCalendar,
    CalendarException,
    ClockState,
    Policy,
    Target,
)
from tickets.models import Ticket
from tickets.workflow import cached, forget


@dataclass
class History:
    """What a clock is computed from, read for many tickets at once."""

    created_at: dt.datetime
    requester_id: int
    # (since, status id), in order; the first from creation.
    statuses: list[tuple[dt.datetime, int]]
    # Public replies: (time, author id or None), in order.
    replies: list[tuple[dt.datetime, int | None]] = field(default_factory=list)


@dataclass
class PolicyRules:
    """A policy with its calendar read once."""

    policy: Policy
    schedule: bt.Schedule
    pause_ids: frozenset[int]
    tag_id: int | None

    def covers(self, ticket: Ticket, tag_ids: Iterable[int]) -> bool:
        p = self.policy
        return (
            (p.queue_id is None or p.queue_id == ticket.queue_id)
            and (p.priority_id is None or p.priority_id == ticket.priority_id)
            and (self.tag_id is None or self.tag_id in tag_ids)
        )


def load_rules() -> list[PolicyRules]:
    """The active policies in order, with their calendars: from the cache, which saves
    and deletes of policies and calendars refresh (``rules_changed``)."""
    return cached("sla-rules", _read_rules)


def rules_changed(**kwargs: object) -> None:
    """Forget the cached rules, now and once the transaction commits."""
    forget("sla-rules")


def _read_rules() -> list[PolicyRules]:
    """The active policies in order, with their calendars (four queries)."""
    policies = (
        Policy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related(
            "pause_statuses",
            Prefetch(
                "calendar__exceptions",
                queryset=CalendarException.objects.all(),
            ),
        )
    )
    rules = []
    for policy in policies:
        calendar: BusinessCalendar | None = policy.calendar
        schedule = calendar.schedule() if calendar is not None else bt.always()
        rules.append(
            PolicyRules(
                policy=policy,
                schedule=schedule,
                pause_ids=frozenset(s.pk for s in policy.pause_statuses.all()),
                tag_id=policy.tag_id,
            )
        )
    return rules


def matching(
    rules: Sequence[PolicyRules], ticket: Ticket, tag_ids: Iterable[int]
) -> PolicyRules | None:
    tag_set = set(tag_ids)
    return next((rule for rule in rules if rule.covers(ticket, tag_set)), None)


def _running(
    history: History, start: dt.datetime, stop: dt.datetime | None, stopped_ids: frozenset[int]
) -> list[bt.Segment]:
    """The intervals from ``start`` to ``stop`` in which the status is not in
    ``stopped_ids``; the last one open (None) when the clock runs now."""
    segments: list[bt.Segment] = []
    marks = history.statuses
    for index, (since, status_id) in enumerate(marks):
        until = marks[index + 1][0] if index + 1 < len(marks) else None
        if status_id in stopped_ids:
            continue
        low = max(since, start)
        high = until if stop is None else (stop if until is None else min(until, stop))
        if high is not None and high <= low:
            continue
        segments.append((low, high))
    return segments


def _target(
    rules: PolicyRules,
    kind: str,
    minutes: int,
    segments: list[bt.Segment],
    *,
    stopped_at: dt.datetime | None,
    now: dt.datetime,
    cycle: int = 0,
) -> dict:
    schedule = rules.schedule
    amount = dt.timedelta(minutes=minutes)
    due = bt.reached(schedule, segments, amount)
    running = bool(segments) and segments[-1][1] is None and stopped_at is None
    used = bt.elapsed(schedule, segments, stopped_at or now)
    warn = None
    if stopped_at is not None:
        state = ClockState.BREACHED if due is not None and due < stopped_at else ClockState.MET
    elif due is not None and due <= now:
        state = ClockState.BREACHED
    elif running:
        state = ClockState.RUNNING
        warn = bt.reached(schedule, segments, amount * rules.policy.warn_percent / 100)
    else:
        state = ClockState.PAUSED
    return {
        "target": kind,
        "cycle": cycle,
        "minutes": minutes,
        "state": state.value,
        "due": due.isoformat() if due is not None and state != ClockState.PAUSED else None,
        "warn": warn.isoformat() if warn is not None else None,
        "used": bt.minutes(used),
        "left": minutes - bt.minutes(used),
        "stopped": stopped_at.isoformat() if stopped_at is not None else None,
    }


def _waits(
    history: History, first_reply: dt.datetime | None
) -> list[tuple[int, dt.datetime, dt.datetime | None]]:
    """The requester's waits for a next response: ``(cycle, from, to)``; a wait starts
    with the requester's public reply after a staff reply and ends with the next one."""
    waits: list[tuple[int, dt.datetime, dt.datetime | None]] = []
    if first_reply is None:
        return waits
    waiting: dt.datetime | None = None
    for at, who in history.replies:
        if who is not None and who != history.requester_id:
            if waiting is not None:
                waits.append((len(waits) + 1, waiting, at))
                waiting = None
        elif who == history.requester_id and at > first_reply and waiting is None:
            waiting = at
    if waiting is not None:
        waits.append((len(waits) + 1, waiting, None))
    return waits


def compute(
    history: History, rules: PolicyRules, closed_ids: frozenset[int], now: dt.datetime
) -> list[dict]:
    """The targets of one ticket under one policy, as stored in ``Clock.targets``."""
    policy = rules.policy
    stopped = closed_ids | rules.pause_ids
    first_closed = next(
        (since for since, status_id in history.statuses if status_id in closed_ids), None
    )
    current_closed = history.statuses[-1][1] in closed_ids
    staff = [
        (at, who) for at, who in history.replies if who is not None and who != history.requester_id
    ]
    first_reply = staff[0][0] if staff else None
    targets = []
    if policy.first_response_minutes:
        ends = [at for at in (first_reply, first_closed) if at is not None]
        stop = min(ends) if ends else None
        segments = _running(history, history.created_at, stop, stopped)
        targets.append(
            _target(
                rules,
                Target.FIRST_RESPONSE,
                policy.first_response_minutes,
                segments,
                stopped_at=stop,
                now=now,
            )
        )
    cycles = _waits(history, first_reply)
    if policy.next_response_minutes and cycles:
        cycle, start, end = cycles[-1]
        if end is None and current_closed:
            end = history.statuses[-1][0]
        segments = _running(history, start, end, stopped)
        targets.append(
            _target(
                rules,
                Target.NEXT_RESPONSE,
                policy.next_response_minutes,
                segments,
                stopped_at=end,
                now=now,
                cycle=cycle,
            )
        )
    if policy.resolution_minutes:
        stop = history.statuses[-1][0] if current_closed else None
        segments = _running(history, history.created_at, stop, stopped)
        targets.append(
            _target(
                rules,
                Target.RESOLUTION,
                policy.resolution_minutes,
                segments,
                stopped_at=stop,
                now=now,
            )
        )
    return targets


def summary(targets: list[dict]) -> dict:
    """The columns of ``Clock`` that lists, filters, the sort and the job read."""
    states = {t["state"] for t in targets}
    running = [t for t in targets if t["state"] == ClockState.RUNNING]
    dues = [dt.datetime.fromisoformat(t["due"]) for t in running if t["due"]]
    warns = [dt.datetime.fromisoformat(t["warn"]) for t in running if t["warn"]]
    breached_now = [
        dt.datetime.fromisoformat(t["due"])
        for t in targets
        if t["state"] == ClockState.BREACHED and t["due"] and t["stopped"] is None
    ]
    if ClockState.BREACHED in states:
        state = ClockState.BREACHED
    elif running:
        state = ClockState.RUNNING
    elif ClockState.PAUSED in states:
        state = ClockState.PAUSED
    else:
        state = ClockState.MET
    checks = warns + dues + breached_now
    return {
        "state": state,
        "breached": state == ClockState.BREACHED,
        "due_at": min(dues) if dues else None,
        "warn_at": min(warns) if warns else None,
        "check_at": min(checks) if checks else None,
    }
