"""Each queue chooses its board's columns; tickets in other statuses stay reachable."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import Status
from tickets.tests.factories import QueueFactory, TicketFactory, status
from tickets.tests.test_board import count_board_queries, parse
from tickets.workflow import workflow

pytestmark = pytest.mark.django_db

ALL_CODES = ["new", "in_progress", "waiting", "resolved", "closed"]


@pytest.fixture
def net(agent):
    return QueueFactory(name="Сеть", key_prefix="NET", slug="net", members=[agent])


def codes(statuses) -> list[str]:
    return [item.code for item in statuses]


def board_codes(client, slug: str | None = None) -> list[str]:
    url = (
        reverse("tickets:board_queue", kwargs={"slug": slug}) if slug else reverse("tickets:board")
    )
    return [column["data-status"] for column in parse(client.get(url)).columns]


# --- The rule ------------------------------------------------------------------------


def test_a_queue_that_chose_nothing_shows_every_status_new_ones_too(queue):
    status("new")
    assert codes(workflow().board_statuses([queue.pk])) == ALL_CODES
    Status.objects.create(code="on_hold", name_ru="Отложена", name_en="On hold", order=35)
    assert codes(workflow().board_statuses([queue.pk])) == [
        *ALL_CODES[:3],
        "on_hold",
        *ALL_CODES[3:],
    ]


def test_a_queue_that_chose_its_columns_keeps_them_when_a_status_is_added(queue):
    assert codes(workflow().board_statuses([queue.pk])) == ALL_CODES
    queue.board_statuses.set([status("resolved"), status("new"), status("in_progress")])
    # The choice reaches the cached workflow at once (m2m change bumps its version).
    assert codes(workflow().board_statuses([queue.pk])) == ["new", "in_progress", "resolved"]
    Status.objects.create(code="on_hold", name_ru="Отложена", name_en="On hold", order=35)
    assert codes(workflow().board_statuses([queue.pk])) == ["new", "in_progress", "resolved"]
    # Columns follow the statuses' order, which a reorder changes for every board.
    services.workflow_reorder(model=Status, ids=[status("resolved").pk, status("new").pk])
    assert codes(workflow().board_statuses([queue.pk])) == ["resolved", "in_progress", "new"]


def test_a_board_of_several_queues_shows_the_columns_any_of_them_shows(queue, net):
    queue.board_statuses.set([status("new"), status("closed")])
    net.board_statuses.set([status("in_progress"), status("new")])
    flow = workflow()
    assert codes(flow.board_statuses([queue.pk, net.pk])) == ["new", "in_progress", "closed"]
    net.board_statuses.clear()
    assert codes(workflow().board_statuses([queue.pk, net.pk])) == ALL_CODES


# --- The board -------------------------------------------------------------------------


def test_the_board_shows_only_the_queues_columns(client, agent, queue, net):
    queue.board_statuses.set([status("new"), status("in_progress"), status("resolved")])
    client.force_login(agent)
    assert board_codes(client, "hd") == ["new", "in_progress", "resolved"]
    # Another queue that chose nothing keeps every column.
    assert board_codes(client, "net") == ALL_CODES
    # The agent's board of both queues shows what either shows.
    assert board_codes(client) == ALL_CODES


def test_tickets_in_other_statuses_are_listed_with_a_link(client, agent, queue, requester):
    queue.board_statuses.set([status("new"), status("in_progress")])
    shown = TicketFactory(queue=queue, requester=requester, actor=requester)
    waiting = [TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(2)]
    for ticket in waiting:
        services.ticket_move(actor=agent, ticket=ticket, status=status("waiting"), version=1)
    client.force_login(agent)
    response = client.get(reverse("tickets:board_queue", kwargs={"slug": "hd"}))
    parsed = parse(response)

    cards = [int(card["data-ticket-id"]) for c in parsed.columns for card in c["cards"]]
    assert cards == [shown.pk]
    links = [
        attrs for tag, attrs in parsed.tags if attrs.get("data-testid") == "board-hidden-status"
    ]
    assert [link["data-status"] for link in links] == ["waiting"]
    html = response.content.decode()
    assert "Ожидает (2)" in html
    every = next(a for t, a in parsed.tags if a.get("data-testid") == "board-hidden-all")
    query = parse_qs(urlsplit(every["href"]).query)
    assert query == {"status": ["waiting"], "queue": ["hd"], "state": ["all"]}
    assert "Открыть 2 заявки в списке" in html

    # The link leads to a list that holds them.
    listed = client.get(every["href"]).content.decode()
    assert all(ticket.key in listed for ticket in waiting)


def test_no_note_when_every_status_is_a_column(client, agent, queue, requester):
    TicketFactory(queue=queue, requester=requester, actor=requester)
    client.force_login(agent)
    response = client.get(reverse("tickets:board_queue", kwargs={"slug": "hd"}))
    assert 'data-testid="board-hidden"' not in response.content.decode()


def test_query_count_is_the_same_with_hidden_statuses(client, agent, queue, requester):
    TicketFactory(queue=queue, requester=requester, actor=requester, tags=["vpn"])
    for _ in range(3):
        ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
        services.ticket_move(actor=agent, ticket=ticket, status=status("waiting"), version=1)
    client.force_login(agent)
    url = reverse("tickets:board_queue", kwargs={"slug": "hd"})
    every_column = count_board_queries(client, url)
    queue.board_statuses.set([status("new")])
    assert count_board_queries(client, url) == every_column


def test_columns_are_chosen_in_the_queue_admin(client, admin, agent, queue):
    client.force_login(admin)
    url = reverse("admin:tickets_queue_change", args=[queue.pk])
    form = client.get(url).context["adminform"].form
    assert [label for _value, label in form.fields["board_statuses"].choices] == [
        "Новая",
        "В работе",
        "Ожидает",
        "Решена",
        "Закрыта",
    ]
    response = client.post(
        url,
        {
            "name": queue.name,
            "key_prefix": queue.key_prefix,
            "slug": queue.slug,
            "members": [agent.pk],
            "is_active": "on",
            "board_statuses": [status("new").pk, status("closed").pk],
            "wip_limits-TOTAL_FORMS": "0",
            "wip_limits-INITIAL_FORMS": "0",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    client.force_login(agent)
    assert board_codes(client, "hd") == ["new", "closed"]
