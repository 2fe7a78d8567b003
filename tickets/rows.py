"""The display values of ticket list rows, worked out once per page in Python.

A list page shows up to 100 rows; computing URLs, badges, avatars and dates with
template tags and filters per row would cost most of the page's time (about 1.5 ms a
row). Badges and avatars are built once per status, priority and person and shared.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tickets.models import Ticket
from tickets.templatetags.ticket_tags import avatar, priority_badge, status_badge
from tickets.timeline import ago
from tickets.workflow import workflow

RECENT = timedelta(days=7)


@dataclass(slots=True)
class TicketRow:
    ticket: Ticket
    queue_name: str
    url: str
    status_badge: SafeString
    priority_badge: SafeString
    requester_name: str
    assignee_name: str
    assignee_avatar: SafeString
    updated_iso: str
    updated_exact: str
    updated_label: str
    due_label: str
    overdue: bool
    select_label: str
    tags: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.ticket.pk

    @property
    def key(self) -> str:
        return self.ticket.key


def _updated_label(moment: datetime, now: datetime) -> str:
    if now - moment >= RECENT:
        return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")
    return ago(moment)


def ticket_rows(tickets, *, tag_url) -> list[TicketRow]:
    """Rows for ``tickets`` (with status, priority, people and tags loaded).

    ``tag_url(name)`` gives the list URL filtered by a tag.
    """
    now = timezone.now()
    today = timezone.localdate()
    # Keys hold capital letters, digits and a dash only: one reversed URL serves all rows.
    url_pattern = reverse("tickets:detail", kwargs={"key": "KEY-0"})
    badges: dict[tuple[str, int], SafeString] = {}
    people: dict[int, tuple[str, SafeString]] = {}
    dates: dict[object, str] = {}
    select_label = _("Select %(key)s")
    rows = []
    flow = workflow()
    for ticket in tickets:
        # From the cache rather than joined: a row needs only their names and colours.
        status = flow.status(ticket.status_id) or ticket.status
        priority = flow.priority(ticket.priority_id) or ticket.priority
        queue = flow.queue(ticket.queue_id) or ticket.queue
        if ("s", status.pk) not in badges:
            badges["s", status.pk] = status_badge(status)
        if ("p", priority.pk) not in badges:
            badges["p", priority.pk] = priority_badge(priority)
        assignee = ticket.assignee
        if assignee is not None and assignee.pk not in people:
            people[assignee.pk] = (assignee.get_display_name(), avatar(assignee, "sm"))
        name, face = people[assignee.pk] if assignee is not None else ("", SafeString())
        due = ticket.due_date
        if due is not None and due not in dates:
            dates[due] = date_format(due, "SHORT_DATE_FORMAT")
        updated = timezone.localtime(ticket.updated_at)
        rows.append(
            TicketRow(
                ticket=ticket,
                queue_name=queue.name,
                url=url_pattern.replace("KEY-0", ticket.key),
                status_badge=badges["s", status.pk],
                priority_badge=badges["p", priority.pk],
                requester_name=ticket.requester.get_display_name(),
                assignee_name=name,
                assignee_avatar=face,
                updated_iso=updated.isoformat(),
                updated_exact=date_format(updated, "DATETIME_FORMAT"),
                updated_label=_updated_label(ticket.updated_at, now),
                due_label=dates.get(due, ""),
                overdue=bool(due and due < today and not status.is_closed),
                select_label=select_label % {"key": ticket.key},
                tags=[(tag.name, tag_url(tag.name)) for tag in ticket.tags.all()],
            )
        )
    return rows
