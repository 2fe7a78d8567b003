"""The managers' report and the admin of policies and calendars."""

import time_machine
from django.urls import reverse

from accounts.models import User
from sla.models import BusinessCalendar, CalendarException, Policy
from tickets.models import Queue
from tickets.tests.factories import TicketFactory, comment, priority

from .test_clocks import at

REPORT = reverse("sla:report")


def test_report_per_queue_and_agent(
    client,
    urgent_policy: Policy,
    queue: Queue,
    requester: User,
    agent: User,
    manager: User,
    django_assert_max_num_queries,
) -> None:
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        quick = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
        slow = TicketFactory(
            queue=queue, requester=requester, priority=priority("urgent"), assignee=agent
        )
        traveller.move_to(at(0, 10, 10))
        comment(quick, agent)
        traveller.move_to(at(0, 11))
        comment(slow, agent)
        client.force_login(agent)
        assert client.get(REPORT).status_code == 403
        client.force_login(manager)
        client.get(REPORT)
        with django_assert_max_num_queries(8):  # session, user, roles, clocks, names
            html = client.get(REPORT, {"group": "queue"}).content.decode()
        # Two first responses decided (one met, one breached): 50 %, median 35 min.
        assert "Сервис-деск" in html and ("50.0" in html or "50,0" in html)
        assert ">35<" in html
        by_agent = client.get(REPORT, {"group": "agent", "days": 7}).content.decode()
        assert agent.get_display_name() in by_agent and "Без исполнителя" in by_agent


def test_the_dashboard_shows_the_service_levels_of_its_period(
    client, urgent_policy: Policy, queue: Queue, requester: User, agent: User, manager: User
) -> None:
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        quick = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
        slow = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
        traveller.move_to(at(0, 10, 10))
        comment(quick, agent)
        traveller.move_to(at(0, 11))
        comment(slow, agent)
        for reader in (manager, agent):  # the agent works the queue: the same figures
            client.force_login(reader)
            html = client.get(reverse("reports:dashboard")).content.decode()
            section = html[html.index('data-widget="sla"') :]
            # Two first responses decided, one met: 50 %, median 35 business minutes; the
            # two resolution targets still run.
            assert "50.0" in section or "50,0" in section, section[:3000]
            assert ">35<" in section and "/sla/report/" in section
        traveller.move_to(at(3, 11))
        client.force_login(manager)
        week_later = client.get(reverse("reports:dashboard"), {"period": 7})
        assert 'data-widget="sla"' in week_later.content.decode()


def test_admin_fills_russian_holidays(admin_client, moscow_office: BusinessCalendar) -> None:
    url = reverse("admin:sla_businesscalendar_changelist")
    response = admin_client.post(
        url, {"action": "fill_holidays", "_selected_action": [moscow_office.pk]}, follow=True
    )
    assert response.status_code == 200
    days = CalendarException.objects.filter(calendar=moscow_office)
    assert days.filter(is_working=False).count() >= 14  # New Year week, 23 Feb, 8 Mar, …
    added = days.count()
    admin_client.post(url, {"action": "fill_holidays", "_selected_action": [moscow_office.pk]})
    assert days.count() == added  # kept, not doubled
    page = admin_client.get(reverse("admin:sla_policy_add")).content.decode()
    assert "статусы, приостанавливающие отсчёт" in page
