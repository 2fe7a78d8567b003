"""Who hears about what. Connected to ``tickets.signals.changes_recorded``, so the
notifications are written in the transaction of the change, those of all its events
together; their deliveries are queued once it commits.

- assigned: the new assignee;
- new comment: the requester (never of internal notes), the assignee and watchers who may
  read it; people ``@mentioned`` get "mentioned" instead;
- status changed: the requester, the assignee and watchers;
- new ticket: the agents of its queue (and the assignee gets "assigned");
Nobody hears about their own action.

Connected to ``accounts.signals.sign_in_paused`` too (after commit): the owner of the
account and the administrators hear that wrong passwords paused signing in.
"""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User
from notifications import delivery
from notifications.models import Channel, Delivery, Event, Notification
from notifications.preferences import choices_for, people_and_choices, wanted
from tickets import signals
from tickets.models import Comment, Ticket
from tickets.selectors import users_who_work_ticket
from tickets.workflow import agents, workflow

MENTION = re.compile(r"(?<![\w@.])@([\w.\-]{1,150})", re.UNICODE)
EXCERPT_LENGTH = 160


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_LENGTH else flat[: EXCERPT_LENGTH - 1] + "…"


def _params(ticket: Ticket, actor: User | None, **extra: Any) -> dict:
    return {
        "key": ticket.key,
        "title": ticket.title,
        "actor": actor.get_display_name() if actor else "",
        **extra,
    }


def _mentioned(text: str) -> set[str]:
    return {name.rstrip(".-").lower() for name in MENTION.findall(text or "")}


Plan = dict[int, tuple[str, dict]]  # {user_id: (event, params)}


def notify(
    ticket: Ticket | None,
    actor: User | None,
    plan: Plan,
    *,
    once_key: str | None = None,
    people: dict[int, User] | None = None,
) -> list[Notification]:
    """Write the notifications of ``plan`` and their deliveries (``notify_all``).
    ``once_key``: nobody who has a notification with this key gets another."""
    plan = {uid: entry for uid, entry in plan.items() if not actor or uid != actor.pk}
    if once_key and plan:
        reminded = Notification.objects.filter(recipient_id__in=plan, once_key=once_key)
        for user_id in reminded.values_list("recipient_id", flat=True):
            plan.pop(user_id, None)
    return notify_all([(ticket, actor, plan)], once_key=once_key, people=people)


def notify_all(
    parts: list[tuple[Ticket | None, User | None, Plan]],
    *,
    once_key: str | None = None,
    people: dict[int, User] | None = None,
    choices: dict[int, dict[tuple[str, str], bool]] | None = None,
) -> list[Notification]:
    """Write the notifications of every ``(ticket, actor, plan)`` of ``parts`` and their
    deliveries for the channels each person wants: the people and their choices one query,
    the notifications one INSERT and the deliveries another, whatever the number of parts
    and recipients. Deliveries start once the transaction commits, all in one task.
    ``people`` (and ``choices``) when the caller has loaded them already."""
    parts = [
        (ticket, actor, {uid: entry for uid, entry in plan.items() if not actor or uid != actor.pk})
        for ticket, actor, plan in parts
    ]
    everyone = {uid for _ticket, _actor, plan in parts for uid in plan}
    if not everyone:
        return []
    if people is None:
        people, saved = people_and_choices(everyone)
    else:
        saved = choices if choices is not None else choices_for(everyone)
    created, channels_of = [], []
    for ticket, actor, plan in parts:
        for user_id, (event, params) in plan.items():
            user = people.get(user_id)
            channels = [c for c in Channel if wanted(saved.get(user_id, {}), event, c)]
            if user is None or not channels:
                continue
            created.append(
                Notification(
                    recipient=user,
                    event=event,
                    ticket=ticket,
                    actor=actor,
                    params=params,
                    once_key=once_key,
                )
            )
            channels_of.append(channels)
    if not created:
        return []
    # In the savepoint of the caller (``changes_recorded``) or of the caller's
    # transaction: no second one is needed.
    with transaction.atomic(savepoint=False):
        _insert(created)
        Delivery.objects.bulk_create(
            Delivery(notification=notification, channel=channel)
            for notification, channels in zip(created, channels_of, strict=True)
            for channel in channels
        )
    _start_on_commit([n.pk for n in created])
    return created


