"""Moving cards on the board: status and position in one change, refused when stale."""

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from tickets import signals
from tickets.models import (
    Source,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.services._base import (
    RANK_STEP,
    announce_change,
    apply_status,
    check_can_work,
    check_version,
    lock_ticket,
    one_change,
    raw_value,
    send_on_commit,
    top_rank,
)


@dataclass
class MoveResult:
    ticket: Ticket
    from_status_id: int
    previous_id: int | None
    next_id: int | None


def _neighbour(column: QuerySet[Ticket], pk: int | None) -> Ticket | None:
    if pk is None:
        return None
    return column.filter(pk=pk).only("pk", "rank").first()


def _rank_after(column: QuerySet[Ticket], lower: Ticket) -> int:
    """A rank just after ``lower`` in its column, making room if there is none."""
    after_lower = Q(rank__gt=lower.rank) | Q(rank=lower.rank, pk__gt=lower.pk)
    following = column.filter(after_lower).order_by("rank", "pk").only("rank").first()
    if following is None:
        return lower.rank + RANK_STEP
    if following.rank - lower.rank >= 2:
        return (lower.rank + following.rank) // 2
    column.filter(after_lower).update(rank=F("rank") + 2 * RANK_STEP)
    return lower.rank + RANK_STEP


@one_change()
def ticket_move(
    *,
    actor: User | None,
    ticket: Ticket | int,
    status: Status,
    version: int,
    previous_id: int | None = None,
    next_id: int | None = None,
    visible_ids: QuerySet[Ticket, Any] | None = None,
    source: str = Source.WEB,
) -> MoveResult:
    """Put a card into ``status`` between the cards ``previous_id`` and ``next_id``.

    Neighbours that are no longer in that column (or not in ``visible_ids``, a queryset
    of the tickets the actor sees) are ignored; without any the card goes to the top.
    """
    locked = lock_ticket(ticket)
    check_can_work(actor, locked)
    check_version(locked, version, actor=actor)
    now = timezone.now()
    old_status = locked.status
    if status.pk != old_status.pk:
        apply_status(locked, status, now)
    column = Ticket.objects.filter(status_id=status.pk).exclude(pk=locked.pk)
    candidates = column if visible_ids is None else column.filter(pk__in=visible_ids)
    lower = _neighbour(candidates, previous_id)
    upper = _neighbour(candidates, next_id)
    if lower is None and upper is not None:
        before_upper = Q(rank__lt=upper.rank) | Q(rank=upper.rank, pk__lt=upper.pk)
        lower = column.filter(before_upper).order_by("-rank", "-pk").only("rank").first()
        if lower is None:
            locked.rank = upper.rank - RANK_STEP
    if lower is not None:
        locked.rank = _rank_after(column, lower)
    elif upper is None:
        locked.rank = top_rank(status.pk, exclude=locked.pk)
    locked.version += 1
    locked.updated_at = now
    locked.save()
    status_changed = status.pk != old_status.pk
    TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        source=source,
        kind=TicketEvent.Kind.MOVED,
        created_at=now,
        field="status" if status_changed else "rank",
        old_value=raw_value(old_status) if status_changed else "",
        new_value=raw_value(status) if status_changed else str(locked.rank),
    )
    result = MoveResult(
        ticket=locked,
        from_status_id=old_status.pk,
        previous_id=lower.pk if lower is not None else None,
        next_id=upper.pk if upper is not None else None,
    )
    send_on_commit(
        signals.ticket_moved,
        ticket=locked,
        actor=actor,
        source=source,
        from_status_id=old_status.pk,
        to_status_id=status.pk,
        previous_id=result.previous_id,
        next_id=result.next_id,
    )
    if status_changed:
        announce_change(locked, actor, source, {"status": (old_status, status)})
    return result
