"""Writes of the sla app: clocks recomputed from the tickets' history, and the periodic
check that announces warnings and breaches once each (claimed by a unique row)."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from sla import clocks
from sla.models import (
    BusinessCalendar,
    CalendarException,
    Clock,
    ClockState,
    Policy,
    Target,
    Warning,
)
from sla.signals import sla_at_risk, sla_breached
from tickets.models import Comment, Source, Ticket, TicketEvent
from tickets.selectors import tickets_in_chunks
from tickets.services import ticket_update
from tickets.workflow import workflow

log = logging.getLogger(__name__)

CHUNK = 500
SUMMARY_FIELDS = [
    "policy",
    "state",
    "due_at",
    "warn_at",
    "breached",
    "check_at",
    "targets",
    "computed_at",
]
Progress = Callable[[int, int], None]


def _histories(tickets: list[Ticket]) -> dict[int, clocks.History]:
    """The status marks and public replies of ``tickets`` (two queries)."""
    ids = [t.pk for t in tickets]
    marks: dict[int, list[tuple[dt.datetime, int, int]]] = {}
    status_events = (
        TicketEvent.objects.filter(ticket_id__in=ids, field="status")
        .order_by("created_at", "id")
        .values_list("ticket_id", "created_at", "old_value", "new_value")
    )
    for ticket_id, at, old, new in status_events:
        if old.isdigit() and new.isdigit():
            marks.setdefault(ticket_id, []).append((at, int(old), int(new)))
    replies: dict[int, list[tuple[dt.datetime, int | None]]] = {}
    comments = (
        Comment.objects.filter(ticket_id__in=ids, is_internal=False)
        .order_by("created_at", "id")
        .values_list("ticket_id", "created_at", "author_id")
    )
    for ticket_id, at, author_id in comments:
        replies.setdefault(ticket_id, []).append((at, author_id))
    found = {}
    for ticket in tickets:
        changes = marks.get(ticket.pk, [])
        first = changes[0][1] if changes else ticket.status_id
        statuses = [(ticket.created_at, first)] + [(at, new) for at, _old, new in changes]
        found[ticket.pk] = clocks.History(
            created_at=ticket.created_at,
            requester_id=ticket.requester_id,
            statuses=statuses,
            replies=replies.get(ticket.pk, []),
        )
    return found


def _chunks(tickets: "Iterable[int] | None", queue_id: int | None) -> Iterator[list[Ticket]]:
    rows = Ticket.objects.only(
        "pk", "created_at", "requester_id", "queue_id", "priority_id", "status_id"
    ).order_by("pk")
    if tickets is not None:
        rows = rows.filter(pk__in=list(tickets))
    if queue_id is not None:
        rows = rows.filter(queue_id=queue_id)
    yield from tickets_in_chunks(rows, CHUNK)


def clocks_recompute(
    *,
    tickets: "Iterable[int] | None" = None,
    queue_id: int | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Compute the clocks of ``tickets`` (ids; None: all, or those of ``queue_id``) from
    their history and store them; a ticket no policy covers loses its clock. Returns
    how many clocks were written. Six queries per chunk of 500 tickets."""
    now = now or timezone.now()
    rules = clocks.load_rules()
    if not rules and tickets is not None:
        return 0  # no policy, no clock (deleting a policy deletes its clocks)
    closed_ids = frozenset(s.pk for s in workflow().statuses if s.is_closed)
    total = None
    if progress is not None:
        counted = Ticket.objects.all()
        if tickets is not None:
            counted = counted.filter(pk__in=list(tickets))
        if queue_id is not None:
            counted = counted.filter(queue_id=queue_id)
        total = counted.count()
    done = written = 0
    for chunk in _chunks(tickets, queue_id):
        tags: dict[int, set[int]] = {}
        through = Ticket.tags.through.objects.filter(ticket_id__in=[t.pk for t in chunk])
        for ticket_id, tag_id in through.values_list("ticket_id", "tag_id"):
            tags.setdefault(ticket_id, set()).add(tag_id)
        covered = {
            t.pk: rule
            for t in chunk
            if (rule := clocks.matching(rules, t, tags.get(t.pk, ()))) is not None
        }
        histories = _histories([t for t in chunk if t.pk in covered]) if covered else {}
        rows = []
        for ticket_id, rule in covered.items():
            targets = clocks.compute(histories[ticket_id], rule, closed_ids, now)
            rows.append(
                Clock(
                    ticket_id=ticket_id,
                    policy=rule.policy,
                    targets=targets,
                    computed_at=now,
                    **clocks.summary(targets),
                )
            )
        with transaction.atomic():
            Clock.objects.filter(
                ticket_id__in=[t.pk for t in chunk if t.pk not in covered]
            ).delete()
            if rows:
                # MySQL's ON DUPLICATE KEY names no target; SQLite's ON CONFLICT must.
                target = (
                    ["ticket"]
                    if connection.features.supports_update_conflicts_with_target
                    else None
                )
                Clock.objects.bulk_create(
                    rows, update_conflicts=True, unique_fields=target, update_fields=SUMMARY_FIELDS
                )
        written += len(rows)
        done += len(chunk)
        if progress is not None and total is not None:
            progress(done, total)
    return written


