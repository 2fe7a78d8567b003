"""Reads of tickets, and the one place that decides who sees and works what.

- Requesters see the tickets they filed or watch, and never internal notes.
- Agents also see the tickets of the queues they belong to and those assigned to them;
  they work (change, move, read internal notes of) those of their queues and their own
  assignments.
- Managers and administrators see and work everything.

The UI, the API, downloads, the board's move endpoint and the WebSocket subscriptions
all go through these functions. A ticket someone may not see does not exist for them
(404), it is never "forbidden".
"""

import enum
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Protocol, TypeGuard

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import User, Viewer
from accounts.roles import Role, at_least_q, prefetch_role_codes, user_is_agent, user_is_manager
from tickets import extensions
from tickets.models import (
    Attachment,
    CannedReply,
    Comment,
    CommentMention,
    CommentRevision,
    Macro,
    Queue,
    Tag,
    Ticket,
    TicketEvent,
)
from tickets.workflow import agents, workflow

_QUEUES_ATTR = "_helpdesk_queue_ids"


def agent_queue_ids(user: Viewer) -> frozenset[int]:
    """Ids of the queues the user is an agent of (one query, then cached on the user)."""
    if not isinstance(user, User) or not user.is_authenticated:
        return frozenset()
    cached: frozenset[int] | None = getattr(user, _QUEUES_ATTR, None)
    if cached is None:
        cached = frozenset(
            Queue.members.through.objects.filter(user=user).values_list("queue_id", flat=True)
        )
        setattr(user, _QUEUES_ATTR, cached)
    return cached


def _active(user: Viewer | None) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated and user.is_active)


def visibility_q(user: User) -> Q | None:
    """The filter of tickets ``user`` may see; None means all of them."""
    if user_is_manager(user):
        return None
    watched = Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")
    visible = Q(requester_id=user.pk) | Q(pk__in=watched)
    if user_is_agent(user):
        visible |= Q(assignee_id=user.pk) | Q(queue_id__in=agent_queue_ids(user))
    return visible


def work_q(user: User) -> Q | None:
    """The filter of tickets ``user`` may work on; None means all, ``Q(pk__in=[])`` none."""
    if user_is_manager(user):
        return None
    if not user_is_agent(user):
        return Q(pk__in=[])
    return Q(assignee_id=user.pk) | Q(queue_id__in=agent_queue_ids(user))


def visible_tickets(user: Viewer) -> QuerySet[Ticket]:
    """Every ticket ``user`` may see (none for anonymous or inactive users)."""
    tickets = Ticket.objects.all()
    if not _active(user):
        return tickets.none()
    condition = visibility_q(user)
    return tickets if condition is None else tickets.filter(condition)


def worked_tickets(user: Viewer) -> QuerySet[Ticket]:
    """The tickets ``user`` works: those of their queues and those assigned to them."""
    if not _active(user):
        return Ticket.objects.none()
    condition = work_q(user)
    return Ticket.objects.all() if condition is None else Ticket.objects.filter(condition)


def visible_tickets_in_queues(user: Viewer, queue_ids: Iterable[int]) -> QuerySet[Ticket]:
    """The visible tickets of some queues, as ``visible_tickets(user)`` narrowed to them.

    Everything in a queue the user works is visible, so for those queues the filter is
    the queue alone, which lets the database use its queue indexes.
    """
    queue_ids = set(queue_ids)
    if not _active(user):
        return Ticket.objects.none()
    if user_is_manager(user) or (user_is_agent(user) and queue_ids <= agent_queue_ids(user)):
        return Ticket.objects.filter(queue_id__in=queue_ids)
    return visible_tickets(user).filter(queue_id__in=queue_ids)


class TicketPlace(Protocol):
    """What deciding who works a ticket reads: a ticket, or a card of the board."""

    @property
    def queue_id(self) -> int: ...

    @property
    def assignee_id(self) -> int | None: ...


def user_can_work_ticket(user: Viewer, ticket: TicketPlace) -> bool:
    """May ``user`` change the ticket, move it on the board and read its internal notes?"""
    if not _active(user):
        return False
    if user_is_manager(user):
        return True
    if not user_is_agent(user):
        return False
    return ticket.assignee_id == user.pk or ticket.queue_id in agent_queue_ids(user)


