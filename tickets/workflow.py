"""Statuses, priorities and queues change rarely and are read on every page: cache them.

The cache holds plain model instances under a version that any save or delete of these
models replaces, so every process sees an edit made in the admin at once. A version is
never used twice: a version key lost (evicted, or dropped after a Redis outage) cannot
bring back values cached under an earlier one.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from tickets.models import Priority, Queue, Status, Transition, WipLimit

CACHE_SECONDS = 3600

T = TypeVar("T")

DEFAULT_STATUSES = [
    # code, Russian, English, order, colour, closed
    ("new", "Новая", "New", 10, "#0d6efd", False),
    ("in_progress", "В работе", "In progress", 20, "#6f42c1", False),
    ("waiting", "Ожидает", "Waiting", 30, "#fd7e14", False),
    ("resolved", "Решена", "Resolved", 40, "#198754", True),
    ("closed", "Закрыта", "Closed", 50, "#6c757d", True),
]
DEFAULT_PRIORITIES = [
    # code, Russian, English, order, colour, default, high
    ("low", "Низкий", "Low", 10, "#6c757d", False, False),
    ("normal", "Обычный", "Normal", 20, "#0dcaf0", True, False),
    ("high", "Высокий", "High", 30, "#ffc107", False, True),
    ("urgent", "Срочный", "Urgent", 40, "#fd7e14", False, True),
    ("immediate", "Немедленный", "Immediate", 50, "#dc3545", False, True),
]


@dataclass
class Workflow:
    statuses: list[Status]
    priorities: list[Priority]
    queues: list[Queue]
    # queue id -> set of (from status id, to status id); queues without rules are absent.
    transitions: dict[int, set[tuple[int, int]]] = field(default_factory=dict)
    # queue id -> status id -> limit
    wip_limits: dict[int, dict[int, int]] = field(default_factory=dict)
    # queue id -> the status ids chosen as its board's columns; queues that chose none
    # (every status is a column, new ones too) are absent.
    board_columns: dict[int, set[int]] = field(default_factory=dict)

    # The lookups take None too (an id parsed from text may be missing): it finds nothing.
    def status(self, status_id: int | None) -> Status | None:
        return next((s for s in self.statuses if s.pk == status_id), None)

    def priority(self, priority_id: int | None) -> Priority | None:
        return next((p for p in self.priorities if p.pk == priority_id), None)

    def queue(self, queue_id: int | None) -> Queue | None:
        return next((q for q in self.queues if q.pk == queue_id), None)

    @property
    def open_status_ids(self) -> list[int]:
        return [s.pk for s in self.statuses if not s.is_closed]

    @property
    def closed_status_ids(self) -> list[int]:
        return [s.pk for s in self.statuses if s.is_closed]

    @property
    def initial_status(self) -> Status:
        return next(s for s in self.statuses if not s.is_closed)

    @property
    def default_priority(self) -> Priority:
        defaults = [p for p in self.priorities if p.is_default]
        return defaults[0] if defaults else self.priorities[len(self.priorities) // 2]

    @property
    def close_status(self) -> Status | None:
        """Where "close" puts a ticket: the last closed status in the workflow's order."""
        closed = [s for s in self.statuses if s.is_closed]
        return closed[-1] if closed else None

    def is_resolved(self, status: Status) -> bool:
        """Resolved, not yet closed: a closed status before ``close_status``, where the
        requester may confirm the work (close) or say it is not done (reopen)."""
        close = self.close_status
        return status.is_closed and close is not None and status.pk != close.pk

    def reopen_status(self, queue_id: int, from_id: int) -> Status | None:
        """Where "open again" puts a ticket: the first open status the queue's rules
        allow from ``from_id`` (None when they allow none)."""
        return next(
            (
                s
                for s in self.statuses
                if not s.is_closed and self.transition_allowed(queue_id, from_id, s.pk)
            ),
            None,
        )

    @property
    def high_priority_ids(self) -> list[int]:
        return [p.pk for p in self.priorities if p.is_high]

    def board_statuses(self, queue_ids: list[int] | None = None) -> list[Status]:
        """The columns of a board showing ``queue_ids`` (None: every queue), in order.

        A queue that chose no columns shows every status; a board of several queues
        shows the columns any of them shows.
        """
        ids = [queue.pk for queue in self.queues] if queue_ids is None else queue_ids
        if not ids or any(queue_id not in self.board_columns for queue_id in ids):
            return list(self.statuses)
        chosen = set().union(*(self.board_columns[queue_id] for queue_id in ids))
        return [s for s in self.statuses if s.pk in chosen]

    def transition_allowed(self, queue_id: int, from_id: int, to_id: int) -> bool:
        rules = self.transitions.get(queue_id)
        return from_id == to_id or rules is None or (from_id, to_id) in rules

    def allowed_targets(self, queue_id: int, from_id: int) -> list[int]:
        return [s.pk for s in self.statuses if self.transition_allowed(queue_id, from_id, s.pk)]


