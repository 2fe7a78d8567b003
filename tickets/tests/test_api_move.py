"""POST /api/v1/tickets/<id>/move/: the board's move endpoint."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services, signals
from tickets.models import Source, Ticket, TicketEvent, Transition
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_agent(queue):
    user = UserFactory(username="anna", first_name="Анна", last_name="Петрова", roles=[Role.AGENT])
    queue.members.add(user)
    return user


@pytest.fixture
def tickets(queue, requester):
    """Four tickets in "new"; on the board, top to bottom: d, c, b, a."""
    return [
        TicketFactory(queue=queue, requester=requester, actor=requester, title=f"Заявка {n}")
        for n in "abcd"
    ]


@pytest.fixture
def received():
    log = []

    def handler(sender, **kwargs):
        log.append(kwargs)

    signals.ticket_moved.connect(handler)
    yield log
    signals.ticket_moved.disconnect(handler)


def move_url(ticket_or_pk) -> str:
    pk = ticket_or_pk.pk if isinstance(ticket_or_pk, Ticket) else ticket_or_pk
    return reverse("api-ticket-move", kwargs={"pk": pk})


def post_move(client, ticket_or_pk, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(move_url(ticket_or_pk), data, content_type="application/json", **extra)


def column_order(code: str) -> list[int]:
    return list(
        Ticket.objects.filter(status__code=code).order_by("rank", "pk").values_list("pk", flat=True)
    )


# --- Success ----------------------------------------------------------------------------


def test_move_to_another_column(client, agent, tickets):
    a = tickets[0]
    client.force_login(agent)
    response = post_move(
        client, a, {"status": "in_progress", "previous_id": None, "next_id": None, "version": 1}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    a.refresh_from_db()
    assert body == {
        "id": a.pk,
        "key": a.key,
        "status": "in_progress",
        "status_id": status("in_progress").pk,
        "version": 2,
        "rank": a.rank,
        "previous_id": None,
        "next_id": None,
    }
    assert a.status == status("in_progress")
    assert a.version == 2
    event = TicketEvent.objects.filter(ticket=a, kind=TicketEvent.Kind.MOVED).get()
    assert (event.field, event.old_value, event.new_value) == (
        "status",
        str(status("new").pk),
        str(status("in_progress").pk),
    )
    assert event.actor == agent
    assert event.source == Source.WEB


def test_reorder_within_a_column_places_the_card_between_its_neighbours(client, agent, tickets):
    a, b, c, d = tickets
    assert column_order("new") == [d.pk, c.pk, b.pk, a.pk]
    client.force_login(agent)
    response = post_move(
        client, a, {"status": "new", "previous_id": d.pk, "next_id": c.pk, "version": 1}
    )
    assert response.status_code == 200, response.content
    assert response.json()["previous_id"] == d.pk
    assert response.json()["next_id"] == c.pk
    assert column_order("new") == [d.pk, a.pk, c.pk, b.pk]
    ranks = dict(Ticket.objects.values_list("pk", "rank"))
    assert ranks[d.pk] < ranks[a.pk] < ranks[c.pk] < ranks[b.pk]
    event = TicketEvent.objects.filter(ticket=a, kind=TicketEvent.Kind.MOVED).get()
    assert event.field == "rank"

    # To the bottom: only a card above it.
    response = post_move(client, d, {"status": "new", "previous_id": b.pk, "version": 1})
    assert response.status_code == 200, response.content
    assert column_order("new") == [a.pk, c.pk, b.pk, d.pk]
    # Into an empty column, then below the card already there.
    post_move(client, c, {"status": "waiting", "version": 1})
    response = post_move(client, b, {"status": "waiting", "previous_id": c.pk, "version": 1})
    assert response.json()["previous_id"] == c.pk
    assert column_order("waiting") == [c.pk, b.pk]


def test_manager_moves_any_ticket(client, manager, requester):
    net = QueueFactory(key_prefix="NET", slug="net")
    ticket = TicketFactory(queue=net, requester=requester, actor=requester)
    client.force_login(manager)
    assert post_move(client, ticket, {"status": "waiting", "version": 1}).status_code == 200


def test_ids_and_version_must_be_json_numbers(client, agent, tickets):
    a, d = tickets[0], tickets[3]
    client.force_login(agent)
    response = post_move(client, a, {"status": "new", "previous_id": str(d.pk), "version": "1"})
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"previous_id", "version"}
    for version in (1.0, True):
        assert post_move(client, a, {"status": "new", "version": version}).status_code == 400
    assert post_move(client, a, {"status": "new", "version": 1}).status_code == 200


def test_neighbours_the_user_cannot_see_are_ignored(client, agent, queue, requester, tickets):
    net = QueueFactory(key_prefix="NET", slug="net")
    hidden = TicketFactory(queue=net, requester=requester, actor=requester)
    a = tickets[0]
    client.force_login(agent)
    response = post_move(client, a, {"status": "new", "previous_id": hidden.pk, "version": 1})
    assert response.status_code == 200
    assert response.json()["previous_id"] is None


# --- Refusals ---------------------------------------------------------------------------


def test_stale_version_is_a_conflict_naming_who_moved_it(client, agent, other_agent, tickets):
    a = tickets[0]
    services.ticket_move(actor=other_agent, ticket=a, status=status("waiting"), version=1)
    client.force_login(agent)
    client.cookies["helpdesk_language"] = "en"
    response = post_move(client, a, {"status": "in_progress", "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert "Анна Петрова" in body["detail"]
    assert a.key in body["detail"]
    assert body["changed_by"] == {"id": other_agent.pk, "name": "Анна Петрова"}
    assert body["version"] == 2
    a.refresh_from_db()
    assert a.status == status("waiting")
    assert a.version == 2
    assert TicketEvent.objects.filter(ticket=a, kind=TicketEvent.Kind.MOVED).count() == 1


def test_conflict_without_a_known_author(client, agent, tickets):
    a = tickets[0]
    services.ticket_move(actor=None, ticket=a, status=status("waiting"), version=1)
    client.force_login(agent)
    response = post_move(client, a, {"status": "in_progress", "version": 1})
    assert response.status_code == 409
    assert response.json()["changed_by"] is None


def test_invisible_ticket_is_404(client, agent, requester):
    net = QueueFactory(key_prefix="NET", slug="net")
    foreign = TicketFactory(queue=net, requester=requester, actor=requester)
    client.force_login(agent)
    assert post_move(client, foreign, {"status": "waiting", "version": 1}).status_code == 404
    assert post_move(client, 999999, {"status": "waiting", "version": 1}).status_code == 404
    assert post_move(client, 2**70, {"status": "waiting", "version": 1}).status_code == 404
    someone = UserFactory(username="someone", roles=[Role.REQUESTER])
    client.force_login(someone)
    assert post_move(client, foreign, {"status": "waiting", "version": 1}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.version == 1


def test_requester_may_not_move_their_own_ticket(client, requester, tickets):
    client.force_login(requester)
    response = post_move(client, tickets[0], {"status": "closed", "version": 1})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert Ticket.objects.get(pk=tickets[0].pk).status == status("new")


def test_signed_out_and_get_are_refused(client, agent, tickets):
    assert post_move(client, tickets[0], {"status": "waiting", "version": 1}).status_code == 403
    client.force_login(agent)
    assert client.get(move_url(tickets[0])).status_code == 405


def test_unknown_status_is_400(client, agent, tickets):
    client.force_login(agent)
    response = post_move(client, tickets[0], {"status": "limbo", "version": 1})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert isinstance(response.json()["status"][0], str)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "waiting"}, "version"),
        ({"status": "waiting", "version": None}, "version"),
        ({"status": "waiting", "version": -1}, "version"),
        ({"status": "waiting", "version": 0}, "version"),
        ({"status": "waiting", "version": "one"}, "version"),
        ({"status": "waiting", "version": True}, "version"),
        ({"status": "waiting", "version": 2**80}, "version"),
        ({"status": "waiting", "version": [1]}, "version"),
        ({"status": "waiting", "version": 1, "previous_id": "abc"}, "previous_id"),
        ({"status": "waiting", "version": 1, "previous_id": -5}, "previous_id"),
        ({"status": "waiting", "version": 1, "next_id": 2**70}, "next_id"),
        ({"status": "waiting", "version": 1, "next_id": {"id": 1}}, "next_id"),
        ({"status": 3, "version": 1}, "status"),
        ({"status": None, "version": 1}, "status"),
        ({"status": "", "version": 1}, "status"),
        ({"version": 1}, "status"),
    ],
)
def test_bad_input_is_400_with_field_errors(client, agent, tickets, body, field):
    client.force_login(agent)
    response = post_move(client, tickets[0], body)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"waiting"', "null", ""])
def test_a_body_that_is_not_a_json_object_is_400(client, agent, tickets, raw):
    client.force_login(agent)
    response = post_move(client, tickets[0], raw)
    assert response.status_code == 400


def test_transition_not_allowed_is_400(client, agent, queue, tickets):
    Transition.objects.create(queue=queue, from_status=status("new"), to_status=status("closed"))
    client.force_login(agent)
    response = post_move(client, tickets[0], {"status": "waiting", "version": 1})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert queue.name in response.json()["status"][0]
    assert post_move(client, tickets[0], {"status": "closed", "version": 1}).status_code == 200


def test_csrf_is_enforced_for_session_clients(agent, tickets):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    body = {"status": "waiting", "version": 1}
    response = post_move(client, tickets[0], body)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Ticket.objects.get(pk=tickets[0].pk).version == 1

    client.get(reverse("tickets:board"))  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = post_move(client, tickets[0], body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content


# --- Signals ----------------------------------------------------------------------------


def test_ticket_moved_is_sent_only_after_commit(
    client, agent, tickets, received, django_capture_on_commit_callbacks
):
    a = tickets[0]
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_move(client, a, {"status": "waiting", "version": 1})
        assert response.status_code == 200
    assert received == []
    for callback in callbacks:
        callback()
    assert len(received) == 1
    sent = received[0]
    assert sent["ticket"].pk == a.pk
    assert sent["actor"] == agent
    assert sent["from_status_id"] == status("new").pk
    assert sent["to_status_id"] == status("waiting").pk
    assert sent["source"] == Source.WEB


def test_nothing_is_sent_for_a_refused_move(
    client, agent, other_agent, tickets, received, django_capture_on_commit_callbacks
):
    a = tickets[0]
    services.ticket_move(actor=other_agent, ticket=a, status=status("waiting"), version=1)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_move(client, a, {"status": "closed", "version": 1}).status_code == 409
        assert post_move(client, a, {"status": "limbo", "version": 2}).status_code == 400
    assert received == []
