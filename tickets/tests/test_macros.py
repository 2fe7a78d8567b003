"""Macros: one change per ticket through the services, one history entry per field with
source ``macro``, refused as a whole on a forbidden transition; the ticket page, the
list's bulk action (a constant number of queries per ticket) and the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services, signals
from tickets.models import Comment, Macro, Source, Ticket, TicketEvent, Transition
from tickets.services import TransitionNotAllowed
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status


@pytest.fixture
def password_reset(manager, queue):
    reply = services.canned_reply_save(
        actor=manager,
        title="Пароль сброшен",
        body="{{ requester.first_name }}, пароль по заявке {{ ticket.key }} сброшен.",
        queue=queue,
    )
    return Macro.objects.create(
        name="Сброс пароля: решено",
        status=status("resolved"),
        priority=priority("low"),
        assignee_mode=Macro.AssigneeMode.ME,
        tags_add="пароль, AD",
        tags_remove="новая",
        reply=reply,
    )


@pytest.fixture
def ticket(queue, requester):
    requester.first_name = "Анна"
    requester.save()
    return TicketFactory(queue=queue, requester=requester, actor=requester, tags=["новая"])


def test_a_macro_is_one_change_with_one_entry_per_field(ticket, agent, password_reset):
    before = ticket.version
    changed = services.macro_apply(actor=agent, macro=password_reset, ticket=ticket)
    assert changed.status.code == "resolved" and changed.assignee == agent
    assert changed.version == before + 1
    assert {t.name for t in changed.tags.all()} == {"пароль", "ad"}
    events = TicketEvent.objects.filter(ticket=ticket, source=Source.MACRO)
    fields = sorted(e.field for e in events if e.kind == TicketEvent.Kind.CHANGED)
    assert fields == ["assignee", "priority", "status", "tags"]
    reply = Comment.objects.get(ticket=ticket, source=Source.MACRO)
    assert reply.body == f"Анна, пароль по заявке {ticket.key} сброшен." and not reply.is_internal
    password_reset.reply.refresh_from_db()
    assert password_reset.reply.usage_count == 1


def test_a_forbidden_transition_refuses_the_whole_macro(ticket, agent, password_reset, queue):
    Transition.objects.create(queue=queue, from_status=status("new"), to_status=status("closed"))
    with pytest.raises(TransitionNotAllowed) as raised:
        services.macro_apply(actor=agent, macro=password_reset, ticket=ticket)
    assert "Сброс пароля: решено" in raised.value.message
    ticket.refresh_from_db()
    assert ticket.status.code == "new" and ticket.assignee is None
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not TicketEvent.objects.filter(source=Source.MACRO).exists()


def test_only_those_who_work_the_ticket_run_macros(ticket, requester, password_reset, client):
    with pytest.raises(PermissionDenied):
        services.macro_apply(actor=requester, macro=password_reset, ticket=ticket)
    stranger = UserFactory(username="net-agent", roles=[Role.AGENT])
    QueueFactory(name="Сеть", key_prefix="NET", members=[stranger])
    client.force_login(stranger)
    url = reverse("tickets:macro_run", kwargs={"key": ticket.key})
    assert client.post(url, {"macro": password_reset.pk}).status_code == 404
    api = reverse("api-ticket-macro", kwargs={"ref": ticket.key})
    response = client.post(api, {"macro": password_reset.pk}, content_type="application/json")
    assert response.status_code == 404


def test_the_ticket_page_runs_a_macro_in_one_post(client, agent, ticket, password_reset):
    client.force_login(agent)
    menu = client.get(reverse("tickets:macro_menu"), {"key": ticket.key}).json()
    assert [m["name"] for m in menu["macros"]] == ["Сброс пароля: решено"]
    url = reverse("tickets:macro_run", kwargs={"key": ticket.key})
    response = client.post(url, {"macro": password_reset.pk, "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status.code == "resolved"


def test_the_api_applies_a_macro_and_says_why_not(client, agent, ticket, password_reset, queue):
    client.force_login(agent)
    url = reverse("api-ticket-macro", kwargs={"ref": ticket.key})
    Transition.objects.create(queue=queue, from_status=status("new"), to_status=status("closed"))
    refused = client.post(url, {"macro": password_reset.pk}, content_type="application/json")
    assert refused.status_code == 400 and "status" in refused.json()
    Transition.objects.all().delete()
    response = client.post(url, {"macro": password_reset.pk}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"]["code"] == "resolved"


def _bulk_queries(client, tickets, macro) -> int:
    data = {"action": "macro", "macro": macro.pk, "ids": [t.pk for t in tickets], "next": "/"}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("tickets:bulk"), data)
    assert response.status_code == 302
    return len(queries)


def test_bulk_macro_costs_the_same_queries_per_ticket(client, agent, queue, requester, manager):
    macro = Macro.objects.create(
        name="В работу", status=status("in_progress"), assignee_mode=Macro.AssigneeMode.ME
    )
    with signals.muted():  # filing them tells nobody: quicker
        tickets = [
            TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(102)
        ]
    client.force_login(agent)
    client.get(reverse("tickets:list"))  # session and caches
    # A first change fills what other apps cache once (the service-level rules, say).
    _bulk_queries(client, tickets[:1], macro)
    one = _bulk_queries(client, tickets[1:2], macro)
    hundred = _bulk_queries(client, tickets[2:], macro)
    per_ticket = (hundred - one) / 99
    assert per_ticket == int(per_ticket), (one, hundred)
    assert per_ticket <= 12, (one, hundred)
    assert set(Ticket.objects.values_list("status__code", flat=True)) == {"in_progress"}
    assert TicketEvent.objects.filter(source=Source.MACRO, field="status").count() == 102


def test_bulk_macro_reports_refused_tickets(client, agent, queue, requester):
    macro = Macro.objects.create(name="Закрыть", status=status("closed"))
    Transition.objects.create(queue=queue, from_status=status("new"), to_status=status("resolved"))
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    result = services.macros_bulk_apply(actor=agent, macro=macro, tickets=[ticket])
    assert not result.updated and result.skipped[0][0] == ticket
    assert "Закрыть" in result.skipped[0][1]
