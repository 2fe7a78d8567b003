"""Who hears about what. Connected to ``tickets.signals.change_recorded``, so the
notifications are written in the transaction of the change; their deliveries are queued
once it commits.

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
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User
from notifications import delivery
from notifications.models import Channel, Delivery, Event, Notification
from notifications.preferences import choices_for, wanted
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


def _watcher_ids(ticket: Ticket) -> set[int]:
    return set(
        Ticket.watchers.through.objects.filter(ticket_id=ticket.pk).values_list(
            "user_id", flat=True
        )
    )


def _people(ids: Iterable[int | None]) -> dict[int, User]:
    return {user.pk: user for user in User.objects.filter(pk__in=set(ids), is_active=True)}


def _mentioned(text: str) -> set[str]:
    return {name.rstrip(".-").lower() for name in MENTION.findall(text or "")}


def notify(
    ticket: Ticket | None,
    actor: User | None,
    plan: dict[int, tuple[str, dict]],
    *,
    once_key: str | None = None,
    people: dict[int, User] | None = None,
) -> list[Notification]:
    """Write the notifications of ``plan`` ({user_id: (event, params)}) and their deliveries
    for the channels each person wants, each kind in one INSERT; deliveries start once the
    transaction commits, all in one task. ``people`` are the recipients when the caller
    has loaded them already."""
    plan = {uid: entry for uid, entry in plan.items() if not actor or uid != actor.pk}
    if once_key and plan:
        reminded = Notification.objects.filter(recipient_id__in=plan, once_key=once_key)
        for user_id in reminded.values_list("recipient_id", flat=True):
            plan.pop(user_id, None)
    if not plan:
        return []
    people = people if people is not None else _people(plan)
    saved = choices_for(plan)
    created, channels_of = [], []
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
    # Inside the change's savepoint (the receivers') no second one is needed.
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


def _on_created(ticket: Ticket, actor: User | None, **kwargs: Any) -> None:
    plan: dict[int, tuple[str, dict]] = {}
    params = _params(ticket, actor)
    for agent in agents():
        if ticket.queue_id in agent.queue_ids:
            plan[agent.pk] = (Event.NEW_TICKET, params)
    if ticket.assignee_id:
        plan[ticket.assignee_id] = (Event.ASSIGNED, params)
    notify(ticket, actor, plan)


def _on_changed(
    ticket: Ticket,
    actor: User | None,
    fields: list[str],
    changes: dict[str, tuple[Any, Any]],
    **kwargs: Any,
) -> None:
    plan: dict[int, tuple[str, dict]] = {}
    if "status" in fields:
        found = workflow().status(ticket.status_id)
        params = _params(ticket, actor, status=found.code if found else "")
        for user_id in {ticket.requester_id, ticket.assignee_id, *_watcher_ids(ticket)}:
            if user_id:
                plan[user_id] = (Event.STATUS_CHANGED, params)
    if "assignee" in fields and ticket.assignee_id:
        plan[ticket.assignee_id] = (Event.ASSIGNED, _params(ticket, actor))
    notify(ticket, actor, plan)


def _on_comment(ticket: Ticket, actor: User | None, comment: Comment, **kwargs: Any) -> None:
    params = _params(ticket, actor, excerpt=_excerpt(comment.body), internal=comment.is_internal)
    watchers = _watcher_ids(ticket)
    audience = {ticket.requester_id, ticket.assignee_id, *watchers}
    names = _mentioned(comment.body)
    mentioned = (
        set(User.objects.filter(username__in=names, is_active=True).values_list("pk", flat=True))
        if names
        else set()
    )
    people = _people(audience | mentioned)
    # The requester and the watchers see the ticket; the others (internal notes: everyone)
    # must work it.
    sees = {ticket.requester_id, *watchers}
    workers = users_who_work_ticket(
        [user for pk, user in people.items() if comment.is_internal or pk not in sees], ticket
    )
    plan: dict[int, tuple[str, dict]] = {}
    for user_id in people:
        if (comment.is_internal or user_id not in sees) and user_id not in workers:
            continue  # requesters never hear of internal notes, outsiders of anything
        plan[user_id] = (Event.MENTIONED if user_id in mentioned else Event.COMMENTED, params)
    notify(ticket, actor, plan, people=people)


HANDLERS: dict[Signal, Callable[..., None]] = {
    signals.ticket_created: _on_created,
    signals.ticket_changed: _on_changed,
    signals.comment_added: _on_comment,
}


def change_recorded(sender: object, event: Signal, **kwargs: Any) -> None:
    """In the change's transaction; a savepoint keeps a failure here from undoing it."""
    handler = HANDLERS.get(event)
    if handler is not None and "comment" not in kwargs.get("fields", ()):
        with transaction.atomic():
            handler(**kwargs)


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
