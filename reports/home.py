"""The home page's figures, by role, each a fixed number of queries.

Agents: their open tickets by status, the unassigned tickets of their queues, what is
overdue or due by tomorrow there, their tickets whose requester spoke last and the tickets
where someone mentioned them since their last answer.
Managers and administrators: the same over every queue, plus the load per agent.
Requesters: their own tickets with the last public reply.

Every count comes with the ticket list URL that shows the same tickets.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import user_is_manager
from tickets.models import Comment, Queue, Ticket
from tickets.selectors import (
    agent_queue_ids,
    awaiting_answer,
    mentioned_since_answer_q,
    user_works_queues,
    visible_tickets,
    visible_tickets_in_queues,
)
from tickets.workflow import workflow

SHORT_LIST = 5
REQUESTER_LIST = 10
TICKET_FIELDS = ("pk", "key", "title", "status_id", "priority_id", "due_date", "updated_at")


@dataclass
class Block:
    """One block of the home page: a count, the list URL that shows the same tickets and
    the first few of them."""

    name: str
    count: int
    url: str
    tickets: list[dict[str, Any]] = field(default_factory=list)
    # Counts per status (my open tickets): (status, count, url).
    parts: list[tuple[Any, int, str]] = field(default_factory=list)


def list_url(params: list[tuple[str, str]]) -> str:
    return f"{reverse('tickets:list')}?{urlencode(params)}"


def _decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flow = workflow()
    today = timezone.localdate()
    for row in rows:
        row["status"] = flow.status(row["status_id"])
        row["priority"] = flow.priority(row["priority_id"])
        row["url"] = reverse("tickets:detail", kwargs={"key": row["key"]})
        row["overdue"] = bool(
            row["due_date"]
            and row["status"]
            and not row["status"].is_closed
            and row["due_date"] < today
        )
    return rows


def _urgent_first(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.order_by("-priority_id", "due_date", "-updated_at")


def _first(tickets: QuerySet[Ticket], count: int = SHORT_LIST) -> list[dict[str, Any]]:
    return _decorate(list(_urgent_first(tickets).values(*TICKET_FIELDS)[:count]))


@dataclass
class AgentHome:
    mine: Block
    unassigned: Block
    overdue: Block
    due_soon: Block
    replied: Block
    mentioned: Block
    queues: list[Queue]
    everything: bool


def agent_home(user: User) -> AgentHome:
    """At most ten queries: my open by status, my first few, unassigned (count + first
    few), overdue and due soon (one count + two lists), requester spoke last and mentioned
    since my last answer (first few, and a count when there are more)."""
    flow = workflow()
    open_ids = flow.open_status_ids
    everything = user_is_manager(user)
    if everything:
        queues = list(flow.queues)
        in_queues = visible_tickets(user)
        queue_params: list[tuple[str, str]] = []
    else:
        mine_ids = agent_queue_ids(user)
        queues = [queue for queue in flow.queues if queue.pk in mine_ids]
        in_queues = visible_tickets_in_queues(user, mine_ids)
        queue_params = [("queue", queue.slug) for queue in queues]
    open_in_queues = in_queues.filter(status_id__in=open_ids)
    mine = visible_tickets(user).filter(assignee_id=user.pk, status_id__in=open_ids)

    by_status = dict(
        mine.values_list("status_id").annotate(n=Count("id")).values_list("status_id", "n")
    )
    parts = [
        (status, by_status[status.pk], list_url([("assignee", "me"), ("status", status.code)]))
        for status in flow.statuses
        if status.pk in by_status
    ]
    mine_block = Block(
        name="mine",
        count=sum(by_status.values()),
        url=list_url([("assignee", "me")]),
        tickets=_first(mine),
        parts=parts,
    )

    unassigned = open_in_queues.filter(assignee__isnull=True)
    unassigned_block = Block(
        name="unassigned",
        count=unassigned.count() if queues or everything else 0,
        url=list_url([*queue_params, ("assignee", "none")]),
        tickets=_first(unassigned) if queues or everything else [],
    )

    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    due = open_in_queues.aggregate(
        overdue=Count("id", filter=Q(due_date__lt=today)),
        soon=Count("id", filter=Q(due_date__gte=today, due_date__lte=tomorrow)),
    )
    overdue_block = Block(
        name="overdue",
        count=due["overdue"],
        url=list_url([*queue_params, ("overdue", "on"), ("sort", "due")]),
        tickets=_first(open_in_queues.filter(due_date__lt=today)) if due["overdue"] else [],
    )
    due_soon_block = Block(
        name="due_soon",
        count=due["soon"],
        url=list_url(
            [
                *queue_params,
                ("due_from", today.isoformat()),
                ("due_to", tomorrow.isoformat()),
                ("sort", "due"),
            ]
        ),
        tickets=(
            _first(open_in_queues.filter(due_date__gte=today, due_date__lte=tomorrow))
            if due["soon"]
            else []
        ),
    )
    return AgentHome(
        mine=mine_block,
        unassigned=unassigned_block,
        overdue=overdue_block,
        due_soon=due_soon_block,
        replied=replied_block(user, mine),
        mentioned=mentioned_block(user, visible_tickets(user).filter(status_id__in=open_ids)),
        queues=queues,
        everything=everything,
    )


def _short_block(name: str, waiting: QuerySet[Ticket], url: str) -> Block:
    """The newest changed first five, and the count only when there may be more: one
    query, or two."""
    rows = _decorate(list(waiting.order_by("-updated_at").values(*TICKET_FIELDS)[:SHORT_LIST]))
    count = len(rows) if len(rows) < SHORT_LIST else waiting.count()
    return Block(name=name, count=count, url=url, tickets=rows)


def replied_block(user: User, mine: QuerySet[Ticket]) -> Block:
    """My open tickets whose last public comment is the requester's: they wait for me.
    The list's ``awaiting=me`` shows the same tickets."""
    return _short_block("replied", awaiting_answer(mine, user), list_url([("awaiting", "me")]))


