"""Clocks computed from the history: the manager's scenario of the issue, minute by minute."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from accounts.models import User
from sla.models import Clock, ClockState, Policy, Target
from sla.services import clocks_recompute
from tickets import services
from tickets.models import Queue
from tickets.tests.factories import TicketFactory, comment, priority, status

MSK = ZoneInfo("Europe/Moscow")
# A Monday without holidays around it (the calendar has no exceptions anyway).
MONDAY = dt.datetime(2026, 3, 2, tzinfo=MSK)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=day, hours=hour, minutes=minute)


def moment(raw: str) -> dt.datetime:
    return dt.datetime.fromisoformat(raw)


def target(clock: Clock, kind: str) -> dict:
    return next(t for t in clock.targets if t["target"] == kind)


def test_urgent_ticket_under_the_manager_policy(
    urgent_policy: Policy, queue: Queue, requester: User, agent: User
) -> None:
    with time_machine.travel(at(0, 17), tick=False) as traveller:
        ticket = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
        clock = Clock.objects.get(ticket=ticket)
        assert clock.policy == urgent_policy
        assert clock.state == ClockState.RUNNING
        # 30 business minutes: 17:30 the same day; 4 h: 1 h Monday + 3 h Tuesday = 12:00.
        assert clock.due_at == at(0, 17, 30)
        assert moment(target(clock, Target.RESOLUTION)["due"]) == at(1, 12)
        assert clock.warn_at == at(0, 17, 24)  # 80 % of 30 min

        traveller.move_to(at(0, 17, 20))
        comment(ticket, agent, "Смотрим.")
        clock.refresh_from_db()
        assert target(clock, Target.FIRST_RESPONSE)["state"] == ClockState.MET
        assert clock.due_at == at(1, 12)

        # Tuesday 10:00 (1 h + 1 h used): waiting for the requester until Wednesday 14:00.
        traveller.move_to(at(1, 10))
        services.ticket_change_status(actor=agent, ticket=ticket, status=status("waiting"))
        clock.refresh_from_db()
        assert clock.state == ClockState.PAUSED
        assert target(clock, Target.RESOLUTION)["left"] == 120
        assert clock.due_at is None

        traveller.move_to(at(2, 14))
        services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
        clock.refresh_from_db()
        assert clock.state == ClockState.RUNNING
        assert clock.due_at == at(2, 16)  # the remaining 2 h, kept over the pause

        traveller.move_to(at(2, 16, 1))
        clocks_recompute(tickets=[ticket.pk])
        clock.refresh_from_db()
        assert clock.state == ClockState.BREACHED and clock.breached

        services.ticket_change_status(actor=agent, ticket=ticket, status=status("resolved"))
        clock.refresh_from_db()
        resolution = target(clock, Target.RESOLUTION)
        assert resolution["state"] == ClockState.BREACHED
        assert moment(resolution["stopped"]) == at(2, 16, 1)


def test_next_response_after_the_requesters_reply(
    urgent_policy: Policy, queue: Queue, requester: User, agent: User
) -> None:
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        ticket = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
        traveller.move_to(at(0, 10, 10))
        comment(ticket, agent, "Перезагрузите, пожалуйста.")
        traveller.move_to(at(0, 17, 30))
        comment(ticket, requester, "Не помогло.")
        clock = Clock.objects.get(ticket=ticket)
        reply = target(clock, Target.NEXT_RESPONSE)
        assert reply["cycle"] == 1
        # 60 business minutes from 17:30: 30 min Monday, 30 min Tuesday morning.
        assert moment(reply["due"]) == at(1, 9, 30)
        traveller.move_to(at(1, 9, 5))
        comment(ticket, agent, "Выезжаем.")
        clock.refresh_from_db()
        assert target(clock, Target.NEXT_RESPONSE)["state"] == ClockState.MET


def test_a_priority_change_reevaluates_the_policy(
    urgent_policy: Policy, queue: Queue, requester: User, agent: User
) -> None:
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        ticket = TicketFactory(queue=queue, requester=requester, priority=priority("normal"))
        assert not Clock.objects.filter(ticket=ticket).exists()
        traveller.move_to(at(0, 11))
        services.ticket_update(actor=agent, ticket=ticket, priority=priority("urgent"))
        clock = Clock.objects.get(ticket=ticket)
        # The policy applies to the ticket's whole life: created at 10:00, 30 min.
        assert clock.state == ClockState.BREACHED
        assert moment(target(clock, Target.RESOLUTION)["due"]) == at(0, 14)
        services.ticket_update(actor=agent, ticket=ticket, priority=priority("normal"))
        assert not Clock.objects.filter(ticket=ticket).exists()


def test_recompute_of_a_queue_after_a_policy_change(
    urgent_policy: Policy, queue: Queue, requester: User, django_assert_max_num_queries
) -> None:
    with time_machine.travel(at(0, 10), tick=False):
        tickets = [
            TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
            for _ in range(3)
        ]
        urgent_policy.resolution_minutes = 60
        urgent_policy.save()
        # rules (4), count, chunk, tags, status events, comments, delete, upsert
        with django_assert_max_num_queries(12):
            assert clocks_recompute(queue_id=queue.pk, progress=lambda done, total: None) == 3
        for ticket in tickets:
            clock = Clock.objects.get(ticket=ticket)
            assert moment(target(clock, Target.RESOLUTION)["due"]) == at(0, 11)
