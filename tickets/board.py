"""The kanban board: which cards each status column shows, read in a fixed number of queries.

The cards always come from ``selectors.visible_tickets``; this module only narrows them to
the board's queues, cuts each column to its newest part and groups them. Statuses, queues,
transition rules and WIP limits come from the cached ``workflow()`` (no query).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F, Model, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.models import User, Viewer
from accounts.roles import user_is_manager
from tickets import extensions
from tickets.models import Priority, Queue, Status, Ticket
from tickets.selectors import (
    user_can_work_ticket,
    user_works_queues,
    visible_tickets,
    visible_tickets_in_queues,
    whole_board_queue_ids,
    worked_tickets,
)
from tickets.workflow import Workflow, workflow


@dataclass(slots=True)
class BoardCard:
    """What one card shows, read as plain values: a board holds hundreds of them."""

    pk: int
    key: str
    title: str
    version: int
    rank: int
    queue: Queue
    status: Status
    priority: Priority
    assignee_id: int | None
    # A name-only User shared by the cards of one person (not loaded from the database).
    assignee: User | None
    assignee_name: str
    due_date: date | None
    tags: list[str]
    url: str = ""
    priority_label: str = ""
    menu_label: str = ""
    due_iso: str = ""
    due_display: str = ""
    overdue: bool = False
    viewer_can_move: bool = False
    # What other apps show on the card (``tickets.extensions.register_badge``).
    badges: list = field(default_factory=list)

    @property
    def queue_id(self) -> int:
        return self.queue.pk

    @property
    def status_id(self) -> int:
        return self.status.pk


@dataclass
class BoardColumn:
    status: Status
    cards: list[BoardCard]
    total: int
    wip_limit: int | None
    more_url: str

    @property
    def hidden(self) -> int:
        """Cards of this column left off the board (over the column limit)."""
        return max(self.total - len(self.cards), 0)

    @property
    def over_limit(self) -> bool:
        return self.wip_limit is not None and self.total > self.wip_limit


@dataclass
class HiddenStatus:
    """A status with tickets on this board that is not one of its columns."""

    status: Status
    total: int
    url: str


@dataclass
class Board:
    queue: Queue | None
    queues: list[Queue]
    columns: list[BoardColumn]
    can_move: bool
    # Managers and administrators: the whole-board view is every queue, not "my queues".
    sees_all_queues: bool = False
    # queue id -> from status id -> allowed target status ids, for the queues with rules.
    transitions: dict[int, dict[int, list[int]]] = field(default_factory=dict)
    # Tickets in statuses the queue did not choose as columns: listed, never lost.
    hidden: list[HiddenStatus] = field(default_factory=list)
    hidden_url: str = ""

    @property
    def card_count(self) -> int:
        return sum(column.total for column in self.columns)

    @property
    def hidden_total(self) -> int:
        return sum(item.total for item in self.hidden)


def board_queues(user: Viewer, flow: Workflow) -> list[Queue]:
    """The queues offered in the board's switcher: the ones whose whole board the user
    sees, or, for requesters, the ones they may file in (showing their own tickets)."""
    whole = whole_board_queue_ids(user)
    if whole is None:
        return list(flow.queues)
    if user_works_queues(user):
        return [queue for queue in flow.queues if queue.pk in whole]
    return [queue for queue in flow.queues if queue.is_active]


def board_queue(slug: str, flow: Workflow) -> Queue:
    queue = next((queue for queue in flow.queues if queue.slug == slug), None)
    if queue is None:
        raise Http404
    return queue


def board_tickets(user: Viewer, *, queue: Queue | None) -> QuerySet[Ticket]:
    """The visible tickets that belong on this board, before any column cut; merged
    duplicates are left out (their target carries on)."""
    if queue is not None:
        tickets = visible_tickets_in_queues(user, [queue.pk])
    elif user_is_manager(user) or not user_works_queues(user):
        # Managers see every queue; requesters see their own tickets wherever they are.
        tickets = visible_tickets(user)
    else:
        # Agents: their queues' tickets and whatever is assigned to them elsewhere.
        tickets = worked_tickets(user)
    return tickets.filter(merged_into__isnull=True)


def _recent_filter(flow: Workflow) -> Q:
    """Open columns in full; closed ones only with what was closed lately."""
    cutoff = timezone.now() - timedelta(days=settings.BOARD_CLOSED_DAYS)
    # Open tickets have no closing time (the services clear it on reopening): filtering on
    # closed_at alone lets the database read just these rows from its board index.
    return Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff)


CARD_VALUES = (
    "pk",
    "key",
    "title",
    "version",
    "rank",
    "queue_id",
    "status_id",
    "priority_id",
    "due_date",
    "assignee_id",
    *(f"assignee__{name}" for name in User.NAME_FIELDS),
)


ModelT = TypeVar("ModelT", bound=Model)


class _Lookup(dict[int, ModelT]):
    """Workflow objects by id from the cache; one edited this very moment is read once."""

    def __init__(self, cached: Iterable[ModelT], model: type[ModelT]) -> None:
        super().__init__((item.pk, item) for item in cached)
        self.model: type[ModelT] = model

    def __missing__(self, pk: int) -> ModelT:
        self[pk] = self.model._default_manager.get(pk=pk)
        return self[pk]


def _column_cards(tickets: QuerySet[Ticket], flow: Workflow) -> list[BoardCard]:
    """The first ``BOARD_COLUMN_LIMIT`` cards of every column, in one query, plus their tags.

    The window numbers the cards of each status in board order; the ids it keeps feed
    the query that reads the cards' values with their assignee. Queue, status and priority
    come from the cached workflow instead of joins.
    """
    numbered = tickets.annotate(
        position=Window(RowNumber(), partition_by=[F("status_id")], order_by=[F("rank"), F("pk")])
    ).filter(position__lte=settings.BOARD_COLUMN_LIMIT)
    rows = list(
        Ticket.objects.filter(pk__in=numbered.values("pk"))
        .order_by("rank", "pk")
        .values_list(*CARD_VALUES, *extensions.badge_values())
    )
    if not rows:
        return []
    tags: dict[int, list[str]] = {}
    for ticket_id, name in (
        Ticket.tags.through.objects.filter(ticket_id__in=[row[0] for row in rows])
        .order_by("tag__name")
        .values_list("ticket_id", "tag__name")
    ):
        tags.setdefault(ticket_id, []).append(name)
    statuses = _Lookup(flow.statuses, Status)
    priorities = _Lookup(flow.priorities, Priority)
    queues = _Lookup(flow.queues, Queue)
    # Agents are few: each one is built once and shared by their cards.
    people: dict[int, User] = {}
    now = timezone.now()
    cards = []
    for (
        pk,
        key,
        title,
        version,
        rank,
        queue_id,
        status_id,
        priority_id,
        due_date,
        assignee_id,
        *more,
    ) in rows:
        assignee, extra = more[: len(User.NAME_FIELDS)], more[len(User.NAME_FIELDS) :]
        if assignee_id is not None and assignee_id not in people:
            people[assignee_id] = User.name_only(assignee_id, *assignee)
        person = people.get(assignee_id)
        cards.append(
            BoardCard(
                pk=pk,
                key=key,
                title=title,
                version=version,
                rank=rank,
                queue=queues[queue_id],
                status=statuses[status_id],
                priority=priorities[priority_id],
                assignee_id=assignee_id,
                assignee=person,
                assignee_name=person.get_display_name() if person else "",
                due_date=due_date,
                tags=tags.get(pk, [])[:3],
                badges=extensions.render_badges(extra, now) if extra else [],
            )
        )
    return cards


def _decorate_cards(cards: list[BoardCard], *, user: Viewer, can_move: bool) -> None:
    """The texts and flags of each card, worked out here rather than per card in a template.

    A board may hold a thousand cards; template tags, translations and URL reversing per
    card would dominate the page's time.
    """
    today = timezone.localdate()
    # Keys only hold capital letters, digits and a dash, so one reversed URL serves all.
    url_pattern = reverse("tickets:detail", kwargs={"key": "KEY-0"})
    priority_label = gettext("Priority: %(name)s")
    priority_labels: dict[int, str] = {}
    menu_label = gettext("Move %(key)s")
    due_display: dict[date, str] = {}
    # Whether the viewer works a card depends only on its queue and assignee.
    works: dict[tuple[int, int | None], bool] = {}
    for card in cards:
        place = (card.queue_id, card.assignee_id)
        if place not in works:
            works[place] = can_move and user_can_work_ticket(user, card)
        card.viewer_can_move = works[place]
        card.url = url_pattern.replace("KEY-0", card.key)
        if card.priority.pk not in priority_labels:
            priority_labels[card.priority.pk] = priority_label % {"name": card.priority.name}
        card.priority_label = priority_labels[card.priority.pk]
        card.menu_label = menu_label % {"key": card.key}
        due = card.due_date
        if due is not None:
            if due not in due_display:
                due_display[due] = date_format(due, "SHORT_DATE_FORMAT")
            card.due_iso = due.isoformat()
            card.due_display = due_display[due]
            card.overdue = due < today and not card.status.is_closed


def _more_url(status: Status | list[Status], queue: Queue | None) -> str:
    """The list of this column's (or these statuses') tickets, closed ones included."""
    params: list[tuple[str, str]] = [
        ("status", item.code) for item in (status if isinstance(status, list) else [status])
    ]
    if queue is not None:
        params.append(("queue", queue.slug))
    params.append(("state", "all"))
    return f"{reverse('tickets:list')}?{urlencode(params)}"


def _transitions(flow: Workflow, queue_ids: list[int]) -> dict[int, dict[int, list[int]]]:
    rules = {}
    for queue_id in queue_ids:
        if queue_id in flow.transitions:
            rules[queue_id] = {
                status.pk: flow.allowed_targets(queue_id, status.pk) for status in flow.statuses
            }
    return rules


def board_for(user: Viewer, *, slug: str | None = None) -> Board:
    """The board of one queue (``slug``) or of all the user's queues. Unknown slug: 404."""
    flow = workflow()
    queue = board_queue(slug, flow) if slug is not None else None
    queues = board_queues(user, flow)
    statuses = flow.board_statuses([queue.pk] if queue else [q.pk for q in queues])
    tickets = board_tickets(user, queue=queue).filter(_recent_filter(flow))
    totals = dict(
        tickets.order_by()
        .values("status_id")
        .annotate(total=Count("pk"))
        .values_list("status_id", "total")
    )
    shown = {status.pk for status in statuses}
    hidden = [s for s in flow.statuses if s.pk not in shown and totals.get(s.pk)]
    if hidden:
        tickets = tickets.filter(status_id__in=shown)
    can_move = user_works_queues(user)
    by_status: dict[int, list[BoardCard]] = {status.pk: [] for status in statuses}
    cards = _column_cards(tickets, flow) if totals else []
    _decorate_cards(cards, user=user, can_move=can_move)
    for card in cards:
        by_status.setdefault(card.status_id, []).append(card)
    limits = flow.wip_limits.get(queue.pk, {}) if queue is not None else {}
    columns = [
        BoardColumn(
            status=status,
            cards=by_status[status.pk],
            total=totals.get(status.pk, 0),
            wip_limit=limits.get(status.pk),
            more_url=_more_url(status, queue),
        )
        for status in statuses
    ]
    if queue is not None:
        rule_queues = {queue.pk}
    else:
        rule_queues = {card.queue_id for column in columns for card in column.cards}
    return Board(
        queue=queue,
        queues=queues,
        columns=columns,
        can_move=can_move,
        sees_all_queues=user_is_manager(user),
        transitions=_transitions(flow, sorted(rule_queues)) if can_move else {},
        hidden=[HiddenStatus(s, totals[s.pk], _more_url(s, queue)) for s in hidden],
        hidden_url=_more_url(hidden, queue) if hidden else "",
    )
