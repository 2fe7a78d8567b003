"""The kanban board page: columns, cards, limits, WIP warnings, personas and query counts."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Ticket, Transition, WipLimit
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status

pytestmark = pytest.mark.django_db

STATUS_CODES = ["new", "in_progress", "waiting", "resolved", "closed"]


class BoardParser(HTMLParser):
    """Columns (``<section class="board-column">``) with their cards' attributes, in order."""

    def __init__(self):
        super().__init__()
        self.columns: list[dict] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        classes = (attrs.get("class") or "").split()
        if tag == "section" and "board-column" in classes:
            self.columns.append({**attrs, "cards": []})
        elif tag == "article" and "board-card" in classes:
            self.columns[-1]["cards"].append(attrs)


def parse(response) -> BoardParser:
    parser = BoardParser()
    parser.feed(response.content.decode())
    return parser


def column(parsed: BoardParser, code: str) -> dict:
    return next(c for c in parsed.columns if c["data-status"] == code)


def card_ids(parsed: BoardParser, code: str) -> list[int]:
    return [int(card["data-ticket-id"]) for card in column(parsed, code)["cards"]]


@pytest.fixture
def net():
    return QueueFactory(name="Сеть", key_prefix="NET", slug="net")


def make_tickets(queue, requester, count, **kwargs):
    return [
        TicketFactory(queue=queue, requester=requester, actor=requester, **kwargs)
        for _ in range(count)
    ]


def board_url(queue=None) -> str:
    if queue is None:
        return reverse("tickets:board")
    return reverse("tickets:board_queue", kwargs={"slug": queue.slug})


# --- Access -----------------------------------------------------------------------------


def test_board_needs_sign_in(client):
    response = client.get(board_url())
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["requester", "agent", "manager", "admin"])
def test_board_renders_for_each_persona(request, client, persona, queue, requester):
    make_tickets(queue, requester, 2)
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for url in (board_url(), board_url(queue)):
        response = client.get(url)
        assert response.status_code == 200
        parsed = parse(response)
        assert [c["data-status"] for c in parsed.columns] == STATUS_CODES
        # Everyone here sees both tickets (the requester filed them).
        assert len(card_ids(parsed, "new")) == 2


def test_unknown_queue_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("tickets:board_queue", kwargs={"slug": "nope"})).status_code == 404


def test_board_is_get_only(client, agent):
    client.force_login(agent)
    assert client.post(board_url()).status_code == 405


def test_agent_board_shows_their_queues_and_the_queue_switcher(
    client, agent, manager, queue, net, requester
):
    hd_ticket, net_ticket = (
        TicketFactory(queue=queue, requester=requester, actor=requester),
        TicketFactory(queue=net, requester=requester, actor=requester),
    )
    client.force_login(agent)
    response = client.get(board_url())
    assert card_ids(parse(response), "new") == [hd_ticket.pk]
    assert response.context["board"].queues == [queue]
    assert 'href="/board/hd/"' in response.content.decode()
    assert 'href="/board/net/"' not in response.content.decode()
    # Another queue's board shows only what the agent may see there: nothing here.
    assert card_ids(parse(client.get(board_url(net))), "new") == []

    client.force_login(manager)
    response = client.get(board_url())
    assert sorted(card_ids(parse(response), "new")) == sorted([hd_ticket.pk, net_ticket.pk])
    assert {q.slug for q in response.context["board"].queues} == {"hd", "net"}
    assert card_ids(parse(client.get(board_url(net))), "new") == [net_ticket.pk]


def test_agent_board_also_shows_what_is_assigned_to_them_elsewhere(
    client, agent, manager, queue, net, requester
):
    mine_elsewhere = TicketFactory(queue=net, requester=requester, actor=manager, assignee=agent)
    TicketFactory(queue=net, requester=requester, actor=requester)
    client.force_login(agent)
    assert card_ids(parse(client.get(board_url())), "new") == [mine_elsewhere.pk]


def test_requester_sees_only_own_tickets_and_cannot_drag(client, requester, agent, queue):
    own = TicketFactory(queue=queue, requester=requester, actor=requester)
    someone = UserFactory(username="someone", roles=[Role.REQUESTER])
    TicketFactory(queue=queue, requester=someone, actor=someone)
    client.force_login(requester)
    for url in (board_url(), board_url(queue)):
        response = client.get(url)
        parsed = parse(response)
        assert card_ids(parsed, "new") == [own.pk]
        html = response.content.decode()
        assert 'data-can-move="false"' in html
        assert "board-card-handle" not in html
        assert "board-card-menu" not in html
        assert "board-card-movable" not in html
        assert parsed.columns[0]["cards"][0]["data-can-move"] == "false"
        assert 'data-testid="board-read-only"' in html


