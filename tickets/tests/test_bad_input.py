"""Odd input from a browser or a script gets a clear answer, never a server error."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

ODD_VALUES = ["²", "-1", "1e3", "99999999999999999999999", " ", "1.5", "٣"]


@pytest.fixture
def ticket(agent, requester):
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    return TicketFactory(queue=queue, requester=requester, actor=requester)


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("name", ["assignee", "requester", "page", "per_page", "status"])
def test_list_parameters(client, agent, ticket, name, value):
    client.force_login(agent)
    assert client.get(reverse("tickets:list"), {name: value}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        f"created_to={date.max}",
        f"updated_to={date.max}",
        f"created_from={date.min}",
        f"due_from={date.min}&due_to={date.max}",
        pytest.param(
            f"created_from={timezone.localdate()}&created_to=2020-01-01", id="range-reversed"
        ),
        "created_from=yesterday",
    ],
)
def test_list_dates(client, agent, ticket, query):
    client.force_login(agent)
    response = client.get(f"{reverse('tickets:list')}?{query}")
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("field", ["status", "priority", "assignee", "requester", "queue"])
def test_side_panel_values(client, agent, ticket, field, value):
    client.force_login(agent)
    url = reverse("tickets:update", kwargs={"key": ticket.key})
    response = client.post(url, {"field": field, "value": value, "version": ticket.version})
    assert response.status_code in (302, 400)
    ticket.refresh_from_db()
    assert ticket.version == 1


@pytest.mark.parametrize("value", [v for v in ODD_VALUES if v.strip()])
def test_watch_and_new_ticket_people(client, agent, ticket, value):
    client.force_login(agent)
    watch = reverse("tickets:watch", kwargs={"key": ticket.key})
    assert client.post(watch, {"watching": "1", "username": value}).status_code in (302, 400)
    response = client.post(
        reverse("tickets:new"),
        {
            "queue": ticket.queue_id,
            "title": "x",
            "requester": value,
            "priority": ticket.priority_id,
        },
    )
    assert response.status_code in (200, 400)
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("value", ODD_VALUES)
def test_bulk_ids(client, agent, ticket, value):
    client.force_login(agent)
    response = client.post(reverse("tickets:bulk"), {"ids": [value], "action": "assign_me"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_preview_with_an_odd_length_header(client, agent):
    client.force_login(agent)
    response = client.post(reverse("tickets:preview"), {"text": "*a*"}, CONTENT_LENGTH="²")
    assert response.status_code in (200, 400)
