"""The display values of ticket list rows, worked out once per page in Python.

A list page shows up to 100 rows; computing URLs, badges, avatars and dates with
template tags and filters per row would cost most of the page's time (about 1.5 ms a
row). Badges and avatars are built once per status, priority and person and shared.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import date_format, get_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import User
from tickets import extensions
from tickets.models import Ticket
from tickets.templatetags.ticket_tags import avatar, priority_badge, status_badge
from tickets.timeline import moment_label
from tickets.workflow import workflow

# What a row shows, read as plain values: no model instances, no joins but the people.
ROW_VALUES = (
    "pk",
    "key",
    "title",
    "queue_id",
    "status_id",
    "priority_id",
    "due_date",
    "updated_at",
    "requester_id",
    "assignee_id",
    *(f"requester__{name}" for name in User.NAME_FIELDS),
    *(f"assignee__{name}" for name in User.NAME_FIELDS),
)


@dataclass(slots=True)
class TicketRow:
    pk: int
    key: str
    title: str
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
    # The searched words in the ticket's text, when searching (``tickets.search``).
    snippet: SafeString = field(default_factory=SafeString)
    # What other apps show on the row (``tickets.extensions.register_badge``).
    badges: list[SafeString] = field(default_factory=list)


def ticket_rows(tickets: QuerySet[Ticket], *, tag_url: Callable[[str], str]) -> list[TicketRow]:
    """Rows for the ``tickets`` of one page (a sliced queryset): two queries, rows and tags.

    ``tag_url(name)`` gives the list URL filtered by a tag.
    """
    extra = extensions.badge_values()
    values = list(tickets.values_list(*ROW_VALUES, *extra))
    tags: dict[int, list[str]] = {}
    if values:
        through = Ticket.tags.through.objects.filter(ticket_id__in=[v[0] for v in values])
        for ticket_id, name in through.order_by("tag__name").values_list("ticket_id", "tag__name"):
            tags.setdefault(ticket_id, []).append(name)
    now = timezone.now()
    today = timezone.localdate()
    # Keys hold capital letters, digits and a dash only: one reversed URL serves all rows.
    url_pattern = reverse("tickets:detail", kwargs={"key": "KEY-0"})
    exact_format = get_format("DATETIME_FORMAT")
    badges: dict[tuple[str, int], SafeString] = {}
    people: dict[int, tuple[str, SafeString]] = {}
    dates: dict[object, str] = {}
    select_label = _("Select %(key)s")
    flow = workflow()
    rows = []
    for (
        pk,
        key,
        title,
        queue_id,
        status_id,
        priority_id,
        due,
        updated_at,
        requester_id,
        assignee_id,
        *more,
    ) in values:
        names, extra_values = more[: 2 * len(User.NAME_FIELDS)], more[2 * len(User.NAME_FIELDS) :]
        # From the cache rather than joined: a row needs only their names and colours.
        status, priority = flow.status(status_id), flow.priority(priority_id)
        queue = flow.queue(queue_id)
        if status is None or priority is None or queue is None:  # edited this very moment
            ticket = Ticket.objects.select_related("status", "priority", "queue").get(pk=pk)
            status, priority, queue = ticket.status, ticket.priority, ticket.queue
        if ("s", status.pk) not in badges:
            badges["s", status.pk] = status_badge(status)
        if ("p", priority.pk) not in badges:
            badges["p", priority.pk] = priority_badge(priority)
        for person_id, person_names in ((requester_id, names[:4]), (assignee_id, names[4:])):
            if person_id is not None and person_id not in people:
                person = User.name_only(person_id, *person_names)
                people[person_id] = (person.get_display_name(), avatar(person, "sm"))
        name, face = people[assignee_id] if assignee_id is not None else ("", SafeString())
        if due is not None and due not in dates:
            dates[due] = date_format(due, "SHORT_DATE_FORMAT")
        updated = timezone.localtime(updated_at)
        rows.append(
            TicketRow(
                pk=pk,
                key=key,
                title=title,
                queue_name=queue.name,
                url=url_pattern.replace("KEY-0", key),
                status_badge=badges["s", status.pk],
                priority_badge=badges["p", priority.pk],
                requester_name=people[requester_id][0],
                assignee_name=name,
                assignee_avatar=face,
                updated_iso=updated.isoformat(),
                updated_exact=dateformat.format(updated, exact_format),
                updated_label=moment_label(updated_at, now=now, with_time=False),
                due_label=dates.get(due, ""),
                overdue=Ticket.overdue(due, status, today),
                select_label=select_label % {"key": key},
                tags=[(tag, tag_url(tag)) for tag in tags.get(pk, [])],
                badges=extensions.render_badges(extra_values, now) if extra else [],
            )
        )
    return rows
