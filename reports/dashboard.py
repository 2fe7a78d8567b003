"""The dashboard's figures: each widget one or two aggregate queries on indexed columns.

Everything counted comes from ``Scope.tickets``, which starts from
``tickets.selectors``: managers count every ticket, agents the tickets of their queues.
Medians are taken in Python over the values of one aggregate query (the same on SQLite
and MariaDB, which has no portable MEDIAN).
"""

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.db import connections
from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User, Viewer
from accounts.roles import user_is_manager
from reports.scope import Scope
from reports.sections import register_section
from reports.tables import Table
from tickets.forms import form_field
from tickets.models import Comment, Queue
from tickets.selectors import agent_queue_ids, visible_tickets, visible_tickets_in_queues
from tickets.workflow import agents, workflow

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
MAX_RANGE_DAYS = 366
# Backlog age buckets: (upper bound in days or None, label).
AGE_BUCKETS = (
    (1, _("under a day")),
    (3, _("1–3 days")),
    (7, _("3–7 days")),
    (30, _("1–4 weeks")),
    (None, _("over 4 weeks")),
)


class DashboardForm(forms.Form):
    """The dashboard's filters, read from the URL: queues and a period (days or a range)."""

    queue = forms.MultipleChoiceField(label=_("Queue"), required=False)
    period = forms.TypedChoiceField(
        label=_("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(str(days), days) for days in PERIODS],
    )
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def __init__(self, *args: Any, queues: Iterable[Queue], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queue_field = form_field(self, "queue", forms.ChoiceField)
        queue_field.choices = [(queue.slug, queue.name) for queue in queues]
        form_field(self, "period", forms.ChoiceField).choices = [
            (str(days), gettext("%(days)d days") % {"days": days}) for days in PERIODS
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        elif start and end and (end - start).days >= MAX_RANGE_DAYS:
            self.add_error("end", _("Choose at most a year."))
        return cleaned


def dashboard_queues(user: Viewer) -> list[Queue]:
    """The queues a viewer's dashboard covers: all for managers, their own for agents."""
    queues = list(workflow().queues)
    if user_is_manager(user):
        return queues
    mine = agent_queue_ids(user)
    return [queue for queue in queues if queue.pk in mine]


def build_scope(user: User, form: DashboardForm) -> Scope:
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    allowed = dashboard_queues(user)
    chosen = [queue for queue in allowed if queue.slug in (cleaned.get("queue") or [])]
    queues = chosen or allowed
    if user_is_manager(user) and not chosen:
        tickets = visible_tickets(user)
    else:
        tickets = visible_tickets_in_queues(user, [queue.pk for queue in queues])
    today = timezone.localdate()
    start, end = cleaned.get("start"), cleaned.get("end")
    if start and end:
        pass
    elif start:
        end = max(start, today)
    else:
        end = end or today
        start = end - timedelta(days=(cleaned.get("period") or DEFAULT_PERIOD) - 1)
    return Scope(
        user=user,
        tickets=tickets,
        queues=queues,
        queue_slugs=[queue.slug for queue in chosen],
        start=start,
        end=end,
    )


# --- The widgets --------------------------------------------------------------------------


def _open_counts(scope: Scope, column: str) -> dict[int, int]:
    """Open tickets per value of ``column`` (one grouped query)."""
    open_tickets = scope.tickets.filter(status_id__in=workflow().open_status_ids)
    grouped = open_tickets.values_list(column).annotate(n=Count("id"))
    return dict(grouped.values_list(column, "n"))


def open_by_status(scope: Scope) -> Table:
    flow = workflow()
    counts = _open_counts(scope, "status_id")
    statuses = [s for s in flow.statuses if not s.is_closed]
    return Table(
        name="status",
        title=gettext("Open tickets by status"),
        headers=[gettext("Status"), gettext("Tickets")],
        rows=[[s.name, counts.get(s.pk, 0)] for s in statuses],
        links=[scope.list_url(status=s.code) for s in statuses],
        chart="doughnut",
        options={"colours": [s.colour for s in statuses]},
    )


def open_by_queue(scope: Scope) -> Table:
    counts = _open_counts(scope, "queue_id")
    queues = scope.queues
    return Table(
        name="queue",
        title=gettext("Open tickets by queue"),
        headers=[gettext("Queue"), gettext("Tickets")],
        rows=[[queue.name, counts.get(queue.pk, 0)] for queue in queues],
        links=[f"{reverse('tickets:list')}?{urlencode({'queue': q.slug})}" for q in queues],
        options={"horizontal": True},
    )


def _days(scope: Scope) -> list[date]:
    return [scope.start + timedelta(days=n) for n in range((scope.end - scope.start).days + 1)]


def utc_moments(
    queryset: QuerySet[Any], plain: Sequence[str], moments: Sequence[str]
) -> Iterator[tuple]:
    """Rows of the ``plain`` fields followed by the ``moments`` as naive UTC datetimes.

    SQLite keeps moments as ISO text, which Django parses with a regular expression:
    15,000 rows took 90 ms. Read as text and parsed by ``datetime.fromisoformat`` they take
    under 30 ms. Other databases give datetimes (made naive here, for cheap comparisons).
    """
    on_sqlite = connections[queryset.db].vendor == "sqlite"
    names = [f"moment{index}" for index in range(len(moments))]
    expressions = {
        name: Cast(moment, CharField()) if on_sqlite else F(moment)
        for name, moment in zip(names, moments, strict=True)
    }
    split = len(plain)
    rows = queryset.annotate(**expressions).values_list(*plain, *names)
    for row in rows.iterator(chunk_size=5000):
        found = row[split:]
        if on_sqlite:
            parsed = tuple(datetime.fromisoformat(value) if value else None for value in found)
        else:
            parsed = tuple(
                value.astimezone(UTC).replace(tzinfo=None)
                if isinstance(value, datetime) and value.tzinfo
                else value
                for value in found
            )
        yield (*row[:split], *parsed)


def _utc_start(day: date) -> datetime:
    return timezone.make_naive(timezone.make_aware(datetime.combine(day, time.min)), UTC)


def _per_day(scope: Scope, moments: Iterable[datetime | None]) -> dict[date, int]:
    """Count moments (naive UTC) per local day of the scope: each found by bisecting the
    days' starts (a time zone conversion per row would cost more than the query)."""
    days = _days(scope)
    starts = [_utc_start(day) for day in days]
    counts: dict[date, int] = defaultdict(int)
    for moment in moments:
        if moment is not None:
            index = bisect.bisect_right(starts, moment) - 1
            if index >= 0:
                counts[days[index]] += 1
    return counts


def created_resolved(scope: Scope) -> Table:
    """Per local day, tickets created and tickets resolved (two indexed range reads)."""
    filed = scope.tickets.filter(created_at__gte=scope.since, created_at__lt=scope.until)
    solved = scope.tickets.filter(resolved_at__gte=scope.since, resolved_at__lt=scope.until)
    created = _per_day(scope, (row[0] for row in utc_moments(filed, (), ["created_at"])))
    resolved = _per_day(scope, (row[0] for row in utc_moments(solved, (), ["resolved_at"])))
    days = _days(scope)
    return Table(
        name="trend",
        title=gettext("Created and resolved per day"),
        headers=[gettext("Day"), gettext("Created"), gettext("Resolved")],
        rows=[[date_format(d, "SHORT_DATE_FORMAT"), created[d], resolved[d]] for d in days],
        links=[
            scope.list_url(state="all", created_from=d.isoformat(), created_to=d.isoformat())
            for d in days
        ],
        chart="line",
        source=gettext(
            "Created: when the ticket was filed. Resolved: when it last reached a closed "
            "status (its resolved time)."
        ),
    )


def backlog_age(scope: Scope) -> Table:
    """How long the open tickets have waited since they were filed (one query)."""
    now = timezone.now()
    bounds = [upper for upper, _label in AGE_BUCKETS]
    aggregates = {}
    lower: int | None = 0
    for index, upper in enumerate(bounds):
        condition = Q()
        if lower:
            condition &= Q(created_at__lte=now - timedelta(days=lower))
        if upper is not None:
            condition &= Q(created_at__gt=now - timedelta(days=upper))
        aggregates[f"b{index}"] = Count("id", filter=condition)
        lower = upper
    counts = scope.tickets.filter(status_id__in=workflow().open_status_ids).aggregate(**aggregates)
    return Table(
        name="age",
        title=gettext("Backlog age"),
        headers=[gettext("Waiting"), gettext("Open tickets")],
        rows=[[str(label), counts[f"b{i}"]] for i, (_u, label) in enumerate(AGE_BUCKETS)],
        source=gettext("Open tickets by the time since they were filed."),
    )


def agent_load(scope: Scope) -> Table:
    """Open tickets per assignee, and how many of them are overdue (one query)."""
    today = timezone.localdate()
    rows = (
        scope.tickets.filter(status_id__in=workflow().open_status_ids, assignee__isnull=False)
        .values("assignee_id")
        .annotate(open_count=Count("id"), overdue_count=Count("id", filter=Q(due_date__lt=today)))
        .order_by("-open_count", "assignee_id")
    )
    names = _people_names([row["assignee_id"] for row in rows])
    return Table(
        name="load",
        title=gettext("Load per agent"),
        headers=[gettext("Agent"), gettext("Open assigned"), gettext("Overdue tickets")],
        rows=[
            [names[row["assignee_id"]][0], row["open_count"], row["overdue_count"]] for row in rows
        ],
        links=[scope.list_url(assignee=names[row["assignee_id"]][1]) for row in rows],
        options={"horizontal": True, "stacked": False},
    )


def _people_names(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Display name and user name of people: agents from the cache, others in one query."""
    wanted = set(ids)
    names = {
        e.pk: (
            User.name_only(
                e.pk, e.username, e.first_name, e.last_name, e.display_name
            ).get_display_name(),
            e.username,
        )
        for e in agents()
        if e.pk in wanted
    }
    missing = wanted - set(names)
    if missing:
        for person in User.objects.filter(pk__in=missing).only(*User.NAME_FIELDS):
            names[person.pk] = (person.get_display_name(), person.username)
    return names


@dataclass(frozen=True)
class Durations:
    """First-response and resolution times (hours) per queue and per assignee."""

    first_response: dict[str, dict[int | None, list[float]]]
    resolution: dict[str, dict[int | None, list[float]]]


def _hours(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:  # not possible with the filters
        return 0.0
    return max((end - start).total_seconds(), 0) / 3600


def durations(scope: Scope) -> Durations:
    """Two aggregate queries, once per scope (both median sections read them): each
    ticket filed in the period with its first public reply by staff (not its requester),
    and each ticket resolved in the period."""
    if "durations" in scope.cache:
        return scope.cache["durations"]
    # Staff: every agent, manager and administrator (the cached list, no join on roles).
    staff = sorted(entry.pk for entry in agents())
    first_reply = (
        Comment.objects.filter(ticket_id=OuterRef("pk"), is_internal=False, author_id__in=staff)
        .exclude(author_id=OuterRef("requester_id"))
        .order_by("created_at")
        .values("created_at")[:1]
    )
    filed = (
        scope.tickets.filter(created_at__gte=scope.since, created_at__lt=scope.until)
        .annotate(first_reply=Subquery(first_reply))
        .filter(first_reply__isnull=False)
    )
    first: dict[str, dict[int | None, list[float]]] = {"queue": {}, "agent": {}}
    rows = utc_moments(filed, ["queue_id", "assignee_id"], ["created_at", "first_reply"])
    for queue_id, assignee_id, created_at, replied_at in rows:
        hours = _hours(created_at, replied_at)
        first["queue"].setdefault(queue_id, []).append(hours)
        first["agent"].setdefault(assignee_id, []).append(hours)
    resolved = scope.tickets.filter(resolved_at__gte=scope.since, resolved_at__lt=scope.until)
    resolution: dict[str, dict[int | None, list[float]]] = {"queue": {}, "agent": {}}
    rows = utc_moments(resolved, ["queue_id", "assignee_id"], ["created_at", "resolved_at"])
    for queue_id, assignee_id, created_at, resolved_at in rows:
        hours = _hours(created_at, resolved_at)
        resolution["queue"].setdefault(queue_id, []).append(hours)
        resolution["agent"].setdefault(assignee_id, []).append(hours)
    scope.cache["durations"] = Durations(first_response=first, resolution=resolution)
    return scope.cache["durations"]


def median_hours(values: list[float] | None) -> float | None:
    return round(statistics.median(values), 1) if values else None


MEDIAN_SOURCE = _(
    "First response: from filing to the first public reply by an agent, manager or "
    "administrator other than the requester, for tickets filed in the period. "
    "Resolution: from filing to the resolved time, for tickets resolved in the period. "
    "Medians in hours; per agent by the current assignee."
)


def _median_table(
    name: str,
    title: str,
    header: str,
    keyed: list[tuple[Any, str, str]],
    found: Durations,
    kind: str,
) -> Table:
    rows: list[list[Any]] = []
    links: list[str] = []
    for key, label, link in keyed:
        rows.append(
            [
                label,
                median_hours(found.first_response[kind].get(key)),
                median_hours(found.resolution[kind].get(key)),
                len(found.resolution[kind].get(key) or []),
            ]
        )
        links.append(link)
    return Table(
        name=name,
        title=title,
        headers=[
            header,
            gettext("First response, h"),
            gettext("Resolution, h"),
            gettext("Resolved"),
        ],
        rows=rows,
        links=links,
        source=str(MEDIAN_SOURCE),
        options={"series": 2, "decimals": True},
    )


def medians_by_queue(scope: Scope) -> Table:
    found = durations(scope)
    keys = set(found.first_response["queue"]) | set(found.resolution["queue"])
    keyed = [
        (q.pk, q.name, f"{reverse('tickets:list')}?{urlencode({'queue': q.slug})}")
        for q in scope.queues
        if q.pk in keys
    ]
    return _median_table(
        "median-queue", gettext("Median times per queue"), gettext("Queue"), keyed, found, "queue"
    )


def medians_by_agent(scope: Scope) -> Table:
    found = durations(scope)
    keys = set(found.first_response["agent"]) | set(found.resolution["agent"])
    names = _people_names(key for key in keys if key is not None)
    keyed: list[tuple[Any, str, str]] = sorted(
        (
            (pk, name, scope.list_url(assignee=user, state="all"))
            for pk, (name, user) in names.items()
        ),
        key=lambda item: item[1].lower(),
    )
    if None in keys:
        keyed.append((None, gettext("Unassigned"), scope.list_url(assignee="none", state="all")))
    return _median_table(
        "median-agent", gettext("Median times per agent"), gettext("Agent"), keyed, found, "agent"
    )


def register_builtin_sections() -> None:
    for order, (name, build) in enumerate(
        (
            ("status", open_by_status),
            ("queue", open_by_queue),
            ("trend", created_resolved),
            ("age", backlog_age),
            ("load", agent_load),
            ("median-queue", medians_by_queue),
            ("median-agent", medians_by_agent),
        )
    ):
        register_section(name, build=build, order=(order + 1) * 10)
    if apps.is_installed("sla"):
        from reports.sla_section import sla_by_queue

        register_section("sla", build=sla_by_queue, order=80)