def _load() -> Workflow:
    transitions: dict[int, set[tuple[int, int]]] = {}
    for queue_id, from_id, to_id in Transition.objects.values_list(
        "queue_id", "from_status_id", "to_status_id"
    ):
        transitions.setdefault(queue_id, set()).add((from_id, to_id))
    limits: dict[int, dict[int, int]] = {}
    for queue_id, status_id, limit in WipLimit.objects.values_list(
        "queue_id", "status_id", "limit"
    ):
        limits.setdefault(queue_id, {})[status_id] = limit
    columns: dict[int, set[int]] = {}
    for queue_id, status_id in Queue.board_statuses.through.objects.values_list(
        "queue_id", "status_id"
    ):
        columns.setdefault(queue_id, set()).add(status_id)
    return Workflow(
        statuses=list(Status.objects.all()),
        priorities=list(Priority.objects.all()),
        queues=list(Queue.objects.all()),
        transitions=transitions,
        wip_limits=limits,
        board_columns=columns,
    )


def _cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, kept in the cache under the current version of ``name``."""
    version = cache.get_or_set(f"tickets:{name}:version", _new_version, timeout=None)
    key = f"tickets:{name}:{version}"
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, CACHE_SECONDS)
    return value


def _new_version() -> str:
    return uuid.uuid4().hex


def _forget(name: str) -> None:
    """Replace ``name``'s version now, for the rest of this transaction, and again once
    it commits: a request that read the old rows in between must not keep them cached
    under the new version."""

    def bump() -> None:
        cache.set(f"tickets:{name}:version", _new_version(), timeout=None)

    bump()
    transaction.on_commit(bump)


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s value kept in the cache like the workflow's, for other apps' rules
    (``sla``'s policies); ``forget(name)`` drops it when their rows change."""
    return _cached(name, load)


def forget(name: str) -> None:
    _forget(name)


def workflow() -> Workflow:
    """The current statuses, priorities, queues and rules (from the cache when fresh)."""
    return _cached("workflow", _load)


def workflow_changed(**kwargs: Any) -> None:
    """Forget the cached workflow (connected to saves and deletes of its models)."""
    _forget("workflow")


@dataclass(frozen=True)
class AgentEntry:
    """An agent as pickers show them: cached, so pages need no query for the list."""

    pk: int
    username: str
    first_name: str
    last_name: str
    display_name: str
    queue_ids: frozenset[int]


def _load_agents() -> list[AgentEntry]:
    from django.db.models import Q

    from accounts.models import User
    from accounts.roles import Role

    people = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[Role.AGENT, Role.MANAGER]))
        .distinct()
        .order_by("last_name", "first_name", "username")
        .values_list("pk", *User.NAME_FIELDS)
    )
    memberships: dict[int, set[int]] = {}
    for queue_id, user_id in Queue.members.through.objects.values_list("queue_id", "user_id"):
        memberships.setdefault(user_id, set()).add(queue_id)
    return [
        AgentEntry(
            pk,
            username,
            first_name,
            last_name,
            display_name,
            queue_ids=frozenset(memberships.get(pk, ())),
        )
        for pk, username, first_name, last_name, display_name in people
    ]


def agents() -> list[AgentEntry]:
    """Every active agent, manager and administrator with their queues (cached)."""
    return _cached("agents", _load_agents)


def agents_changed(**kwargs: Any) -> None:
    """Forget the cached agents: a user, a role or a queue membership changed."""
    _forget("agents")


def connect_cache_invalidation() -> None:
    for model in (Status, Priority, Queue, Transition, WipLimit):
        post_save.connect(workflow_changed, sender=model, dispatch_uid=f"workflow-{model.__name__}")
        post_delete.connect(
            workflow_changed, sender=model, dispatch_uid=f"workflow-del-{model.__name__}"
        )
    m2m_changed.connect(
        workflow_changed, sender=Queue.members.through, dispatch_uid="workflow-members"
    )
    m2m_changed.connect(
        workflow_changed, sender=Queue.board_statuses.through, dispatch_uid="workflow-columns"
    )
    from accounts.models import User

    post_save.connect(agents_changed, sender=User, dispatch_uid="agents-user")
    post_delete.connect(agents_changed, sender=User, dispatch_uid="agents-user-del")
    m2m_changed.connect(agents_changed, sender=User.groups.through, dispatch_uid="agents-roles")
    m2m_changed.connect(agents_changed, sender=Queue.members.through, dispatch_uid="agents-members")


def ensure_default_workflow(
    status_model: type[Status] = Status, priority_model: type[Priority] = Priority
) -> None:
    """Create the default statuses and priorities that are missing (data migration, tests)."""
    for code, ru, en, order, colour, closed in DEFAULT_STATUSES:
        status_model.objects.get_or_create(
            code=code,
            defaults={
                "name_ru": ru,
                "name_en": en,
                "order": order,
                "colour": colour,
                "is_closed": closed,
            },
        )
    for code, ru, en, order, colour, default, high in DEFAULT_PRIORITIES:
        priority_model.objects.get_or_create(
            code=code,
            defaults={
                "name_ru": ru,
                "name_en": en,
                "order": order,
                "colour": colour,
                "is_default": default,
                "is_high": high,
            },
        )
