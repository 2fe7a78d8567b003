"""Redmine ids ↔ local objects: projects ↔ queues, statuses, priorities and users.

Matching is on Redmine's ids; names only feed the suggestions (``suggest_*``), which
fill mappings an operator has not made yet and can change in the admin. A status or
priority the sync meets for the first time is mapped by suggestion on the spot, so a new
Redmine status never stops the sync.
"""

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from accounts.roles import Role
from integrations.models import (
    RedminePriority,
    RedmineProject,
    RedmineStatus,
    RedmineUser,
)
from integrations.redmine.client import RedmineClient, RedmineRefused
from tickets.models import Priority, Queue, Status
from tickets.workflow import workflow

SYSTEM_USERNAME = "redmine"

# A local value named in both languages.
Named = TypeVar("Named", Status, Priority)


def _folded(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def _by_name(objects: Iterable[Named], name: str) -> Named | None:
    wanted = _folded(name)
    for obj in objects:
        if wanted in (_folded(obj.name_ru), _folded(obj.name_en)):
            return obj
    return None


def suggest_status(remote: dict) -> Status:
    """The status of the same name, else the first closed or the initial one."""
    statuses = list(Status.objects.order_by("order", "pk"))
    found = _by_name(statuses, remote.get("name", ""))
    if found is not None:
        return found
    if remote.get("is_closed"):
        return next((s for s in statuses if s.is_closed), statuses[-1])
    return workflow().initial_status


def suggest_priority(remote: dict, remotes: Iterable[dict]) -> Priority:
    """The priority of the same name, else the default for Redmine's default, else the
    one at the same relative place in the list."""
    priorities = list(Priority.objects.order_by("order", "pk"))
    found = _by_name(priorities, remote.get("name", ""))
    if found is not None:
        return found
    if remote.get("is_default"):
        return workflow().default_priority
    ids = [r["id"] for r in remotes] or [remote["id"]]
    place = ids.index(remote["id"]) / max(len(ids) - 1, 1) if remote["id"] in ids else 0.5
    return priorities[round(place * (len(priorities) - 1))]


def match_user(login: str, email: str) -> User | None:
    """The local user with this login (user name or ERP user name), else this e-mail.
    Never a superuser: Redmine's "admin" is not ours, and nobody should be able to
    write as an administrator here by giving their Redmine account its address."""
    people = User.objects.filter(is_superuser=False)
    if login:
        found = people.filter(Q(username__iexact=login) | Q(erp_username__iexact=login)).first()
        if found is not None:
            return found
    if email:
        matches = list(people.filter(email__iexact=email)[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def _user_row(remote: dict) -> RedmineUser:
    """Create or refresh the mapping of one Redmine user, matching it if unmatched."""
    login, email = remote.get("login", ""), remote.get("mail", "")
    name = " ".join(filter(None, (remote.get("firstname"), remote.get("lastname"))))
    row, _created = RedmineUser.objects.get_or_create(redmine_id=remote["id"])
    row.login, row.email, row.name = login, email, name or remote.get("name", "")
    if row.user_id is None:
        user = match_user(login, email)
        taken = (
            user is not None and RedmineUser.objects.filter(user=user).exclude(pk=row.pk).exists()
        )
        row.user = None if taken else user
    row.save()
    return row


def suggest_users(client: RedmineClient) -> int:
    """Map every Redmine user; returns how many are matched to a local user."""
    with transaction.atomic():
        rows = [_user_row(remote) for remote in client.users()]
    return sum(1 for row in rows if row.user_id)


def _mapped_status(remote: dict, suggestion: Callable[[], Status]) -> Status:
    """The local status of a Redmine one; ``suggestion()`` maps a new one."""
    defaults = {"name": remote.get("name", ""), "status": suggestion}
    row, _created = RedmineStatus.objects.get_or_create(redmine_id=remote["id"], defaults=defaults)
    return row.status


def _mapped_priority(remote: dict, suggestion: Callable[[], Priority]) -> Priority:
    """The local priority of a Redmine one; ``suggestion()`` maps a new one."""
    defaults = {"name": remote.get("name", ""), "priority": suggestion}
    row, _created = RedminePriority.objects.get_or_create(
        redmine_id=remote["id"], defaults=defaults
    )
    return row.priority


def suggest_reference(client: RedmineClient) -> None:
    """Map the statuses and priorities that have no mapping yet."""
    statuses, priorities = client.statuses(), client.priorities()
    known = set(RedmineStatus.objects.values_list("redmine_id", flat=True))
    for remote in statuses:
        if remote["id"] not in known:
            _mapped_status(remote, partial(suggest_status, remote))
    known = set(RedminePriority.objects.values_list("redmine_id", flat=True))
    for remote in priorities:
        if remote["id"] not in known:
            _mapped_priority(remote, partial(suggest_priority, remote, priorities))


def suggest_projects(client: RedmineClient) -> list[RedmineProject]:
    """Map unmapped projects whose identifier or name is a queue's slug, key or name."""
    mapped = set(RedmineProject.objects.values_list("redmine_id", flat=True))
    queues = list(Queue.objects.filter(is_active=True))
    made = []
    for project in client.projects():
        if project["id"] in mapped:
            continue
        names = {_folded(project.get("identifier", "")), _folded(project.get("name", ""))}
        queue = next(
            (
                q
                for q in queues
                if names & {_folded(q.slug), _folded(q.key_prefix), _folded(q.name)}
            ),
            None,
        )
        if queue is not None:
            # Off until an operator has checked it: switching it on imports the project.
            made.append(
                RedmineProject.objects.create(
                    redmine_id=project["id"], name=project["name"], queue=queue, is_active=False
                )
            )
    return made


def own_user(client: RedmineClient) -> dict:
    """The API key's Redmine user, ``{"id", "admin"}`` (cached for an hour)."""
    key = f"integrations:redmine:me:{client.url}"
    me = cache.get(key)
    if me is None:
        user = client.current_user()
        me = {"id": user["id"], "admin": bool(user.get("admin"))}
        cache.set(key, me, 3600)
    return me


def system_user() -> User:
    """Stands for Redmine people with no local account (as requester)."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "Redmine", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass
class Mappings:
    """Every mapping, loaded once per run, both ways."""

    client: RedmineClient | None
    statuses: dict[int, Status] = field(default_factory=dict)
    priorities: dict[int, Priority] = field(default_factory=dict)
    users: dict[int, User | None] = field(default_factory=dict)
    status_out: dict[int, int] = field(default_factory=dict)
    priority_out: dict[int, int] = field(default_factory=dict)
    user_out: dict[int, int] = field(default_factory=dict)
    agent_ids: set[int] = field(default_factory=set)
    # The API key's Redmine user: journals it wrote may be our own pushes.
    me: int | None = None
    _fallback: User | None = None

    @classmethod
    def complete(cls, client: RedmineClient) -> "Mappings":
        """Every Redmine status and priority mapped (by suggestion where the operator
        has not), then loaded: what a run that may send values to Redmine needs."""
        suggest_reference(client)
        return cls.load(client)

    @classmethod
    def load(cls, client: RedmineClient | None) -> "Mappings":
        found = cls(client=client)
        flow = workflow()
        for status_row in RedmineStatus.objects.order_by("-push_default", "redmine_id"):
            status_id = status_row.status_id
            found.statuses[status_row.redmine_id] = flow.status(status_id) or status_row.status
            found.status_out.setdefault(status_id, status_row.redmine_id)
        for priority_row in RedminePriority.objects.order_by("-push_default", "redmine_id"):
            priority_id = priority_row.priority_id
            local = flow.priority(priority_id) or priority_row.priority
            found.priorities[priority_row.redmine_id] = local
            found.priority_out.setdefault(priority_id, priority_row.redmine_id)
        for user_row in RedmineUser.objects.select_related("user"):
            found.users[user_row.redmine_id] = user_row.user
            if user_row.user_id:
                found.user_out[user_row.user_id] = user_row.redmine_id
        agents = User.objects.filter(is_active=True).filter(
            Q(is_superuser=True) | Q(groups__name__in=[Role.AGENT, Role.MANAGER])
        )
        found.agent_ids = set(agents.values_list("pk", flat=True))
        # Made now, outside any issue's transaction (one rolled back would take it along).
        found._fallback = system_user()
        return found

    def can_be_assignee(self, user: User | None) -> bool:
        return user is not None and user.pk in self.agent_ids

    def status(self, remote: dict) -> Status:
        if remote["id"] not in self.statuses:
            suggestion = partial(suggest_status, remote)
            self.statuses[remote["id"]] = _mapped_status(remote, suggestion)
        return self.statuses[remote["id"]]

    def priority(self, remote: dict, remotes: Iterable[dict] = ()) -> Priority:
        """``remotes``: every Redmine priority in order, for a suggestion by place."""
        if remote["id"] not in self.priorities:
            suggestion = partial(suggest_priority, remote, list(remotes))
            self.priorities[remote["id"]] = _mapped_priority(remote, suggestion)
        return self.priorities[remote["id"]]

    def user(self, remote: dict | None) -> User | None:
        """The local user of a Redmine user ({"id", "name"}), if any. A user met for the
        first time is looked up (by login, then e-mail) and remembered either way."""
        if not remote:
            return None
        rid = remote["id"]
        if rid not in self.users:
            details = {"id": rid, "name": remote.get("name", "")}
            if self.client is not None:
                # A group, or a key that may not read users: no match.
                with suppress(RedmineRefused):
                    details = self.client.user(rid)
            row = _user_row(details)
            self.users[rid] = row.user
            if row.user_id:
                self.user_out.setdefault(row.user_id, rid)
        return self.users[rid]

    def requester(self, remote: dict | None) -> User:
        user = self.user(remote)
        if user is not None:
            return user
        if self._fallback is None:  # not made by ``load``
            self._fallback = system_user()
        return self._fallback

    def assignee(self, remote: dict | None) -> User | None:
        """Only active agents are assignees here; anyone else leaves it empty."""
        user = self.user(remote)
        return user if self.can_be_assignee(user) else None