def test_agent_cards_have_handles_menus_and_stable_attributes(client, agent, queue, requester):
    ticket = TicketFactory(
        queue=queue,
        requester=requester,
        actor=agent,
        assignee=agent,
        priority=priority("urgent"),
        due_date=timezone.localdate() - timedelta(days=1),
        tags=["vpn"],
    )
    client.force_login(agent)
    response = client.get(board_url(queue))
    parsed = parse(response)
    card = column(parsed, "new")["cards"][0]
    assert card["id"] == f"ticket-card-{ticket.pk}"
    assert card["data-ticket-id"] == str(ticket.pk)
    assert card["data-version"] == str(ticket.version)
    assert card["data-status"] == "new"
    assert card["data-status-id"] == str(status("new").pk)
    assert card["data-assignee"] == str(agent.pk)
    assert card["data-priority-high"] == "true"
    assert card["data-queue"] == str(queue.pk)
    assert card["data-can-move"] == "true"
    assert card["tabindex"] == "0"
    assert "board-card-overdue" in card["class"].split()
    assert column(parsed, "in_progress")["data-status-id"] == str(status("in_progress").pk)
    html = response.content.decode()
    assert "board-card-handle" in html
    assert html.count('data-bs-toggle="dropdown"') >= 2  # the switcher and the card menu
    assert ticket.key in html and "vpn" in html
    # The assignee's initials with their name as a tooltip; the priority colour and name.
    assert f'title="{agent.get_display_name()}"' in html
    urgent = priority("urgent")
    assert f"hd-priority-{urgent.pk}" in card["class"].split()
    assert urgent.colour == "#fd7e14"
    assert 'id="board-transitions"' in html
    assert 'id="board-announcer"' in html and 'aria-live="polite"' in html


def test_card_text_is_escaped(client, agent, queue, requester):
    sly = UserFactory(
        username="sly", display_name='"><img src=x onerror=alert(1)>', roles=[Role.AGENT]
    )
    queue.members.add(sly)
    TicketFactory(
        queue=queue,
        requester=requester,
        actor=agent,
        assignee=sly,
        title='<script>alert("x")</script> & "quotes"',
        tags=["<b>bold</b>"],
    )
    client.force_login(agent)
    html = client.get(board_url(queue)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    card = column(parse(client.get(board_url(queue))), "new")["cards"][0]
    assert card["data-assignee-name"] == '"><img src=x onerror=alert(1)>'


def test_due_date_in_a_closed_column_is_not_overdue(client, agent, queue, requester):
    ticket = TicketFactory(
        queue=queue,
        requester=requester,
        actor=agent,
        due_date=timezone.localdate() - timedelta(days=3),
    )
    services.ticket_move(actor=agent, ticket=ticket, status=status("resolved"), version=1)
    client.force_login(agent)
    card = column(parse(client.get(board_url(queue))), "resolved")["cards"][0]
    assert "board-card-overdue" not in card["class"].split()


# --- Columns and cards ------------------------------------------------------------------


def test_cards_are_in_rank_order_in_their_columns(client, agent, queue, requester):
    a, b, c, d = make_tickets(queue, requester, 4)
    # New tickets go to the top: d, c, b, a. Put a between d and c; b into "waiting".
    services.ticket_move(
        actor=agent, ticket=a, status=status("new"), version=1, previous_id=d.pk, next_id=c.pk
    )
    services.ticket_move(actor=agent, ticket=b, status=status("waiting"), version=1)
    client.force_login(agent)
    parsed = parse(client.get(board_url(queue)))
    assert card_ids(parsed, "new") == [d.pk, a.pk, c.pk]
    assert card_ids(parsed, "waiting") == [b.pk]
    ranks = dict(Ticket.objects.values_list("pk", "rank"))
    assert [ranks[pk] for pk in card_ids(parsed, "new")] == sorted(
        ranks[pk] for pk in (a.pk, c.pk, d.pk)
    )
    counts = {c["data-status"]: c["data-total"] for c in parsed.columns}
    assert counts == {
        "new": "3",
        "in_progress": "0",
        "waiting": "1",
        "resolved": "0",
        "closed": "0",
    }


def test_equal_ranks_fall_back_to_id_order(client, agent, queue, requester):
    tickets = make_tickets(queue, requester, 3)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(rank=0)
    client.force_login(agent)
    assert card_ids(parse(client.get(board_url(queue))), "new") == [t.pk for t in tickets]


def test_closed_columns_show_only_recently_closed(client, agent, queue, requester, settings):
    settings.BOARD_CLOSED_DAYS = 7
    recent, old = make_tickets(queue, requester, 2)
    for ticket in (recent, old):
        services.ticket_move(actor=agent, ticket=ticket, status=status("closed"), version=1)
    Ticket.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=8))
    client.force_login(agent)
    parsed = parse(client.get(board_url(queue)))
    assert card_ids(parsed, "closed") == [recent.pk]
    assert column(parsed, "closed")["data-total"] == "1"