def _insert(notifications: list[Notification]) -> None:
    """One INSERT for all, where the database returns the new ids (SQLite, MariaDB 10.5+,
    PostgreSQL); one each elsewhere."""
    if connection.features.can_return_rows_from_bulk_insert:
        Notification.objects.bulk_create(notifications)
    else:
        for notification in notifications:
            notification.save(force_insert=True)


class _Part:
    """The notifications of one ``notify`` call, waiting for their transaction to commit."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.taken = False
        self.callback = self.start  # one bound method, to find it among the hooks

    def start(self) -> None:
        # The first part of a transaction to run takes the parts written after it in
        # that transaction: a status change with a comment starts one task, not two.
        parts = _parts()
        if self.taken or self not in parts:
            return
        later = parts[parts.index(self) :]
        for part in later:
            part.taken = True
        parts[:] = [part for part in parts if not part.taken]
        delivery.dispatch([pk for part in later for pk in part.ids])


_PARTS_ATTR = "_helpdesk_notification_parts"


def _parts() -> list[_Part]:
    parts = getattr(connection, _PARTS_ATTR, None)
    if parts is None:
        parts = []
        setattr(connection, _PARTS_ATTR, parts)
    return parts


def _start_on_commit(ids: list[int]) -> None:
    parts = _parts()
    # Forget parts whose transaction (or savepoint) rolled back: their start is gone.
    waiting = {id(hook[1]) for hook in connection.run_on_commit}  # (savepoints, callback, robust)
    parts[:] = [part for part in parts if id(part.callback) in waiting]
    part = _Part(ids)
    parts.append(part)
    transaction.on_commit(part.callback)


class _Facts:
    """What the events of one change need from the database, read once for all of them:
    the watchers of their tickets, the people mentioned in their comments, and everyone
    who may hear of them."""

    def __init__(self, events: list[tuple[Signal, dict[str, Any]]]) -> None:
        ticket_ids = {
            args["ticket"].pk for signal, args in events if signal is not signals.ticket_created
        }
        self.watchers: dict[int, set[int]] = {pk: set() for pk in ticket_ids}
        if ticket_ids:
            rows = Ticket.watchers.through.objects.filter(ticket_id__in=ticket_ids)
            for ticket_id, user_id in rows.values_list("ticket_id", "user_id"):
                self.watchers[ticket_id].add(user_id)
        names = set().union(
            *(
                _mentioned(args["comment"].body)
                for signal, args in events
                if signal is signals.comment_added
            )
        )
        self.mentioned: dict[str, int] = (
            dict(
                User.objects.filter(username__in=names, is_active=True).values_list(
                    "username", "pk"
                )
            )
            if names
            else {}
        )
        audience: set[int] = set()
        for signal, args in events:
            audience |= self.audience(signal, args)
        self.people, self.choices = people_and_choices(audience) if audience else ({}, {})

    def mentions(self, comment: Comment) -> set[int]:
        names = _mentioned(comment.body)
        return {pk for name, pk in self.mentioned.items() if name.lower() in names}

    def audience(self, signal: Signal, args: dict[str, Any]) -> set[int]:
        ticket: Ticket = args["ticket"]
        if signal is signals.ticket_created:
            queue_agents = {a.pk for a in agents() if ticket.queue_id in a.queue_ids}
            return queue_agents | ({ticket.assignee_id} if ticket.assignee_id else set())
        found: set[int | None] = {ticket.requester_id, ticket.assignee_id}
        found |= self.watchers[ticket.pk]
        if signal is signals.comment_added:
            found |= self.mentions(args["comment"])
        return {pk for pk in found if pk}


def _on_created(facts: _Facts, ticket: Ticket, actor: User | None, **kwargs: Any) -> Plan:
    plan: Plan = {}
    params = _params(ticket, actor)
    for agent in agents():
        if ticket.queue_id in agent.queue_ids:
            plan[agent.pk] = (Event.NEW_TICKET, params)
    if ticket.assignee_id:
        plan[ticket.assignee_id] = (Event.ASSIGNED, params)
    return plan


def _on_changed(
    facts: _Facts,
    ticket: Ticket,
    actor: User | None,
    fields: list[str],
    changes: dict[str, tuple[Any, Any]],
    **kwargs: Any,
) -> Plan:
    plan: Plan = {}
    if "status" in fields:
        found = workflow().status(ticket.status_id)
        params = _params(ticket, actor, status=found.code if found else "")
        for user_id in {ticket.requester_id, ticket.assignee_id, *facts.watchers[ticket.pk]}:
            if user_id:
                plan[user_id] = (Event.STATUS_CHANGED, params)
    if "assignee" in fields and ticket.assignee_id:
        plan[ticket.assignee_id] = (Event.ASSIGNED, _params(ticket, actor))
    return plan


def _on_comment(
    facts: _Facts, ticket: Ticket, actor: User | None, comment: Comment, **kwargs: Any
) -> Plan:
    params = _params(ticket, actor, excerpt=_excerpt(comment.body), internal=comment.is_internal)
    watchers = facts.watchers[ticket.pk]
    mentioned = facts.mentions(comment)
    people = {
        pk: user
        for pk in facts.audience(signals.comment_added, {"ticket": ticket, "comment": comment})
        if (user := facts.people.get(pk)) is not None
    }
    # The requester and the watchers see the ticket; the others (internal notes: everyone)
    # must work it.
    sees = {ticket.requester_id, *watchers}
    workers = users_who_work_ticket(
        [user for pk, user in people.items() if comment.is_internal or pk not in sees], ticket
    )
    plan: Plan = {}
    for user_id in people:
        if (comment.is_internal or user_id not in sees) and user_id not in workers:
            continue  # requesters never hear of internal notes, outsiders of anything
        plan[user_id] = (Event.MENTIONED if user_id in mentioned else Event.COMMENTED, params)
    return plan


PLANNERS: dict[Signal, Callable[..., Plan]] = {
    signals.ticket_created: _on_created,
    signals.ticket_changed: _on_changed,
    signals.comment_added: _on_comment,
}


def changes_recorded(
    sender: object, events: list[tuple[Signal, dict[str, Any]]], **kwargs: Any
) -> None:
    """At the end of a change's transaction, still inside it: who hears of its events (a
    status change with a comment is two), read once and written in one savepoint (which
    keeps a failure here from undoing the change)."""
    told = [
        (signal, args)
        for signal, args in events
        if signal in PLANNERS and "comment" not in args.get("fields", ())
    ]
    if not told:
        return
    facts = _Facts(told)
    parts = [
        (args["ticket"], args.get("actor"), PLANNERS[signal](facts, **args))
        for signal, args in told
    ]
    with transaction.atomic():
        notify_all(parts, people=facts.people, choices=facts.choices)


def _hour() -> str:
    return timezone.now().strftime("%Y%m%d%H")


def sign_in_paused(
    sender: object,
    *,
    username: str,
    ip_address: str | None,
    failures: int,
    pause: timedelta,
    account: User | None,
    **kwargs: Any,
) -> None:
    """Tell the account's owner (at most once an hour per account) and the administrators
    (at most once an hour per address, however many names it tries)."""
    params = {
        "username": username,
        "address": ip_address or "?",
        "failures": failures,
        "minutes": int(pause.total_seconds() // 60),
    }
    owner = account if account is not None and account.is_active else None
    if owner is not None:
        erp = bool(owner.erp_username)
        notify(
            None,
            None,
            {owner.pk: (Event.SIGN_IN_PAUSED, {**params, "for_admin": False, "erp": erp})},
            once_key=f"sign-in:{owner.pk}:{_hour()}",
            people={owner.pk: owner},
        )
    admins = {
        user.pk: user
        for user in User.objects.filter(is_superuser=True, is_active=True)
        if owner is None or user.pk != owner.pk
    }
    if admins:
        notify(
            None,
            None,
            {pk: (Event.SIGN_IN_PAUSED, {**params, "for_admin": True}) for pk in admins},
            once_key=f"sign-in:{params['address']}:{_hour()}"[:100],
            people=admins,
        )