def users_who_work_ticket(users: Iterable[User], ticket: TicketPlace) -> set[int]:
    """The ids of those of ``users`` for whom ``user_can_work_ticket`` holds, for many
    people at once: the cached agents answer for the ticket's queue and assignee; only
    agents of other queues have their roles read (one query), to find the managers."""
    entries = {entry.pk: entry for entry in agents()}
    found: set[int] = set()
    others = []
    for user in users:
        entry = entries.get(user.pk)
        if entry is None or not _active(user):
            continue  # neither an agent, a manager nor an administrator
        if ticket.queue_id in entry.queue_ids or ticket.assignee_id == user.pk:
            found.add(user.pk)
        else:
            others.append(user)
    if others:
        prefetch_role_codes(others)
        found.update(user.pk for user in others if user_is_manager(user))
    return found


class CommentEditRight(enum.Enum):
    """How a user may change a comment: not at all, as its author while the edit window
    lasts, or as staff redacting it (with a reason)."""

    NONE = "none"
    OWN = "own"
    REDACT = "redact"


def comment_edit_window() -> timedelta:
    return timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def comment_edit_right(
    user: Viewer, comment: Comment, *, can_work: bool, now: datetime
) -> CommentEditRight:
    """The one rule for changing comments and internal notes: authors change their own
    for ``COMMENT_EDIT_MINUTES`` after writing them; those who work the ticket
    (``can_work``: its queue's agents, its assignee, managers, administrators) may
    redact any of them, saying why; a redacted comment stays as they left it.
    ``can_work`` is ``user_can_work_ticket`` of the comment's ticket, which callers
    already know."""
    if not _active(user):
        return CommentEditRight.NONE
    # A comment staff redacted is no longer its author's to change (nor to undo).
    own = (
        comment.author_id == user.pk
        and comment.edited_by_id in (None, user.pk)
        and (can_work or not comment.is_internal)
    )
    if own and now - comment.created_at < comment_edit_window():
        return CommentEditRight.OWN
    return CommentEditRight.REDACT if can_work else CommentEditRight.NONE


def user_can_see_ticket(user: Viewer, ticket: Ticket) -> bool:
    if not _active(user):
        return False
    if user_can_work_ticket(user, ticket) or ticket.requester_id == user.pk:
        return True
    return ticket.watchers.filter(pk=user.pk).exists()


def user_works_queues(user: Viewer) -> bool:
    """Is the user an agent: do they work tickets at all (agents, managers,
    administrators)? The one answer for pages, forms, filters and the API."""
    return _active(user) and user_is_agent(user)


def whole_board_queue_ids(user: Viewer) -> frozenset[int] | None:
    """The queues whose whole board ``user`` may see: every card and, live, every change
    to it. None means every queue (managers); agents see the queues they work; others
    none (on a board they see only their own tickets' cards, ``visible_tickets``)."""
    if not _active(user):
        return frozenset()
    if user_is_manager(user):
        return None
    return agent_queue_ids(user) if user_is_agent(user) else frozenset()


def ticket_card_related(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What a row of the list or a card of the board shows, in one query plus tags."""
    return tickets.select_related(
        "queue", "status", "priority", "requester", "assignee", *extensions.api_related()
    )


def get_visible_ticket(user: Viewer, *, key: str | None = None, pk: int | None = None) -> Ticket:
    """The ticket by key or id if ``user`` may see it, else Http404."""
    tickets = ticket_card_related(visible_tickets(user))
    lookup = {"key": key.upper()} if key is not None else {"pk": pk}
    try:
        return tickets.get(**lookup)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ticket_detail(user: Viewer, *, key: str) -> Ticket:
    """A visible ticket with its tags and the viewer's rights (the page's other parts come
    from ``tickets.timeline``)."""
    tickets = visible_tickets(user).select_related("requester", "assignee").prefetch_related("tags")
    try:
        ticket = tickets.get(key=key.upper())
    except Ticket.DoesNotExist:
        raise Http404 from None
    # Status, priority and queue from the cached workflow instead of three more joins.
    flow = workflow()
    for name, found in (
        ("status", flow.status(ticket.status_id)),
        ("priority", flow.priority(ticket.priority_id)),
        ("queue", flow.queue(ticket.queue_id)),
    ):
        if found is not None:
            setattr(ticket, name, found)
    ticket.viewer_can_work = user_can_work_ticket(user, ticket)
    return ticket


def ticket_people(
    ticket: Ticket, *, user_ids: Iterable[int] = ()
) -> tuple[list[User], dict[int, User]]:
    """The ticket's watchers (by name) and the users ``user_ids``, in one query."""
    watches = Ticket.watchers.through.objects.filter(ticket_id=ticket.pk)
    people = list(
        User.objects.filter(Q(pk__in=watches.values("user_id")) | Q(pk__in=list(user_ids)))
        .annotate(is_watcher=Exists(watches.filter(user_id=OuterRef("pk"))))
        .order_by("last_name", "first_name", "username")
    )
    return [person for person in people if person.is_watcher], {p.pk: p for p in people}


