"""The service-level check (sla.services.sla_check) as people hear it: warnings and
breaches told once, to the right people only."""

import time_machine

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications.models import Event, Notification
from notifications.text import render
from sla.models import Clock, Policy, Target, Warning
from sla.services import _announce, sla_check
from sla.tests.test_clocks import at
from tickets.models import Queue, Source, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, priority


def notified(event: Event) -> list[int]:
    return sorted(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))


def test_warning_then_breach_each_once(
    urgent_policy: Policy,
    queue: Queue,
    requester: User,
    agent: User,
    manager: User,
    django_assert_max_num_queries,
) -> None:
    queue.members.add(manager)
    outsider = UserFactory(username="outsider", roles=[Role.AGENT])
    QueueFactory(key_prefix="NET", members=[outsider])
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        ticket = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
        with django_assert_max_num_queries(1):
            assert sla_check() == 0  # nothing due: one indexed query

        traveller.move_to(at(0, 10, 25))  # 80 % of the 30 minutes
        assert sla_check() == 1
        # Unassigned: the queue's agents (the manager is one), not the other queue's.
        assert notified(Event.SLA_AT_RISK) == sorted([agent.pk, manager.pk])
        assert sla_check() == 0

        traveller.move_to(at(0, 10, 31))
        assert sla_check() == 1
        assert notified(Event.SLA_BREACHED) == sorted([agent.pk, manager.pk])
        assert outsider.pk not in notified(Event.SLA_BREACHED)
        # A second run, and a run that read the clocks before the first updated them.
        Clock.objects.filter(ticket=ticket).update(check_at=at(0, 10))
        assert sla_check() == 0
        clock = Clock.objects.select_related("ticket", "policy").get(ticket=ticket)
        due = at(0, 10, 30)
        assert _announce(clock, Target.FIRST_RESPONSE, 0, Warning.Level.BREACHED, due) is False
        assert Notification.objects.filter(event=Event.SLA_BREACHED).count() == 2
        told = Notification.objects.filter(event=Event.SLA_BREACHED).first()
        assert told is not None
        text = render(told, language="ru")
        assert ticket.key in text["title"] and "первый ответ" in text["title"]


def test_breach_goes_to_the_assignee_and_managers_who_can_see_it(
    urgent_policy: Policy, queue: Queue, requester: User, agent: User, manager: User
) -> None:
    queue.members.add(manager)
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])
    queue.members.add(colleague)
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        ticket = TicketFactory(
            queue=queue, requester=requester, priority=priority("urgent"), assignee=agent
        )
        traveller.move_to(at(0, 10, 40))
        assert sla_check() == 1  # breached straight away: no separate warning
        assert notified(Event.SLA_AT_RISK) == []
        assert notified(Event.SLA_BREACHED) == sorted([agent.pk, manager.pk])
        assert Warning.objects.filter(ticket=ticket).count() == 1


def test_an_assignee_who_cannot_see_the_ticket_hears_nothing(
    urgent_policy: Policy, queue: Queue, requester: User, agent: User
) -> None:
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        ticket = TicketFactory(
            queue=queue, requester=requester, priority=priority("urgent"), assignee=agent
        )
        queue.members.remove(agent)
        agent.is_active = False
        agent.save()
        traveller.move_to(at(0, 10, 40))
        sla_check()
        assert agent.pk not in notified(Event.SLA_BREACHED)
        assert Warning.objects.filter(ticket=ticket, level=Warning.Level.BREACHED).exists()


def test_escalation_raises_the_priority_and_reassigns_with_source_sla(
    urgent_policy: Policy, queue: Queue, requester: User, agent: User, manager: User
) -> None:
    urgent_policy.priority = None
    urgent_policy.breach_priority = priority("urgent")
    urgent_policy.breach_assignee = manager
    urgent_policy.save()
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        ticket = TicketFactory(queue=queue, requester=requester, priority=priority("normal"))
        traveller.move_to(at(0, 10, 40))
        sla_check()
        ticket.refresh_from_db()
        assert ticket.priority.code == "urgent" and ticket.assignee == manager
        sources = set(
            TicketEvent.objects.filter(
                ticket=ticket, field__in=["priority", "assignee"]
            ).values_list("source", flat=True)
        )
        assert sources == {Source.SLA}
