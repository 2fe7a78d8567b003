"""The home page by role: what it counts, where its counts link to, and its queries."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from reports.home import agent_home, requester_home
from tickets.filters import TicketFilterForm, filter_tickets
from tickets.selectors import visible_tickets
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(queue, agent, requester):
    """HD (agent's queue): two assigned to agent (one overdue, one with the requester's
    reply last), three unassigned (one due tomorrow); BU (not agent's): one unassigned."""
    today = timezone.localdate()
    mine_overdue = TicketFactory(
        queue=queue,
        requester=requester,
        actor=agent,
        assignee=agent,
        due_date=today - timedelta(days=2),
    )
    waiting = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
    comment(waiting, agent, "Уточните модель принтера")
    comment(waiting, requester, "HP LaserJet 1020")
    answered = TicketFactory(queue=queue, requester=requester, actor=requester)
    comment(answered, requester, "Дополнение")
    TicketFactory(queue=queue, requester=requester, actor=requester)
    TicketFactory(queue=queue, requester=requester, actor=agent, due_date=today + timedelta(days=1))
    other = QueueFactory(name="Бухгалтерия", key_prefix="BU", slug="bu")
    TicketFactory(queue=other, requester=requester, actor=requester)
    return {"overdue": mine_overdue, "waiting": waiting}


def listed(user, url):
    """The keys the ticket list shows for a home page link (the same view)."""
    params = dict(parse_qs(urlsplit(url).query).items())
    form = TicketFilterForm(_querydict(params), user=user)
    return set(
        filter_tickets(visible_tickets(user), form=form, user=user).values_list("key", flat=True)
    )


def _querydict(params):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, values in params.items():
        data.setlist(name, values)
    return data


def test_agent_home_counts_and_their_links(desk, agent):
    home = agent_home(agent)
    assert home.mine.count == 2
    assert home.unassigned.count == 3
    assert home.overdue.count == 1
    assert home.due_soon.count == 1
    assert [t["key"] for t in home.replied.tickets] == [desk["waiting"].key]
    for block in (home.mine, home.unassigned, home.overdue, home.due_soon):
        shown = listed(agent, block.url)
        assert len(shown) == block.count, block.name
        assert {t["key"] for t in block.tickets} <= shown
    assert listed(agent, home.mine.parts[0][2]) == {desk["overdue"].key, desk["waiting"].key}


def test_manager_home_counts_every_queue(desk, manager):
    home = agent_home(manager)
    assert home.everything
    assert home.unassigned.count == 4
    assert len(listed(manager, home.unassigned.url)) == 4


def test_requester_home_lists_own_tickets_with_last_reply(desk, requester, agent):
    home = requester_home(requester)
    assert home.total == 6 and home.open_count == 6
    waiting = next(t for t in home.tickets if t["key"] == desk["waiting"].key)
    assert waiting["from_me"]
    stranger = UserFactory(username="stranger", roles=[Role.REQUESTER])
    assert requester_home(stranger).total == 0


@pytest.mark.parametrize("persona", ["agent", "manager", "requester"])
def test_home_page_and_its_figures_take_a_fixed_number_of_queries(
    desk, persona, request, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    client = Client()
    client.force_login(user)
    client.get(reverse("home"))  # warm the caches (workflow, agents, colours)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        figures = client.get(reverse("reports:home_figures"))
    assert figures.status_code == 200
    body = response.content.decode()
    if persona == "requester":
        assert 'data-testid="count-open" data-count="6"' in body
        assert reverse("reports:dashboard") not in body
    else:
        assert 'data-testid="count-mine"' in body
        assert 'data-block="replied"' in body


def test_more_tickets_do_not_add_queries(
    desk, agent, requester, queue, django_assert_max_num_queries
):
    client = Client()
    client.force_login(agent)
    client.get(reverse("reports:home_figures"))
    with django_assert_max_num_queries(12) as first:
        client.get(reverse("reports:home_figures"))
    for _n in range(4):
        TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("reports:home_figures"))