def test_columns_stop_at_the_limit_with_a_link_to_the_list(
    client, agent, queue, requester, settings
):
    settings.BOARD_COLUMN_LIMIT = 3
    tickets = make_tickets(queue, requester, 5)
    client.force_login(agent)
    response = client.get(board_url(queue))
    parsed = parse(response)
    # The top three of the column: the newest tickets (each new one goes to the top).
    assert card_ids(parsed, "new") == [t.pk for t in reversed(tickets)][:3]
    new = column(parsed, "new")
    assert new["data-total"] == "5"
    assert new["data-shown"] == "3"
    more = [attrs for tag, attrs in parsed.tags if attrs.get("data-testid") == "board-more"]
    assert len(more) == 1
    assert more[0]["href"] == "/tickets/?status=new&queue=hd&state=all"
    # The whole-board link has no queue.
    parsed = parse(client.get(board_url()))
    more = [attrs for tag, attrs in parsed.tags if attrs.get("data-testid") == "board-more"]
    assert more[0]["href"] == "/tickets/?status=new&state=all"


def test_wip_limit_warning(client, agent, queue, requester):
    make_tickets(queue, requester, 3)
    WipLimit.objects.create(queue=queue, status=status("new"), limit=2)
    WipLimit.objects.create(queue=queue, status=status("in_progress"), limit=5)
    client.force_login(agent)
    parsed = parse(client.get(board_url(queue)))
    new, in_progress = column(parsed, "new"), column(parsed, "in_progress")
    assert new["data-wip-limit"] == "2"
    assert "board-column-over-limit" in new["class"].split()
    assert in_progress["data-wip-limit"] == "5"
    assert "board-column-over-limit" not in in_progress["class"].split()
    assert "data-wip-limit" not in column(parsed, "waiting")
    wips = [attrs for tag, attrs in parsed.tags if attrs.get("data-testid") == "board-wip"]
    assert len(wips) == 2
    assert all(w["data-bs-toggle"] == "tooltip" and w["title"] for w in wips)
    assert wips[0]["title"] == wips[0]["data-label-over"]
    assert wips[1]["title"] == wips[1]["data-label-ok"]
    # The all-queues board mixes queues, so it shows no per-queue limit.
    parsed = parse(client.get(board_url()))
    assert "data-wip-limit" not in column(parsed, "new")


def test_transition_rules_are_embedded_for_the_client(client, agent, queue):
    Transition.objects.create(queue=queue, from_status=status("new"), to_status=status("closed"))
    client.force_login(agent)
    response = client.get(board_url(queue))
    rules = response.context["board"].transitions
    assert rules[queue.pk][status("new").pk] == [status("new").pk, status("closed").pk]
    assert rules[queue.pk][status("waiting").pk] == [status("waiting").pk]
    assert f'"{queue.pk}": {{' in response.content.decode()


def test_column_names_in_russian_and_english(client, agent, queue):
    client.force_login(agent)
    html = client.get(board_url(queue)).content.decode()
    assert ">Новая</h2>" in html and ">В работе</h2>" in html and ">Закрыта</h2>" in html
    client.cookies["helpdesk_language"] = "en"
    html = client.get(board_url(queue)).content.decode()
    assert ">New</h2>" in html and ">In progress</h2>" in html and ">Closed</h2>" in html
    assert 'lang="en"' in html


# --- Speed ------------------------------------------------------------------------------


def count_board_queries(client, url) -> int:
    client.get(url)  # warms the workflow cache, as on any running site
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["agent", "manager", "requester"])
def test_board_query_count_does_not_grow_with_the_cards(
    request, client, persona, queue, net, requester, agent
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    other = UserFactory(username="other", roles=[Role.AGENT])
    queue.members.add(other)

    def add(count):
        for n in range(count):
            ticket = TicketFactory(
                queue=queue if n % 3 else net,
                requester=requester,
                actor=agent,
                assignee=(agent, other, None)[n % 3],
                tags=["vpn", f"t{n % 4}"],
                due_date=timezone.localdate(),
            )
            if n % 5 == 0:
                services.ticket_move(
                    actor=None, ticket=ticket, status=status(STATUS_CODES[n % 4]), version=1
                )

    add(5)
    few = {url: count_board_queries(client, url) for url in (board_url(), board_url(queue))}
    add(45)
    many = {url: count_board_queries(client, url) for url in (board_url(), board_url(queue))}
    assert few == many
    assert max(many.values()) < 12, many
