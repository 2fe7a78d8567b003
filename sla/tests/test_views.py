"""The clocks where people see them: list rows, board cards, the ticket page, filters, the
sort and the API, with no query more than without them."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from sla.models import Clock, Policy
from tickets.models import Queue
from tickets.tests.factories import TicketFactory, priority

from .test_clocks import at

LIST = reverse("tickets:list")


@pytest.fixture
def three(urgent_policy: Policy, queue: Queue, requester: User) -> list:
    """At Monday 10:00, 10:10 and 10:20: at 10:45 the first is breached (due 10:30), the
    second at risk (warn 10:34, due 10:40 … breached too), so: made at 10:00, 10:20, 10:40."""
    made = []
    with time_machine.travel(at(0, 10), tick=False) as traveller:
        for minute in (0, 20, 40):
            traveller.move_to(at(0, 10, minute))
            made.append(
                TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
            )
    return made


def keys(html: str, state: str) -> set[str]:
    rows = re.findall(r'data-ticket-key="([A-Z]+-\d+)".*?</tr>', html, re.S)
    found = set()
    for key in rows:
        row = html[html.index(f'data-ticket-key="{key}"') :].split("</tr>", 1)[0]
        if f'data-sla="{state}"' in row:
            found.add(key)
    return found


def count(client, url: str, params: dict | None = None) -> int:
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_list_badges_filters_and_sort(client, agent: User, three: list) -> None:
    client.force_login(agent)
    first, second, third = three
    with time_machine.travel(at(0, 10, 45), tick=False):
        html = client.get(LIST).content.decode()
        assert keys(html, "breached") == {first.key}
        assert keys(html, "at_risk") == {second.key}  # due 10:50, warned from 10:44
        assert keys(html, "running") == {third.key}
        breached = client.get(LIST, {"sla": "breached"}).content.decode()
        assert first.key in breached and second.key not in breached
        at_risk = client.get(LIST, {"sla": "at_risk"}).content.decode()
        assert second.key in at_risk and first.key not in at_risk
        assert "Уровень обслуживания" in at_risk  # the filter's chip
        ordered = client.get(LIST, {"sort": "sla"}).content.decode()
        positions = [ordered.index(f'data-ticket-key="{t.key}"') for t in three]
        assert positions == sorted(positions)
        with_clocks = count(client, LIST, {"sort": "sla"})
        board = reverse("tickets:board_queue", kwargs={"slug": first.queue.slug})
        board_html = client.get(board).content.decode()
        assert 'data-sla="breached"' in board_html and 'data-sla="at_risk"' in board_html
        board_with_clocks = count(client, board)
        Clock.objects.all().delete()
        # The badge values come with the page's own query (a LEFT JOIN): no query more.
        assert count(client, LIST, {"sort": "sla"}) == with_clocks
        assert count(client, board) == board_with_clocks
        assert 'data-sla="' not in client.get(board).content.decode()


def test_ticket_page_panel_and_api(client, agent: User, requester: User, three: list) -> None:
    first = three[0]
    with time_machine.travel(at(0, 10, 45), tick=False):
        client.force_login(agent)
        html = client.get(first.get_absolute_url()).content.decode()
        assert 'data-testid="sla-panel"' in html and "Срочные" in html
        assert "просрочено на 15 мин" in html  # first response, due 10:30
        assert "осталось 3 ч 15 мин" in html  # resolution, due 14:00
        data = client.get(reverse("api-ticket", kwargs={"ref": first.key})).json()
        assert data["sla"]["state"] == "breached" and data["sla"]["policy"] == "Срочные"
        listed = client.get("/api/v1/tickets/", {"sla": "at_risk"}).json()
        assert [row["key"] for row in listed["results"]] == [three[1].key]
        # Requesters see no clock.
        client.force_login(requester)
        assert (
            'data-testid="sla-panel"' not in client.get(first.get_absolute_url()).content.decode()
        )