def visible_comments(user: Viewer, ticket: Ticket) -> QuerySet[Comment]:
    comments = ticket.comments.select_related("author", "edited_by").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "id"))
    )
    if not user_can_work_ticket(user, ticket):
        comments = comments.filter(is_internal=False)
    return comments


def comment_revisions(
    user: Viewer, ticket: Ticket, comments: Iterable[Comment]
) -> dict[int, list[CommentRevision]]:
    """The earlier texts of the edited ones of ``comments``, oldest first, for those who
    work the ticket (nobody else reads them); no query when none was edited."""
    edited = [comment.pk for comment in comments if comment.edited_at is not None]
    if not edited or not user_can_work_ticket(user, ticket):
        return {}
    found: dict[int, list[CommentRevision]] = {}
    revisions = CommentRevision.objects.filter(comment_id__in=edited).select_related("edited_by")
    for revision in revisions.order_by("edited_at", "id"):
        found.setdefault(revision.comment_id, []).append(revision)
    return found


def visible_attachments(user: Viewer, ticket: Ticket) -> QuerySet[Attachment]:
    attachments = ticket.attachments.select_related("uploaded_by", "comment")
    if not user_can_work_ticket(user, ticket):
        attachments = attachments.filter(Q(comment__isnull=True) | Q(comment__is_internal=False))
    return attachments


def get_visible_attachment(user: Viewer, *, key: str, attachment_id: int) -> Attachment:
    ticket = get_visible_ticket(user, key=key)
    try:
        return visible_attachments(user, ticket).get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None


def visible_events(user: Viewer, ticket: Ticket) -> QuerySet[TicketEvent]:
    events = ticket.events.select_related("actor")
    if not user_can_work_ticket(user, ticket):
        events = events.filter(is_internal=False)
    return events


def assignable_agents(queue: Queue | None = None) -> QuerySet[User]:
    """Agents who may be given tickets (of ``queue``, or of any queue)."""
    agents = User.objects.filter(is_active=True).filter(at_least_q(Role.AGENT))
    if queue is not None:
        members = Queue.members.through.objects.filter(queue_id=queue.pk, user_id=OuterRef("pk"))
        agents = agents.filter(Exists(members))
    return agents.distinct().order_by("last_name", "first_name", "username")


def agent_choices(*, queue_id: int | None = None) -> list[User]:
    """Agents to pick from (cached, no query), as name-only users; with ``queue_id``,
    ``in_queue`` tells the members of that queue."""
    people = []
    for entry in agents():
        person = User.name_only(
            entry.pk, entry.username, entry.first_name, entry.last_name, entry.display_name
        )
        person.in_queue = queue_id in entry.queue_ids
        people.append(person)
    return people


def notes_scope(user: Viewer) -> Q | bool:
    """Whose internal notes ``user`` may search: True all, False none, or a ticket filter."""
    condition = work_q(user) if _active(user) else Q(pk__in=[])
    if condition is None:
        return True
    if not user_is_agent(user):
        return False
    return condition