def mentioned_block(user: User, open_visible: QuerySet[Ticket]) -> Block:
    """Open tickets I may see where someone mentioned me after my last comment there.
    The list's ``mentioned=me`` shows the same tickets."""
    return _short_block(
        "mentioned",
        open_visible.filter(mentioned_since_answer_q(user)),
        list_url([("mentioned", "me")]),
    )


@dataclass
class RequesterHome:
    tickets: list[dict[str, Any]]
    open_count: int
    total: int
    url: str
    open_url: str


def requester_home(user: User) -> RequesterHome:
    """Three queries: my tickets (latest first) with their last public reply, the
    authors' names, and the counts."""
    flow = workflow()
    mine = visible_tickets(user).filter(requester_id=user.pk)
    last = Comment.objects.filter(ticket_id=OuterRef("pk"), is_internal=False).order_by(
        "-created_at", "-pk"
    )
    rows = list(
        mine.annotate(
            last_reply_at=Subquery(last.values("created_at")[:1]),
            last_reply_author=Subquery(last.values("author_id")[:1]),
        )
        .order_by("-updated_at", "-pk")
        .values(*TICKET_FIELDS, "last_reply_at", "last_reply_author")[:REQUESTER_LIST]
    )
    authors = {row["last_reply_author"] for row in rows if row["last_reply_author"]}
    names: dict[int, User] = {}
    if authors:
        people = User.objects.filter(pk__in=authors).only(*User.NAME_FIELDS)
        names = {person.pk: person for person in people}
    for row in rows:
        row["last_author"] = names.get(row["last_reply_author"])
        row["from_me"] = row["last_reply_author"] == user.pk
    counts = mine.aggregate(
        total=Count("id"), open=Count("id", filter=Q(status_id__in=flow.open_status_ids))
    )
    return RequesterHome(
        tickets=_decorate(rows),
        open_count=counts["open"],
        total=counts["total"],
        url=list_url([("requester", "me"), ("state", "all")]),
        open_url=list_url([("requester", "me")]),
    )


def home_context(user: User) -> dict[str, Any]:
    """What the home page (and its live counts fragment) shows for this user."""
    if user_works_queues(user):
        agent = agent_home(user)
        return {
            "agent": agent,
            "board_queue_ids": [queue.pk for queue in agent.queues],
        }
    return {"requester": requester_home(user), "board_queue_ids": []}
