"""The home page by role: what it counts, where its counts link to, and its queries."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
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
    # Mentioned: in a note on an unassigned ticket, and on one I answered since.
    comment(answered, requester, "@agent, посмотрите")
    asked = TicketFactory(queue=queue, requester=requester, actor=requester)
    comment(asked, requester, "@agent, когда?")
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        comment(asked, agent, "Сегодня")
    return {"overdue": mine_overdue, "waiting": waiting, "mentioned": answered}


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
    assert home.unassigned.count == 4
    assert home.overdue.count == 1
    assert home.due_soon.count == 1
    assert [t["key"] for t in home.replied.tickets] == [desk["waiting"].key]
    assert [t["key"] for t in home.mentioned.tickets] == [desk["mentioned"].key]
    blocks = (home.mine, home.unassigned, home.overdue, home.due_soon, home.replied, home.mentioned)
    for block in blocks:
        shown = listed(agent, block.url)
        assert len(shown) == block.count, block.name
        assert {t["key"] for t in block.tickets} <= shown
    assert listed(agent, home.mine.parts[0][2]) == {desk["overdue"].key, desk["waiting"].key}


def test_manager_home_counts_every_queue(desk, manager):
    home = agent_home(manager)
    assert home.everything
    assert home.unassigned.count == 5
    assert len(listed(manager, home.unassigned.url)) == 5
    assert home.mentioned.count == 0 and home.replied.count == 0
    assert listed(manager, home.mentioned.url) == listed(manager, home.replied.url) == set()


def test_waiting_blocks_count_exactly_what_their_links_list(desk, agent, queue, requester):
    """More than the five shown: the count is a second query, equal to the list's rows."""
    for number in range(6):
        extra = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
        comment(extra, requester, f"@agent вопрос {number}")
    home = agent_home(agent)
    assert home.replied.count == 7 and len(home.replied.tickets) == 5
    assert home.mentioned.count == 7
    assert len(listed(agent, home.replied.url)) == 7
    assert len(listed(agent, home.mentioned.url)) == 7


def test_requester_home_lists_own_tickets_with_last_reply(desk, requester, agent):
    home = requester_home(requester)
    assert home.total == 7 and home.open_count == 7
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
    with django_assert_max_num_queries(13):
        figures = client.get(reverse("reports:home_figures"))
    assert figures.status_code == 200
    body = response.content.decode()
    if persona == "requester":
        assert 'data-testid="count-open" data-count="7"' in body
        assert reverse("reports:dashboard") not in body
    else:
        assert 'data-testid="count-mine"' in body
        assert 'data-block="replied"' in body
        assert 'data-block="mentioned"' in body


def test_more_tickets_do_not_add_queries(
    desk, agent, requester, queue, django_assert_max_num_queries
):
    client = Client()
    client.force_login(agent)
    client.get(reverse("reports:home_figures"))
    with django_assert_max_num_queries(13) as first:
        client.get(reverse("reports:home_figures"))
    for _n in range(4):
        TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("reports:home_figures"))
