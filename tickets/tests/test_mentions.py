"""@mentions: the completion offers who may read the comment, a mention of someone who
may not is refused before anything is saved, and pages show the person's name."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications.models import Notification
from tickets import services
from tickets.models import Comment
from tickets.tests.factories import QueueFactory, TicketFactory


@pytest.fixture
def people(db):
    colleague = UserFactory(
        username="petrov", first_name="Пётр", last_name="Петров", roles=[Role.AGENT]
    )
    stranger = UserFactory(username="sidorov", first_name="Иван", roles=[Role.REQUESTER])
    outsider_agent = UserFactory(username="netadmin", first_name="Сеть", roles=[Role.AGENT])
    QueueFactory(name="Сеть", key_prefix="NET", members=[outsider_agent])
    return colleague, stranger, outsider_agent


@pytest.fixture
def ticket(queue, requester, people):
    queue.members.add(people[0])
    return TicketFactory(queue=queue, requester=requester, actor=requester)


def _names(client, ticket, **params):
    url = reverse("tickets:mention_people", kwargs={"key": ticket.key})
    return [p["username"] for p in client.get(url, params).json()["people"]]


def test_completion_offers_who_may_read_by_display_name(client, agent, ticket, requester):
    client.force_login(agent)
    assert _names(client, ticket, q="Петр") == ["petrov"]
    everyone = _names(client, ticket)
    assert {"agent", "petrov", "requester"} <= set(everyone)
    assert "sidorov" not in everyone and "netadmin" not in everyone
    # Internal notes: staff only.
    assert "requester" not in _names(client, ticket, internal="1")
    client.force_login(requester)
    url = reverse("tickets:mention_people", kwargs={"key": ticket.key})
    assert client.get(url, {"internal": "1"}).status_code == 403


def test_completion_reads_a_fixed_number_of_queries(
    client, agent, ticket, django_assert_max_num_queries
):
    client.force_login(agent)
    _names(client, ticket)
    with django_assert_max_num_queries(9):
        _names(client, ticket, q="п")


def test_a_mention_of_someone_who_cannot_see_is_refused(agent, ticket, people, requester):
    _colleague, stranger, _outsider = people
    with pytest.raises(ValidationError) as raised:
        services.comment_add(actor=agent, ticket=ticket, body="@sidorov посмотрите")
    assert "Иван" in raised.value.message_dict["body"][0]
    with pytest.raises(ValidationError):
        services.comment_add(
            actor=agent, ticket=ticket, body="@requester см. ниже", is_internal=True
        )
    assert not Comment.objects.filter(ticket=ticket, body__contains="@").exists()
    services.ticket_watch(actor=agent, ticket=ticket, user=stranger, watching=True)
    services.comment_add(actor=agent, ticket=ticket, body="@sidorov посмотрите")


def test_the_page_refuses_with_the_reason_and_shows_names(client, agent, ticket, people):
    client.force_login(agent)
    url = reverse("tickets:comment", kwargs={"key": ticket.key})
    response = client.post(url, {"body": "@netadmin глянь", "version": ticket.version})
    assert response.status_code == 400
    assert "@netadmin" in response.content.decode()
    Notification.objects.all().delete()
    response = client.post(url, {"body": "@petrov, глянь.", "version": ticket.version})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=people[0], event="mentioned").exists()
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert '<span class="hd-mention" title="@petrov">@Пётр Петров</span>,' in page
    api = reverse("api-ticket-comments", kwargs={"ref": ticket.key})
    html = client.get(api).json()["results"][-1]["body_html"]
    assert "@Пётр Петров" in html
