"""Deadline reminders: "due soon" and "overdue", once per ticket, threshold and due date.

An open ticket due within ``NOTIFICATION_DUE_SOON_DAYS`` days (default 1: today or
tomorrow) is "due soon"; one whose due date has passed is "overdue". Its assignee hears
about it, or, while nobody is assigned, the agents of its queue. Each reminder carries a
once-key naming the event, the ticket and the due date, so re-running (beat, a retry, two
workers) reminds nobody twice, and a changed due date reminds again.
"""

import datetime as dt
import logging
from collections.abc import Iterator
from typing import cast

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from notifications import receivers
from notifications.models import Event, Notification
from tickets.models import Ticket
from tickets.selectors import tickets_in_chunks
from tickets.workflow import agents, workflow

log = logging.getLogger(__name__)

CHUNK = 500
DUE_SOON_DAYS = 1


def due_soon_days() -> int:
    return getattr(settings, "NOTIFICATION_DUE_SOON_DAYS", DUE_SOON_DAYS)


def once_key(event: str, ticket: Ticket) -> str:
    if ticket.due_date is None:
        raise ValueError(f"{ticket.key} has no due date.")
    return f"{event}:{ticket.pk}:{ticket.due_date.isoformat()}"


def _queue_agents() -> dict[int, list[int]]:
    """Agent ids by queue, from the cached agents (no query)."""
    members: dict[int, list[int]] = {}
    for entry in agents():
        for queue_id in entry.queue_ids:
            members.setdefault(queue_id, []).append(entry.pk)
    return members


def _chunks(last_day: dt.date) -> Iterator[list[Ticket]]:
    """Open tickets due by ``last_day``, a chunk (one query) at a time, by id."""
    rows = (
        Ticket.objects.filter(
            status_id__in=workflow().open_status_ids,
            due_date__isnull=False,
            due_date__lte=last_day,
        )
        .only("pk", "key", "title", "due_date", "assignee_id", "queue_id")
        .order_by("pk")
    )
    yield from tickets_in_chunks(rows, CHUNK)


def _reminders(
    chunk: list[Ticket], today: dt.date, members: dict[int, list[int]]
) -> Iterator[tuple[Ticket, Event, list[int], str]]:
    """``(ticket, event, recipient ids, once-key)`` of the chunk's tickets, without the
    people already reminded (one query), so a ticket long overdue costs nothing more."""
    planned = []
    for ticket in chunk:
        if ticket.due_date is None:  # not among those read; dropped since
            continue
        event = Event.OVERDUE if ticket.due_date < today else Event.DUE_SOON
        recipients = [ticket.assignee_id] if ticket.assignee_id else members.get(ticket.queue_id)
        if recipients:
            planned.append((ticket, event, recipients, once_key(event.value, ticket)))
    done = set(
        Notification.objects.filter(once_key__in=[key for *_, key in planned]).values_list(
            "recipient_id", "once_key"
        )
    )
    for ticket, event, recipients, key in planned:
        waiting = [user_id for user_id in recipients if (user_id, key) not in done]
        if waiting:
            yield ticket, event, waiting, key


def remind_deadlines(now: dt.datetime | None = None) -> int:
    """Remind of every open ticket due soon or overdue that has not been reminded of at
    this threshold and due date. Returns how many notifications were written."""
    today = timezone.localdate(now)
    members = _queue_agents()
    written = 0
    for chunk in _chunks(today + dt.timedelta(days=due_soon_days())):
        for ticket, event, recipients, key in _reminders(chunk, today, members):
            params = {
                "key": ticket.key,
                "title": ticket.title,
                "actor": "",
                "due_date": cast(dt.date, ticket.due_date).isoformat(),  # _reminders: set
            }
            plan = dict.fromkeys(recipients, (event.value, params))
            try:
                written += len(receivers.notify(ticket, None, plan, once_key=key))
            except IntegrityError:
                # Another run wrote this reminder between our check and our insert.
                log.info("deadline reminder for %s already written", ticket.key)
    return written
