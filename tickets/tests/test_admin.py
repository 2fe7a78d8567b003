"""The operator console: every ticket edit goes through the services (source "admin")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Comment, Source, Ticket, TicketEvent, Transition
from tickets.tests.factories import TicketFactory, priority, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")


def change_data(ticket, **overrides):
    data = {
        "queue": ticket.queue_id,
        "title": ticket.title,
        "description": ticket.description,
        "requester": ticket.requester_id,
        "assignee": ticket.assignee_id or "",
        "status": ticket.status_id,
        "priority": ticket.priority_id,
        "due_date": "",
        "seen_version": ticket.version,
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_changelist_runs_a_fixed_number_of_queries(client, admin, queue, requester):
    client.force_login(admin)
    url = reverse("admin:tickets_ticket_changelist")
    counts = []
    for total in (3, 30):
        while Ticket.objects.count() < total:
            TicketFactory(queue=queue, requester=requester, actor=requester)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_editing_a_ticket_writes_history_with_source_admin(client, admin, ticket, agent):
    client.force_login(admin)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, change_data(ticket, priority=priority("urgent").pk, assignee=agent.pk)
    )
    assert response.status_code == 302, response.context["adminform"].errors
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee, ticket.version) == (priority("urgent"), agent, 2)
    changed = TicketEvent.objects.filter(ticket=ticket, kind="changed")
    assert sorted(changed.values_list("field", "source")) == [
        ("assignee", Source.ADMIN),
        ("priority", Source.ADMIN),
    ]


def test_a_comment_added_in_the_admin_goes_through_the_service(client, admin, ticket):
    client.force_login(admin)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    data = change_data(
        ticket,
        **{
            "comments-TOTAL_FORMS": "1",
            "comments-0-body": "Позвонили пользователю",
            "comments-0-is_internal": "on",
            "comments-0-ticket": ticket.pk,
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].errors
    note = Comment.objects.get(ticket=ticket)
    assert (note.author, note.is_internal, note.source) == (admin, True, Source.ADMIN)
    assert TicketEvent.objects.filter(ticket=ticket, kind="commented", source="admin").exists()


def test_adding_a_ticket_in_the_admin(client, admin, queue, requester):
    client.force_login(admin)
    response = client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "queue": queue.pk,
            "title": "Создано оператором",
            "description": "",
            "requester": requester.pk,
            "status": "",
            "priority": "",
            "due_date": "",
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    ticket = Ticket.objects.get(title="Создано оператором")
    assert ticket.key == "HD-1"
    assert ticket.source == Source.ADMIN
    assert ticket.status == status("new")


def test_stale_edit_and_forbidden_transition_are_form_errors(client, admin, ticket, agent):
    client.force_login(admin)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    services.ticket_update(actor=agent, ticket=ticket, priority=priority("high"))
    response = client.post(url, change_data(ticket, title="Новый заголовок", seen_version=1))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    ticket.refresh_from_db()
    Transition.objects.create(
        queue=ticket.queue, from_status=status("new"), to_status=status("in_progress")
    )
    response = client.post(url, change_data(ticket, status=status("closed").pk))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.title == "Принтер"
    assert ticket.status == status("new")


def test_bulk_actions(client, admin, queue, requester):
    client.force_login(admin)
    tickets = [TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(2)]
    url = reverse("admin:tickets_ticket_changelist")
    ids = [t.pk for t in tickets]
    client.post(url, {"action": "assign_to_me", "_selected_action": ids})
    client.post(url, {"action": "close_tickets", "_selected_action": ids})
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.status) == (admin, status("closed"))
        assert TicketEvent.objects.filter(ticket=ticket, source="admin").count() == 2


@pytest.mark.parametrize(
    "name",
    [
        "tickets_queue",
        "tickets_status",
        "tickets_priority",
        "tickets_tag",
        "tickets_savedview",
    ],
)
def test_configuration_pages_open(client, admin, queue, name):
    client.force_login(admin)
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{name}_add")).status_code == 200


def test_queue_form_offers_only_active_agents(client, admin, queue, agent, manager, requester):
    """Members and the default assignee are chosen among people who work tickets."""
    former = UserFactory(username="former", roles=[Role.AGENT], is_active=False)
    client.force_login(admin)
    form = (
        client.get(reverse("admin:tickets_queue_change", args=[queue.pk])).context["adminform"].form
    )
    for name in ("members", "default_assignee"):
        offered = set(form.fields[name].queryset)
        assert {agent, manager, admin} <= offered, name
        assert requester not in offered and former not in offered, name
    offered_members = [str(value) for value, _label in form.fields["members"].choices]
    assert len(offered_members) == len(set(offered_members))

    response = client.post(
        reverse("admin:tickets_queue_change", args=[queue.pk]),
        {
            "name": queue.name,
            "key_prefix": queue.key_prefix,
            "slug": queue.slug,
            "members": [agent.pk, requester.pk],
            "default_assignee": requester.pk,
            "is_active": "on",
            "wip_limits-TOTAL_FORMS": "0",
            "wip_limits-INITIAL_FORMS": "0",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"members", "default_assignee"}
    assert not queue.members.filter(pk=requester.pk).exists()
