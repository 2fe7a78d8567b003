"""Requesters and resolved tickets: a reply reopens (per queue), «The problem is solved»
closes, «Open again» reopens; one service path for the page and the API."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tickets import services
from tickets.models import Transition
from tickets.tests.factories import TicketFactory, comment, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester, title="Не печатает")


@pytest.fixture
def resolved(ticket, agent):
    return services.ticket_change_status(actor=agent, ticket=ticket, status=status("resolved"))


def current(ticket):
    ticket.refresh_from_db()
    return ticket.status.code


# --- Replying -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["resolved", "closed"])
def test_a_requesters_reply_reopens_a_resolved_or_closed_ticket(ticket, requester, agent, code):
    services.ticket_change_status(actor=agent, ticket=ticket, status=status(code))
    comment(ticket, requester, "Опять не печатает")
    assert current(ticket) == "new"  # the workflow's first open status
    assert ticket.resolved_at is None and ticket.closed_at is None
    change = ticket.events.filter(field="status").last()
    assert (change.actor, change.old_value, change.new_value) == (
        requester,
        str(status(code).pk),
        str(status("new").pk),
    )


def test_the_queue_can_switch_reopening_off(resolved, queue, requester):
    queue.reopen_on_reply = False
    queue.save()
    comment(resolved, requester, "Спасибо")
    assert current(resolved) == "resolved"


def test_replies_of_others_leave_the_ticket_resolved(resolved, agent):
    comment(resolved, agent, "Рады помочь")
    comment(resolved, agent, "Заметка", is_internal=True)
    assert current(resolved) == "resolved"


def test_reopening_follows_the_queues_transitions(resolved, queue, requester):
    Transition.objects.create(
        queue=queue, from_status=status("resolved"), to_status=status("in_progress")
    )
    Transition.objects.create(
        queue=queue, from_status=status("resolved"), to_status=status("closed")
    )
    comment(resolved, requester, "Не помогло")
    assert current(resolved) == "in_progress"


# --- Confirming and reopening -------------------------------------------------------------


def test_the_requester_confirms_a_resolved_ticket(resolved, requester):
    services.ticket_confirm_resolved(actor=requester, ticket=resolved, version=resolved.version)
    assert current(resolved) == "closed"  # the workflow's close_status


def test_the_requester_reopens_a_resolved_ticket(resolved, requester):
    services.ticket_reopen(actor=requester, ticket=resolved)
    assert current(resolved) == "new"


def test_only_resolved_tickets_are_confirmed_and_only_by_their_requester(
    ticket, resolved, requester, agent, manager
):
    watcher_ticket = resolved
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory

    watcher = UserFactory(username="watcher", roles=[Role.REQUESTER])
    services.ticket_watch(actor=agent, ticket=watcher_ticket, user=watcher, watching=True)
    with pytest.raises(PermissionDenied):
        services.ticket_confirm_resolved(actor=watcher, ticket=watcher_ticket)
    services.ticket_reopen(actor=requester, ticket=resolved)
    with pytest.raises(services.TicketStateConflict):
        services.ticket_confirm_resolved(actor=requester, ticket=resolved)
    with pytest.raises(services.TicketStateConflict):
        services.ticket_reopen(actor=requester, ticket=resolved)


# --- The ticket page ----------------------------------------------------------------------


def detail_url(ticket) -> str:
    return reverse("tickets:detail", kwargs={"key": ticket.key})


def test_requesters_get_the_buttons_on_their_resolved_ticket(client, ticket, requester, agent):
    client.force_login(requester)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="confirm-resolved"' not in html
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("resolved"))
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="confirm-resolved"' in html and 'data-testid="reopen-ticket"' in html
    assert 'data-testid="reply-reopens"' in html
    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="confirm-resolved"' not in html


@pytest.mark.parametrize(("action", "expected"), [("confirm", "closed"), ("reopen", "new")])
def test_the_buttons_confirm_and_reopen(client, resolved, requester, action, expected):
    client.force_login(requester)
    url = reverse(f"tickets:{action}", kwargs={"key": resolved.key})
    response = client.post(url, {"version": resolved.version})
    assert response.status_code == 302
    assert current(resolved) == expected


def test_a_reply_on_the_page_reopens(client, resolved, requester):
    client.force_login(requester)
    url = reverse("tickets:comment", kwargs={"key": resolved.key})
    assert client.post(url, {"body": "Опять не печатает"}).status_code == 302
    assert current(resolved) == "new"


# --- The API ------------------------------------------------------------------------------


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_reply_reopens_and_the_requester_confirms(client, resolved, requester, agent):
    client.force_login(requester)
    comments = reverse("api-ticket-comments", kwargs={"ref": resolved.key})
    assert post_json(client, comments, {"body": "Не помогло"}).status_code == 201
    assert current(resolved) == "new"
    confirm = reverse("api-ticket-confirm", kwargs={"ref": resolved.key})
    response = post_json(client, confirm, {})
    assert response.status_code == 409
    assert response.json()["detail"] == f"Заявка {resolved.key} не решена: подтверждать нечего."
    services.ticket_change_status(actor=agent, ticket=resolved, status=status("resolved"))
    resolved.refresh_from_db()
    response = post_json(client, confirm, {"version": resolved.version - 1})
    assert response.status_code == 409
    response = post_json(client, confirm, {"version": resolved.version})
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == "closed"


def test_api_reopen_is_for_the_requester(client, resolved, requester, agent, outsider_requester):
    reopen = reverse("api-ticket-reopen", kwargs={"ref": resolved.key})
    client.force_login(outsider_requester)
    assert post_json(client, reopen, {}).status_code == 403
    client.force_login(requester)
    response = post_json(client, reopen, {})
    assert response.status_code == 200
    assert response.json()["status"]["code"] == "new"


@pytest.fixture
def outsider_requester(resolved, agent):
    """Someone who watches the ticket but did not file it."""
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory

    watcher = UserFactory(username="watcher", roles=[Role.REQUESTER])
    services.ticket_watch(actor=agent, ticket=resolved, user=watcher, watching=True)
    return watcher