def _due_claims(clock: Clock, now: dt.datetime) -> list[tuple[str, int, str, dt.datetime]]:
    """``(target, cycle, level, due)`` the clock has reached by ``now``."""
    claims: list[tuple[str, int, str, dt.datetime]] = []
    for target in clock.targets:
        if target["stopped"] is not None or not target["due"]:
            continue
        due = dt.datetime.fromisoformat(target["due"])
        if target["state"] == ClockState.BREACHED or due <= now:
            claims.append((target["target"], target["cycle"], Warning.Level.BREACHED, due))
        elif target["warn"] and dt.datetime.fromisoformat(target["warn"]) <= now:
            claims.append((target["target"], target["cycle"], Warning.Level.AT_RISK, due))
    return claims


def _next_check(clock: Clock, now: dt.datetime) -> dt.datetime | None:
    times = [
        dt.datetime.fromisoformat(t[name])
        for t in clock.targets
        if t["state"] == ClockState.RUNNING
        for name in ("warn", "due")
        if t[name]
    ]
    later = [moment for moment in times if moment > now]
    return min(later) if later else None


def _escalate(ticket: Ticket, policy: Policy) -> None:
    """The policy's actions on a breach, through the tickets services (source ``sla``)."""
    changes: dict = {}
    raise_to = policy.breach_priority
    if raise_to is not None and ticket.priority.order < raise_to.order:
        changes["priority"] = raise_to
    person = policy.breach_assignee
    if person is not None and person.is_active and ticket.assignee_id != person.pk:
        changes["assignee"] = person
    if changes:
        ticket_update(actor=None, ticket=ticket, source=Source.SLA, **changes)


def _announce(clock: Clock, target: str, cycle: int, level: str, due: dt.datetime) -> bool:
    """Claim one announcement and send it; False when another run made it first."""
    try:
        with transaction.atomic():
            Warning.objects.create(
                ticket_id=clock.ticket_id, target=target, cycle=cycle, level=level
            )
            signal = sla_breached if level == Warning.Level.BREACHED else sla_at_risk
            signal.send(
                sender=Clock, ticket=clock.ticket, target=target, due=due, policy=clock.policy
            )
            if level == Warning.Level.BREACHED:
                _escalate(clock.ticket, clock.policy)
    except IntegrityError:
        return False
    return True


def sla_check(now: dt.datetime | None = None) -> int:
    """The periodic job: announce the warnings and breaches that are due, each once.
    One indexed query when nothing is due. Returns how many were announced."""
    now = now or timezone.now()
    ids = list(
        Clock.objects.filter(check_at__lte=now)
        .order_by("check_at")
        .values_list("ticket_id", flat=True)[:CHUNK]
    )
    if not ids:
        return 0
    # From the history as it is now (a change may have come without a signal).
    clocks_recompute(tickets=ids, now=now)
    due = list(
        Clock.objects.filter(ticket_id__in=ids).select_related(
            "ticket__priority", "policy__breach_priority", "policy__breach_assignee"
        )
    )
    done = set(
        Warning.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "target", "cycle", "level"
        )
    )
    announced = 0
    for clock in due:
        for target, cycle, level, at in _due_claims(clock, now):
            if (clock.ticket_id, target, cycle, level) not in done:
                announced += _announce(clock, target, cycle, level, at)
    # Then wait for the next moment still to come (an escalation may have recomputed).
    for clock in Clock.objects.filter(ticket_id__in=ids).only("pk", "targets"):
        Clock.objects.filter(pk=clock.pk).update(check_at=_next_check(clock, now))
    return announced


def targets_label(target: str) -> str:
    return str(Target(target).label)


def calendar_fill_holidays(*, calendar: "BusinessCalendar", years: list[int]) -> int:
    """Add the public holidays and transferred working days of ``calendar.country`` for
    ``years`` (the ``holidays`` library) as exceptions; days already there are kept, so
    an operator's edits stay. Returns how many were added. Unknown country:
    NotImplementedError."""
    import holidays

    known = holidays.country_holidays(calendar.country, years=years)
    days = [
        CalendarException(calendar=calendar, date=day, name=str(name)[:100], is_working=False)
        for day, name in sorted(known.items())
    ]
    days += [
        CalendarException(
            calendar=calendar, date=day, name=gettext("transferred working day"), is_working=True
        )
        for day in sorted(getattr(known, "weekend_workdays", ()))
        if day.year in years
    ]
    existing = set(calendar.exceptions.values_list("date", flat=True))
    new = [day for day in days if day.date not in existing]
    with transaction.atomic():
        CalendarException.objects.bulk_create(new)
        clocks.rules_changed()
    return len(new)
