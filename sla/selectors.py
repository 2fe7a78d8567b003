"""Reads of the sla app: the achievement report, over the tickets the reader may see."""

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User, Viewer
from sla.models import Clock, ClockState, Target
from tickets.models import Ticket
from tickets.selectors import visible_tickets
from tickets.workflow import workflow

GROUPS = ("queue", "agent")


@dataclass
class ReportRow:
    name: str
    met: int = 0
    breached: int = 0
    running: int = 0
    first_responses: list[int] = field(default_factory=list)

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def met_percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None

    @property
    def median_first_response(self) -> int | None:
        return round(statistics.median(self.first_responses)) if self.first_responses else None


def achievement(user: Viewer, *, days: int, group: str) -> list[ReportRow]:
    """Targets met and breached, per queue or assignee, of the visible tickets created in
    the last ``days`` days; the median first response in business minutes. Two queries:
    the clocks, and the names of the assignees."""
    since = timezone.now() - dt.timedelta(days=days)
    return achievement_of(visible_tickets(user).filter(created_at__gte=since), group=group)


def achievement_of(tickets: QuerySet[Ticket], *, group: str) -> list[ReportRow]:
    """``achievement`` over ``tickets``, which the caller has already narrowed to what
    its reader may see (the dashboard's scope)."""
    clocks = Clock.objects.filter(ticket__in=tickets).values_list(
        "ticket__queue_id", "ticket__assignee_id", "targets"
    )
    rows: dict[int | None, ReportRow] = {}
    key: int | None
    flow = workflow()
    for queue_id, assignee_id, targets in clocks:
        key = queue_id if group == "queue" else assignee_id
        if key not in rows:
            queue = flow.queue(queue_id) if group == "queue" else None
            rows[key] = ReportRow(name=queue.name if queue else "")
        row = rows[key]
        for target in targets:
            if target["state"] == ClockState.MET:
                row.met += 1
            elif target["state"] == ClockState.BREACHED:
                row.breached += 1
            else:
                row.running += 1
            if target["target"] == Target.FIRST_RESPONSE and target["stopped"]:
                row.first_responses.append(target["used"])
    if group == "agent":
        people = User.objects.in_bulk([key for key in rows if key is not None])
        for key, row in rows.items():
            row.name = people[key].get_display_name() if key in people else ""
    return sorted(rows.values(), key=lambda row: (row.name == "", row.name))