def search_visible_tickets(
    user: Viewer, query: str, tickets: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """Visible tickets (or ``tickets``, already visible) matching ``query``, ranked."""
    from tickets.search import search_tickets

    base = visible_tickets(user) if tickets is None else tickets
    return search_tickets(base, query, notes=notes_scope(user))


def visible_tags(user: User) -> QuerySet[Tag]:
    """Tags on tickets ``user`` may see, each with how many such tickets carry it: a tag
    only on hidden tickets would tell what those tickets are about."""
    if user_is_manager(user):
        scope = Q(tickets__isnull=False)
    else:
        scope = Q(tickets__in=visible_tickets(user))
    # The filter comes first, so the count uses its join: visible tickets only.
    return Tag.objects.filter(scope).annotate(ticket_count=Count("tickets")).order_by("name", "pk")


def last_changed_by(ticket: Ticket) -> User | None:
    """Who made the latest change that bumped the ticket's version."""
    # Only the kinds of change that raise the version (not comments, files, watchers).
    event = (
        TicketEvent.objects.filter(
            ticket=ticket, kind__in=[TicketEvent.Kind.CHANGED, TicketEvent.Kind.MOVED]
        )
        .exclude(field="comment")
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    return event.actor if event else None


# --- An agent's tools -------------------------------------------------------------------


def canned_replies_for(user: Viewer, ticket: Ticket | None = None) -> QuerySet[CannedReply]:
    """The canned replies ``user`` may insert: their own, and those shared by the ticket's
    queue (without a ticket: by the queues they work; managers: every queue). Most used
    first."""
    if not (_active(user) and user_is_agent(user)):
        return CannedReply.objects.none()
    own = Q(owner_id=user.pk)
    if ticket is not None:
        shared = Q(queue_id=ticket.queue_id)
    elif user_is_manager(user):
        shared = Q(queue__isnull=False)
    else:
        shared = Q(queue_id__in=agent_queue_ids(user))
    return CannedReply.objects.filter(own | shared).order_by("-usage_count", "title", "pk")


def macros_for(ticket: Ticket | None = None) -> QuerySet[Macro]:
    """The active macros offered on ``ticket`` (or, without one, on the list)."""
    macros = Macro.objects.filter(is_active=True)
    if ticket is not None:
        macros = macros.filter(Q(queue__isnull=True) | Q(queue_id=ticket.queue_id))
    return macros.order_by("order", "name", "pk")


def mention_candidates(
    ticket: Ticket, *, internal: bool, query: str = "", limit: int = 10
) -> list[User]:
    """People who may read a comment on ``ticket`` (an internal note: only those who work
    it), matching ``query`` by login or name, for the reply box's completion, with their
    roles loaded (``user_role``). Four queries at most."""
    watchers = Ticket.watchers.through.objects.filter(ticket_id=ticket.pk).values("user_id")
    readers = at_least_q(Role.AGENT)
    if not internal:
        readers |= Q(pk=ticket.requester_id) | Q(pk__in=watchers)
    people = User.objects.filter(readers, is_active=True)
    for word in query.split()[:3]:
        people = people.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(display_name__icontains=word)
        )
    found = list(people.distinct().order_by("last_name", "first_name", "username")[: limit * 5])
    if not found:
        return []
    prefetch_role_codes(found)  # the completion shows each one's role
    workers = users_who_work_ticket(found, ticket)
    sees = set() if internal else {ticket.requester_id, *(w["user_id"] for w in watchers)}
    chosen = [user for user in found if user.pk in workers or user.pk in sees]
    return chosen[:limit]


def mention_refusals(ticket: Ticket, people: Iterable[User], *, internal: bool) -> list[User]:
    """Those of ``people`` who cannot read a comment on ``ticket`` (an internal note: who do
    not work it)."""
    people = list(people)
    if not people:
        return []
    workers = users_who_work_ticket(people, ticket)
    others = [user for user in people if user.pk not in workers]
    if internal or not others:
        return others
    others = [user for user in others if user.pk != ticket.requester_id]
    watching = (
        set(
            Ticket.watchers.through.objects.filter(
                ticket_id=ticket.pk, user_id__in=[user.pk for user in others]
            ).values_list("user_id", flat=True)
        )
        if others
        else set()
    )
    return [user for user in others if user.pk not in watching]


# --- What waits for someone (the home page's blocks and the list's filters) -------------


def mentioned_since_answer_q(user: User) -> Q:
    """Tickets where a comment mentioned ``user`` after their last comment there (public or
    internal); a mention in an internal note only where they work the ticket. Correlated
    EXISTS on ``CommentMention``'s (user, ticket, created_at) index: no extra query."""
    answered_after = Comment.objects.filter(
        ticket_id=OuterRef("ticket_id"), author_id=user.pk, created_at__gte=OuterRef("created_at")
    )
    mentions = CommentMention.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk).exclude(
        Exists(answered_after)
    )
    work = work_q(user)
    if work is None:
        return Q(Exists(mentions))
    return Q(Exists(mentions.filter(is_internal=False))) | (work & Q(Exists(mentions)))


def last_public_author() -> Subquery:
    """The author of a ticket's last public comment (to annotate tickets with)."""
    last = Comment.objects.filter(ticket_id=OuterRef("pk"), is_internal=False).order_by(
        "-created_at", "-pk"
    )
    return Subquery(last.values("author_id")[:1])


def awaiting_answer(tickets: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
    """Those of ``tickets`` assigned to ``user`` whose last public comment is their
    requester's: the requester replied and waits for ``user``."""
    return (
        tickets.filter(assignee_id=user.pk)
        .alias(last_public_author=last_public_author())
        .filter(last_public_author=F("requester_id"))
    )


def tickets_in_chunks(rows: QuerySet[Ticket], size: int) -> Iterator[list[Ticket]]:
    """``rows`` ``size`` at a time, by id (one query each, keyset: no OFFSET), for the
    periodic jobs and commands that walk many tickets."""
    rows = rows.order_by("pk")
    after = 0
    while True:
        chunk = list(rows.filter(pk__gt=after)[:size])
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        after = chunk[-1].pk
