"""Service-level warnings and breaches (``sla.signals``), told once per ticket, target and
cycle: the sla app claims each announcement before sending the signal, and the once-key
keeps a second delivery of the same signal from writing twice.

Who hears: the assignee, or while nobody is assigned the agents of the ticket's queue;
of a breach also the managers among the queue's members. Only people who may work the
ticket (``tickets.selectors.users_who_work_ticket``), so never one who cannot see it.
"""

import datetime as dt
from typing import Any

from django.db import transaction

from accounts.models import User
from accounts.roles import prefetch_role_codes, user_is_manager
from notifications.models import Event
from notifications.receivers import notify
from sla.models import Policy
from tickets.models import Ticket
from tickets.selectors import users_who_work_ticket
from tickets.workflow import agents


def _recipients(ticket: Ticket, *, breached: bool) -> dict[int, User]:
    members = [entry.pk for entry in agents() if ticket.queue_id in entry.queue_ids]
    wanted = {ticket.assignee_id} if ticket.assignee_id else set(members)
    if breached:
        wanted |= set(members)  # the managers among them are kept below
    people = list(User.objects.filter(pk__in=[pk for pk in wanted if pk], is_active=True))
    prefetch_role_codes(people)
    chosen = {
        user
        for user in people
        if user.pk == ticket.assignee_id
        or not ticket.assignee_id
        or (breached and user_is_manager(user))
    }
    allowed = users_who_work_ticket(chosen, ticket)
    return {user.pk: user for user in chosen if user.pk in allowed}


def _tell(event: Event, ticket: Ticket, target: str, due: dt.datetime) -> None:
    people = _recipients(ticket, breached=event == Event.SLA_BREACHED)
    if not people:
        return
    params = {
        "key": ticket.key,
        "title": ticket.title,
        "actor": "",
        "target": target,
        "due": due.isoformat(),
    }
    key = f"{event.value}:{ticket.pk}:{target}:{due.isoformat()}"[:100]
    with transaction.atomic():
        notify(
            ticket, None, dict.fromkeys(people, (event.value, params)), once_key=key, people=people
        )


def sla_at_risk(
    sender: object, *, ticket: Ticket, target: str, due: dt.datetime, policy: Policy, **kwargs: Any
) -> None:
    _tell(Event.SLA_AT_RISK, ticket, target, due)


def sla_breached(
    sender: object, *, ticket: Ticket, target: str, due: dt.datetime, policy: Policy, **kwargs: Any
) -> None:
    _tell(Event.SLA_BREACHED, ticket, target, due)
