"""Writing demo tickets in bulk, one transaction per batch (see the package's docstring)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Min

from tickets import search
from tickets.demo.plans import (
    STATUS_PATHS,
    Cast,
    TicketPlan,
    comment_counts,
    created_time,
    demo_anchor,
    ticket_plan,
    ticket_random,
)
from tickets.demo.queues import DEMO_PREFIXES, demo_queues_ensure, demo_ticket_count
from tickets.demo.text import TOPICS
from tickets.models import (
    Comment,
    KeyCounter,
    Queue,
    Source,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)
from tickets.services import RANK_STEP
from tickets.workflow import workflow

DEFAULT_COMMENTS_PER_TICKET = 5
DEFAULT_BATCH_SIZE = 500

# --- Loading --------------------------------------------------------------------------


@dataclass
class BatchReport:
    batch: int
    batches: int
    tickets: int
    comments: int
    events: int
    search_documents: int
    seconds: float


@dataclass
class LoadResult:
    existing: int
    created: int = 0
    comments: int = 0
    events: int = 0
    search_documents: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.existing + self.created


def demo_tickets_load(
    *,
    total: int,
    seed: int = 1,
    comments_per_ticket: float = DEFAULT_COMMENTS_PER_TICKET,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[BatchReport], None] | None = None,
) -> LoadResult:
    """Add demo tickets until the demo queues hold at least ``total``; idempotent.

    Needs the demo personas (``accounts.demo``) and queues (``demo_queues_ensure``).
    """
    started = time.monotonic()
    queues = {q.key_prefix: q for q in Queue.objects.filter(key_prefix__in=DEMO_PREFIXES)}
    if len(queues) < len(DEMO_PREFIXES):
        queues = demo_queues_ensure()
    result = LoadResult(existing=demo_ticket_count())
    if result.existing >= total:
        return result
    cast = Cast.load(queues)
    anchor = demo_anchor()
    counts = comment_counts(
        seed=seed, start=result.existing, stop=total, per_ticket=comments_per_ticket
    )
    # Created times first, so keys and ids follow the order tickets were filed in.
    order = sorted(
        range(result.existing, total),
        key=lambda index: (created_time(ticket_random(seed, index), anchor), index),
    )
    tags = _tags_ensure()
    batches = (len(order) + batch_size - 1) // batch_size
    for number, start in enumerate(range(0, len(order), batch_size), start=1):
        batch_started = time.monotonic()
        plans = [
            ticket_plan(
                cast=cast,
                seed=seed,
                index=index,
                comments=counts[index - result.existing],
                anchor=anchor,
            )
            for index in order[start : start + batch_size]
        ]
        report = _write_batch(plans, tags)
        report.batch, report.batches = number, batches
        report.seconds = time.monotonic() - batch_started
        result.created += report.tickets
        result.comments += report.comments
        result.events += report.events
        result.search_documents += report.search_documents
        if progress is not None:
            progress(report)
    _refresh_statistics()
    result.seconds = time.monotonic() - started
    return result


def _refresh_statistics() -> None:
    """After a bulk load SQLite's query planner needs fresh statistics to pick the right
    indexes (MariaDB's InnoDB refreshes its own)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _tags_ensure() -> dict[str, Tag]:
    names = sorted({Tag.normalize(name) for topic in TOPICS for name in topic.tags})
    return {name: Tag.objects.get_or_create(name=name)[0] for name in names}


def _statuses() -> dict[str, Status]:
    flow = workflow()
    statuses = {status.code: status for status in flow.statuses}
    missing = set(STATUS_PATHS) - set(statuses)
    if missing:
        raise ValueError(f"demo data needs the default statuses; missing: {sorted(missing)}")
    return statuses


def _queue(plan: TicketPlan) -> Queue:
    if plan.queue is None:
        raise ValueError(f"demo ticket {plan.index} was planned without a queue")
    return plan.queue


def _numbers(plans: list[TicketPlan]) -> None:
    """Key numbers after the highest in use, per prefix, with the counter moved along."""
    for prefix in sorted({_queue(plan).key_prefix for plan in plans}):
        KeyCounter.objects.get_or_create(prefix=prefix)
        counter = KeyCounter.objects.select_for_update().get(prefix=prefix)
        highest = Ticket.objects.filter(key__startswith=f"{prefix}-").aggregate(
            highest=Max("number")
        )["highest"]
        number = max(counter.last_number, highest or 0)
        for plan in plans:
            if _queue(plan).key_prefix == prefix:
                number += 1
                plan.number = number
        counter.last_number = number
        counter.save(update_fields=["last_number"])


def _ranks(plans: list[TicketPlan], statuses: dict[str, Status]) -> dict[int, int]:
    """Ranks above each column's top card, the latest arrival on top (as the services do)."""
    ranks = {}
    for code in sorted({plan.status_code for plan in plans}):
        status_id = statuses[code].pk
        lowest = Ticket.objects.filter(status_id=status_id).aggregate(lowest=Min("rank"))
        rank = lowest["lowest"] or 0
        column = sorted(
            (plan for plan in plans if plan.status_code == code),
            key=lambda plan: (plan.status_since, plan.index),
        )
        for plan in column:
            rank -= RANK_STEP
            ranks[plan.index] = rank
    return ranks


@transaction.atomic
def _write_batch(plans: list[TicketPlan], tags: dict[str, Tag]) -> BatchReport:
    statuses = _statuses()
    priorities = {priority.code: priority for priority in workflow().priorities}
    default_priority = workflow().default_priority
    _numbers(plans)
    ranks = _ranks(plans, statuses)
    tickets = []
    for plan in plans:
        status = statuses[plan.status_code]
        closing = [at for _old, new, at in plan.changes if statuses[new].is_closed]
        tickets.append(
            Ticket(
                queue=plan.queue,
                number=plan.number,
                key=f"{_queue(plan).key_prefix}-{plan.number}",
                title=plan.title,
                description=plan.description,
                requester=plan.requester,
                assignee=plan.assignee,
                status=status,
                priority=priorities.get(plan.priority_code, default_priority),
                due_date=plan.due_date,
                source=Source.WEB,
                created_at=plan.created_at,
                updated_at=plan.updated_at,
                resolved_at=closing[0] if status.is_closed else None,
                closed_at=closing[-1] if status.is_closed else None,
                version=1 + len(plan.changes),
                rank=ranks[plan.index],
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=500)
    if any(ticket.pk is None for ticket in tickets):  # databases without RETURNING
        ids = dict(Ticket.objects.filter(key__in=[t.key for t in tickets]).values_list("key", "pk"))
        for ticket in tickets:
            ticket.pk = ids[ticket.key]
    _write_relations(plans, tickets, tags)
    comments = _write_comments(plans, tickets)
    events = _write_events(plans, tickets, comments, statuses)
    rows = search.index_tickets([ticket.pk for ticket in tickets])
    return BatchReport(0, 0, len(tickets), len(comments), events, rows, 0.0)


def _write_relations(plans: list[TicketPlan], tickets: list[Ticket], tags: dict[str, Tag]) -> None:
    Tagging = Ticket.tags.through
    Watching = Ticket.watchers.through
    Tagging.objects.bulk_create(
        [
            Tagging(ticket_id=ticket.pk, tag_id=tags[Tag.normalize(name)].pk)
            for plan, ticket in zip(plans, tickets, strict=True)
            for name in plan.tags
        ],
        batch_size=1000,
    )
    Watching.objects.bulk_create(
        [
            Watching(ticket_id=ticket.pk, user_id=user.pk)
            for plan, ticket in zip(plans, tickets, strict=True)
            for user in plan.watchers
        ],
        batch_size=1000,
    )


def _write_comments(plans: list[TicketPlan], tickets: list[Ticket]) -> list[Comment]:
    comments = [
        Comment(
            ticket_id=ticket.pk,
            author=planned.author,
            body=planned.body,
            is_internal=planned.internal,
            source=Source.WEB,
            created_at=planned.at,
        )
        for plan, ticket in zip(plans, tickets, strict=True)
        for planned in plan.comments
    ]
    Comment.objects.bulk_create(comments, batch_size=1000)
    if comments and any(comment.pk is None for comment in comments):
        # Without RETURNING: ids grow in insertion order, which was ticket by ticket.
        ids = Comment.objects.filter(ticket_id__in=[t.pk for t in tickets]).order_by(
            "ticket_id", "id"
        )
        by_ticket = sorted(comments, key=lambda comment: comment.ticket_id)
        for comment, pk in zip(by_ticket, ids.values_list("pk", flat=True), strict=True):
            comment.pk = pk
    return comments


def _write_events(
    plans: list[TicketPlan],
    tickets: list[Ticket],
    comments: list[Comment],
    statuses: dict[str, Status],
) -> int:
    Kind = TicketEvent.Kind
    events = []
    written = iter(comments)
    for plan, ticket in zip(plans, tickets, strict=True):
        events.append(
            TicketEvent(
                ticket_id=ticket.pk,
                actor=plan.requester,
                source=Source.WEB,
                kind=Kind.CREATED,
                created_at=plan.created_at,
                new_value=ticket.key,
            )
        )
        for planned in plan.comments:
            comment = next(written)
            events.append(
                TicketEvent(
                    ticket_id=ticket.pk,
                    actor=planned.author,
                    source=Source.WEB,
                    kind=Kind.COMMENTED,
                    created_at=planned.at,
                    field="comment",
                    new_value=str(comment.pk),
                    is_internal=planned.internal,
                )
            )
        events.extend(
            TicketEvent(
                ticket_id=ticket.pk,
                actor=plan.assignee,
                source=Source.WEB,
                kind=Kind.CHANGED,
                created_at=at,
                field="status",
                old_value=str(statuses[old].pk),
                new_value=str(statuses[new].pk),
            )
            for old, new, at in plan.changes
        )
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)
