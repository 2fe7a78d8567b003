"""What each demo ticket looks like: drawn from a generator seeded by the seed and its number."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.demo import demo_employees_ensure
from accounts.models import User
from tickets.demo.text import (
    ENGLISH_SHARE,
    GENERIC,
    SLOT_VALUES,
    TOPIC_WEIGHTS,
    TOPICS,
    Case,
    Texts,
)
from tickets.models import Queue

HISTORY_DAYS = 120
PRIORITY_WEIGHTS = {"low": 15, "normal": 55, "high": 20, "urgent": 8, "immediate": 2}
# Final status by the ticket's age in days: older tickets are mostly done.
STATUS_WEIGHTS_BY_AGE = (
    (1, {"new": 50, "in_progress": 30, "waiting": 10, "resolved": 10, "closed": 0}),
    (7, {"new": 10, "in_progress": 25, "waiting": 15, "resolved": 30, "closed": 20}),
    (30, {"new": 2, "in_progress": 8, "waiting": 6, "resolved": 24, "closed": 60}),
    (None, {"new": 0.5, "in_progress": 2, "waiting": 1.5, "resolved": 6, "closed": 90}),
)
STATUS_PATHS = {
    "new": (),
    "in_progress": ("in_progress",),
    "waiting": ("in_progress", "waiting"),
    "resolved": ("in_progress", "resolved"),
    "closed": ("in_progress", "resolved", "closed"),
}


def demo_anchor() -> datetime:
    """Today at 09:00 local time: demo times are spread back from here."""
    return timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)


# --- Plans: what one ticket will look like --------------------------------------------


@dataclass
class CommentPlan:
    author: User
    body: str
    internal: bool
    at: datetime


@dataclass
class TicketPlan:
    index: int
    created_at: datetime
    number: int = 0
    queue: Queue | None = None
    title: str = ""
    description: str = ""
    requester: User | None = None
    assignee: User | None = None
    priority_code: str = "normal"
    status_code: str = "new"
    due_date: date | None = None
    tags: tuple[str, ...] = ()
    watchers: list[User] = field(default_factory=list)
    comments: list[CommentPlan] = field(default_factory=list)
    # (old status code, new status code, time)
    changes: list[tuple[str, str, datetime]] = field(default_factory=list)

    @property
    def updated_at(self) -> datetime:
        times = [c.at for c in self.comments] + [at for _old, _new, at in self.changes]
        return max(times, default=self.created_at)

    @property
    def status_since(self) -> datetime:
        return self.changes[-1][2] if self.changes else self.created_at


@dataclass
class Cast:
    """The people and queues tickets are given to, in a fixed order (by username)."""

    queues: dict[str, Queue]
    members: dict[str, list[User]]
    requesters: list[User]
    requester_weights: list[int]
    manager: User | None

    @classmethod
    def load(cls, queues: dict[str, Queue]) -> "Cast":
        employees = demo_employees_ensure()
        users = {u.username: u for u in User.objects.filter(is_active=True)}
        members = {
            prefix: sorted(queue.members.all(), key=lambda user: user.username)
            for prefix, queue in queues.items()
        }
        requesters, weights = [], []
        named = [("requester1", 12), ("requester2", 12), ("requester3", 12)]
        named += [("agent1", 1), ("agent2", 1), ("agent3", 1), ("manager", 1)]
        named += [(employee.username, 4) for employee in employees]
        for username, weight in sorted(named):
            if username in users:
                requesters.append(users[username])
                weights.append(weight)
        return cls(queues, members, requesters, weights, users.get("manager"))


def ticket_random(seed: int, index: int) -> random.Random:
    # A string seed is hashed with SHA-512 by ``random``: stable across processes.
    return random.Random(f"helpdesk-demo:{seed}:{index}")  # noqa: S311 - demo data


def created_time(rng: random.Random, anchor: datetime) -> datetime:
    """A working-hours time in the last HISTORY_DAYS days, more of them recent."""
    days_ago = int(HISTORY_DAYS * rng.random() ** 1.2)
    day = anchor - timedelta(days=days_ago)
    if day.weekday() >= 5 and rng.random() < 0.85:
        days_ago += day.weekday() - 4  # most weekend requests arrive on Friday
    if days_ago == 0:
        minute = rng.randint(7 * 60 + 30, 8 * 60 + 50)
    else:
        minute = rng.randint(8 * 60, 19 * 60)
    start_of_day = (anchor - timedelta(days=days_ago)).replace(hour=0)
    return start_of_day + timedelta(minutes=minute, seconds=rng.randint(0, 59))


def comment_counts(*, seed: int, start: int, stop: int, per_ticket: float) -> list[int]:
    """Comments of tickets ``start``..``stop-1``: varied, yet ``per_ticket`` on average.

    Neighbouring tickets (0 and 1, 2 and 3, ...) share their pair's comments unevenly, so
    every whole number of pairs has exactly the average, and a ticket's count depends
    only on the seed and its number.
    """

    def base(index: int) -> int:
        return int((index + 1) * per_ticket) - int(index * per_ticket)

    counts = []
    for index in range(start, stop):
        pair = index - index % 2
        first, second = base(pair), base(pair + 1)
        pair_random = random.Random(f"helpdesk-demo-pair:{seed}:{pair}")  # noqa: S311
        shift = pair_random.randint(-5, 5)
        shift = max(-first, min(shift, second))
        counts.append(first + shift if index == pair else second - shift)
    return counts


def _status_code(rng: random.Random, *, age_days: float, comments: int) -> str:
    weights = next(w for limit, w in STATUS_WEIGHTS_BY_AGE if limit is None or age_days < limit)
    code = rng.choices(list(weights), weights=list(weights.values()))[0]
    if comments == 0 and age_days < 7 and rng.random() < 0.8:
        return "new"  # nobody has answered yet
    return code


def _comment_roles(rng: random.Random, count: int, status_code: str) -> list[str]:
    roles: list[str] = []
    for position in range(count):
        previous = roles[-1] if roles else None
        if previous is None:
            role = "opener" if rng.random() < 0.7 else "requester"
        elif previous in ("opener", "agent"):
            role = rng.choices(["requester", "note", "agent"], weights=[60, 25, 15])[0]
        else:
            role = rng.choices(["agent", "note"], weights=[75, 25])[0]
        if position == 1 and roles[0] == "opener" and role == "agent":
            role = "question"
        elif role == "agent" and "opener" not in roles:
            role = "opener"
        roles.append(role)
    if len(roles) >= 3 and status_code == "closed" and rng.random() < 0.4:
        roles[-2:] = ["solution", "thanks"]
    elif roles and status_code in ("resolved", "closed"):
        roles[-1] = "solution"
    elif roles and status_code == "waiting":
        roles[-1] = "question"
    return roles


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)


def _slots(rng: random.Random) -> dict[str, str]:
    slots = {name: rng.choice(values) for name, values in SLOT_VALUES.items()}
    slots["dept_loc_cap"] = slots["dept_loc"][:1].upper() + slots["dept_loc"][1:]
    return slots


def _comment_text(rng, role: str, texts: Texts, case: Case, lang: str, slots, used) -> str:
    generic = GENERIC[lang]
    pools = {
        "opener": generic["openers"],
        "agent": texts.replies + generic["replies"],
        "question": generic["questions"],
        "requester": generic["requester"],
        "note": texts.notes + generic["notes"],
        "solution": case.solutions,
        "thanks": generic["thanks"],
    }
    # People rarely write the same sentence twice on one ticket.
    fresh = [text for text in pools[role] if text not in used] or list(pools[role])
    text = rng.choice(fresh)
    used.add(text)
    return _fill(text, slots)


def ticket_plan(
    *, cast: Cast, seed: int, index: int, comments: int, anchor: datetime
) -> TicketPlan:
    """Everything about demo ticket number ``index`` (0-based), drawn from its own seed."""
    rng = ticket_random(seed, index)
    plan = TicketPlan(index=index, created_at=created_time(rng, anchor))
    topic = rng.choices(TOPICS, weights=TOPIC_WEIGHTS)[0]
    lang = "en" if topic.en is not None and rng.random() < ENGLISH_SHARE else "ru"
    texts = topic.en if lang == "en" and topic.en is not None else topic.ru
    case = rng.choice(texts.cases)
    slots = _slots(rng)
    plan.queue = cast.queues[topic.queue]
    plan.title = _fill(rng.choice(case.titles), slots)
    plan.description = _fill(case.description, slots)
    plan.tags = topic.tags
    plan.requester = rng.choices(cast.requesters, weights=cast.requester_weights)[0]
    plan.priority_code = rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0]
    age_days = (anchor - plan.created_at).total_seconds() / 86400
    plan.status_code = _status_code(rng, age_days=age_days, comments=comments)
    # Nobody in the queue: the manager (if there is one) takes its tickets.
    members: list[User | None] = list(cast.members[topic.queue]) or [cast.manager]
    if plan.status_code != "new":
        plan.assignee = rng.choice(members)
    elif plan.queue.default_assignee_id is not None:
        plan.assignee = plan.queue.default_assignee
    elif rng.random() < 0.5:
        plan.assignee = rng.choice(members)
    high = plan.priority_code in ("high", "urgent", "immediate")
    if rng.random() < (0.7 if high else 0.3):
        plan.due_date = (plan.created_at + timedelta(days=rng.randint(1, 10))).date()
    if rng.random() < 0.1:
        watcher = rng.choice([*members, cast.manager])
        if watcher is not None and watcher != plan.assignee:
            plan.watchers.append(watcher)
    writing = {"texts": texts, "case": case, "lang": lang, "slots": slots, "used": set()}
    _plan_timeline(rng, plan, comments, writing, members, anchor)
    return plan


def _plan_timeline(rng, plan, comments, writing, members, anchor) -> None:
    """Comments and status changes in a plausible order, at increasing times."""
    agent = plan.assignee or rng.choice(members)
    steps: list[tuple[str, str]] = []  # ("comment", role) or ("status", code)
    roles = _comment_roles(rng, comments, plan.status_code)
    path = list(STATUS_PATHS[plan.status_code])
    for position, role in enumerate(roles):
        if path and path[0] == "in_progress" and role not in ("requester", "thanks"):
            steps.append(("status", path.pop(0)))
        steps.append(("comment", role))
        concludes = role == "solution" or (role == "question" and position == len(roles) - 1)
        if path and path[0] in ("waiting", "resolved") and concludes:
            steps.append(("status", path.pop(0)))
    steps.extend(("status", code) for code in path)
    room = anchor - plan.created_at - timedelta(minutes=1)
    span = min(timedelta(hours=rng.uniform(0.3, 96)), room)
    offsets = sorted(rng.uniform(60, max(span.total_seconds(), 61)) for _ in steps)
    status = "new"
    for (kind, value), offset in zip(steps, offsets, strict=True):
        at = plan.created_at + timedelta(seconds=offset)
        if kind == "status":
            plan.changes.append((status, value, at))
            status = value
            continue
        if value in ("requester", "thanks"):
            author = plan.requester
        elif value == "note" and len(members) > 1 and rng.random() < 0.5:
            author = rng.choice(members)
        else:
            author = agent
        body = _comment_text(rng, value, **writing)
        plan.comments.append(CommentPlan(author, body, value == "note", at))
