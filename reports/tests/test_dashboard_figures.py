"""The dashboard's figures against hand-computed data (the same on SQLite and MariaDB)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from reports.dashboard import DashboardForm, build_scope, dashboard_queues
from reports.sections import section
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory, comment, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_agent(db):
    return UserFactory(
        username="second", first_name="Вера", last_name="Петрова", roles=[Role.AGENT]
    )


@pytest.fixture
def history(queue, agent, second_agent, requester, manager):
    """Four tickets of HD filed 10 days ago, with replies and resolutions at known hours.

    ticket  first public staff reply   resolved   assignee
    A       2 h                        10 h       agent
    B       4 h (after a requester's   30 h       agent
            comment at 1 h and an
            internal note at 1 h)
    C       6 h (by second_agent)      -          second_agent
    D       none                       -          none (unassigned)

    First response: queue HD median of 2, 4, 6 = 4 h; agent: median of 2, 4 = 3 h;
    second_agent: 6 h. Resolution: HD median of 10, 30 = 20 h; agent 20 h.
    """
    start = timezone.now() - timedelta(days=10)
    with time_machine.travel(start, tick=False) as clock:
        a = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
        b = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
        c = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=second_agent)
        TicketFactory(queue=queue, requester=requester, actor=requester, default_assignee=False)
        clock.shift(timedelta(hours=1))
        comment(b, requester, "Есть новости?")
        comment(b, agent, "Внутреннее", is_internal=True)
        clock.shift(timedelta(hours=1))  # 2 h
        comment(a, agent, "Смотрим")
        clock.shift(timedelta(hours=2))  # 4 h
        comment(b, agent, "Смотрим")
        comment(a, manager, "Второй ответ не считается")
        clock.shift(timedelta(hours=2))  # 6 h
        comment(c, second_agent, "Смотрим")
        clock.shift(timedelta(hours=4))  # 10 h
        a.refresh_from_db()
        services.ticket_change_status(actor=agent, ticket=a, status=status("resolved"))
        clock.shift(timedelta(hours=20))  # 30 h
        b.refresh_from_db()
        services.ticket_change_status(actor=agent, ticket=b, status=status("resolved"))
    return {"a": a, "b": b, "c": c}


def scope_for(user, **params):
    return build_scope(user, DashboardForm(params, queues=dashboard_queues(user)))


def table(name, user, **params):
    found = section(name)
    assert found is not None
    return found.build(scope_for(user, **params))


def test_medians_per_queue_are_the_hand_computed_ones(history, manager):
    result = table("median-queue", manager)
    assert result.rows == [["Сервис-деск", 4.0, 20.0, 2]]


def test_medians_per_agent_use_the_assignee(history, manager, agent, second_agent):
    rows = {row[0]: row[1:] for row in table("median-agent", manager).rows}
    assert rows[agent.get_display_name()] == [3.0, 20.0, 2]
    assert rows[second_agent.get_display_name()] == [6.0, None, 0]
    assert len(rows) == 2  # D (unassigned) has no reply and is not resolved


def test_a_period_that_leaves_the_tickets_out_has_no_medians(history, manager):
    assert table("median-queue", manager, period="7").rows == []


def test_created_and_resolved_per_day(history, manager):
    rows = table("trend", manager).rows
    assert len(rows) == 30
    assert sum(row[1] for row in rows) == 4
    assert sum(row[2] for row in rows) == 2
    week = table("trend", manager, period="7").rows
    assert len(week) == 7
    assert sum(row[1] for row in week) == 0


def test_open_by_status_and_queue_and_load(history, manager, agent, second_agent):
    statuses = dict(table("status", manager).rows)
    assert statuses[status("new").name] == 2  # C and D (A and B resolved)
    assert dict(table("queue", manager).rows) == {"Сервис-деск": 2}
    load = {row[0]: row[1:] for row in table("load", manager).rows}
    assert load == {second_agent.get_display_name(): [1, 0]}


def test_backlog_age_puts_ten_day_old_tickets_in_the_week_to_month_bucket(history, manager):
    assert [row[1] for row in table("age", manager).rows] == [0, 0, 0, 2, 0]


def test_agents_count_only_their_queues(history, agent, requester):
    other = QueueFactory(name="Бухгалтерия", key_prefix="BU", slug="bu")
    TicketFactory(queue=other, requester=requester, actor=requester)
    assert dict(table("queue", agent).rows) == {"Сервис-деск": 2}
    # Asking for a queue one does not work changes nothing.
    assert dict(table("queue", agent, queue=["bu"]).rows) == {"Сервис-деск": 2}


def test_date_range_replaces_the_period(history, manager):
    today = timezone.localdate()
    start = today - timedelta(days=12)
    rows = table("trend", manager, start=start.isoformat(), end=today.isoformat()).rows
    assert len(rows) == 13


def test_dashboard_page_queries_and_access(
    history, manager, requester, django_assert_max_num_queries
):
    client = Client()
    client.force_login(requester)
    assert client.get(reverse("reports:dashboard")).status_code == 404
    client.force_login(manager)
    client.get(reverse("reports:dashboard"))  # warm the caches (workflow, agents)
    # session + user + roles, then 2 for the open figures, 2 for the trend, 1 for the
    # age, 1 for the load, 2 for the medians.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:dashboard"), {"period": "90"})
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("status", "queue", "trend", "age", "load", "median-queue", "median-agent"):
        assert f'data-widget="{name}"' in body
    assert 'id="dashboard-charts"' in body


def test_dashboard_table_export(history, manager):
    client = Client()
    client.force_login(manager)
    url = reverse("reports:dashboard_export", kwargs={"name": "median-queue", "fmt": "csv"})
    response = client.get(url)
    text = response.getvalue().decode("utf-8-sig")
    assert text.splitlines()[1] == "Сервис-деск,4.0,20.0,2"
    missing = reverse("reports:dashboard_export", kwargs={"name": "nope", "fmt": "csv"})
    assert client.get(missing).status_code == 404


def test_embedded_dashboard_is_the_sections_alone_and_honours_visibility(
    history, manager, agent, requester, django_assert_max_num_queries
):
    other = QueueFactory(name="Бухгалтерия", key_prefix="BU", slug="bu")
    TicketFactory(queue=other, requester=requester, actor=requester)
    client = Client()
    client.force_login(requester)
    assert client.get(reverse("reports:dashboard"), {"embed": "1"}).status_code == 404
    client.force_login(manager)
    home = client.get(reverse("home")).content.decode()
    # The home page only says where to fetch it; the figures come after the page.
    assert 'data-dashboard-embed data-url="/dashboard/?embed=1"' in home
    assert 'data-widget="status"' not in home
    client.get(reverse("reports:dashboard"), {"embed": "1"})  # warm the caches
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:dashboard"), {"embed": "1"})
    body = response.content.decode()
    assert "<html" not in body and 'id="dashboard-filters"' not in body
    assert 'data-widget="median-agent"' in body and 'id="dashboard-charts"' in body
    assert "Бухгалтерия" in body
    # The exports of an embedded section leave "embed" out.
    assert "export/status.csv" in body and "embed=1" not in body
    client.force_login(agent)
    assert "data-dashboard-embed" not in client.get(reverse("home")).content.decode()
    agents = client.get(reverse("reports:dashboard"), {"embed": "1"}).content.decode()
    assert 'data-widget="queue"' in agents and "Бухгалтерия" not in agents
