"""Canned replies: placeholders (both languages, unknown ones refused), who keeps which,
the picker's data and the page where they are kept."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.admin import CannedReplyAdmin
from tickets.models import CannedReply
from tickets.placeholders import placeholder_errors, render_placeholders
from tickets.tests.factories import QueueFactory, TicketFactory

BODY = (
    "Здравствуйте, {{ requester.first_name }}! По заявке {{ ticket.key }} срок "
    "{{ticket.due_date}}. {{ agent.name }}"
)


@pytest.fixture
def ticket(queue, requester):
    requester.first_name = "Анна"
    requester.save()
    due = timezone.localdate() + datetime.timedelta(days=3)
    return TicketFactory(queue=queue, requester=requester, actor=requester, due_date=due)


def test_placeholders_are_filled_in_the_readers_language(ticket, agent):
    agent.display_name = "Пётр Агентов"
    ticket.requester.language = "ru"
    due = ticket.due_date
    text = render_placeholders(BODY, ticket=ticket, agent=agent)
    with translation.override("ru"):
        from django.utils import formats

        ru_date = formats.date_format(due, "DATE_FORMAT")
    assert text == f"Здравствуйте, Анна! По заявке {ticket.key} срок {ru_date}. Пётр Агентов"

    ticket.requester.language = "en"
    english = render_placeholders("{{ ticket.due_date }}", ticket=ticket, agent=agent)
    with translation.override("en"):
        assert english == formats.date_format(due, "DATE_FORMAT")
    assert english != ru_date
    # An internal note is read by agents: the agent's language.
    agent.language = "ru"
    assert (
        render_placeholders("{{ ticket.due_date }}", ticket=ticket, agent=agent, is_internal=True)
        == ru_date
    )


def test_text_of_people_is_never_a_template(ticket, agent):
    ticket.title = "{% load static %}{{ settings.SECRET_KEY }}"
    text = render_placeholders("{{ ticket.title }} {% now 'Y' %}", ticket=ticket, agent=agent)
    assert text == "{% load static %}{{ settings.SECRET_KEY }} {% now 'Y' %}"


def test_unknown_and_unclosed_placeholders_are_refused(agent):
    errors = placeholder_errors("Hi {{ requester.password }} and {{ticket.key}}")
    assert errors and "{{ requester.password }}" in errors[0] and "{{ ticket.key }}" in errors[0]
    assert placeholder_errors("Hi {{ ticket.key")
    assert placeholder_errors("Hi {{ ticket.key }}, {{agent.first_name}}") == []
    with pytest.raises(ValidationError) as raised:
        services.canned_reply_save(actor=agent, title="Привет", body="{{ user.email }}")
    assert "body" in raised.value.message_dict


def test_admin_refuses_unknown_placeholders(queue):
    reply = CannedReply(title="Сброс", body="{{ requester.phone }}", queue=queue)
    with pytest.raises(ValidationError) as raised:
        reply.full_clean()
    assert "{{ requester.phone }}" in raised.value.message_dict["body"][0]
    assert CannedReplyAdmin.readonly_fields == ("usage_count",)


def test_shared_replies_are_the_managers(agent, manager, queue):
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(actor=agent, title="Общий", body="Текст", queue=queue)
    shared = services.canned_reply_save(actor=manager, title="Общий", body="Текст", queue=queue)
    own = services.canned_reply_save(actor=agent, title="Мой", body="Текст")
    assert own.owner == agent and shared.owner is None
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(actor=agent, title="X", body="Y", reply=shared)
    other = UserFactory(username="agent2", roles=[Role.AGENT])
    with pytest.raises(PermissionDenied):
        services.canned_reply_delete(actor=other, reply=own)
    requester = UserFactory(username="req2", roles=[Role.REQUESTER])
    with pytest.raises(PermissionDenied):
        services.canned_reply_save(actor=requester, title="X", body="Y")


def test_picker_lists_own_and_queue_replies_most_used_first(
    client, agent, manager, queue, ticket, django_assert_num_queries
):
    other_queue = QueueFactory(name="Сеть", key_prefix="NET")
    first = services.canned_reply_save(actor=manager, title="Сброс пароля", body=BODY, queue=queue)
    services.canned_reply_save(actor=manager, title="Чужая", body="Нет", queue=other_queue)
    mine = services.canned_reply_save(actor=agent, title="Моя", body="{{ ticket.key }}")
    services.canned_reply_save(actor=manager, title="Личная менеджера", body="Нет")
    CannedReply.objects.filter(pk=mine.pk).update(usage_count=5)
    client.force_login(agent)
    url = reverse("tickets:ticket_replies", kwargs={"key": ticket.key})
    client.get(url)  # the session and the workflow caches
    # The session, the user, their roles and queues, the ticket, the replies.
    with django_assert_num_queries(6):
        data = client.get(url).json()
    assert [r["title"] for r in data["replies"]] == ["Моя", "Сброс пароля"]
    assert data["replies"][0]["text"] == ticket.key
    assert data["replies"][1]["text"].startswith("Здравствуйте, Анна!")

    response = client.post(data["replies"][1]["use_url"])
    assert response.json()["text"].startswith("Здравствуйте, Анна!")
    first.refresh_from_db()
    assert first.usage_count == 1


def test_requesters_get_no_picker(client, requester, ticket):
    client.force_login(requester)
    url = reverse("tickets:ticket_replies", kwargs={"key": ticket.key})
    assert client.get(url).status_code == 403


def test_the_replies_page_saves_and_shows_errors(client, agent, manager, queue):
    client.force_login(agent)
    url = reverse("tickets:canned_replies")
    response = client.post(url, {"title": "Плохой", "body": "{{ ticket.secret }}"})
    assert response.status_code == 200
    assert "{{ ticket.secret }}" in response.content.decode()
    assert not CannedReply.objects.exists()
    response = client.post(url, {"title": "Хороший", "body": "Спасибо, {{ requester.name }}"})
    assert response.status_code == 302
    assert CannedReply.objects.get().owner == agent
    assert "queue" not in client.get(url).context["form"].fields
    client.force_login(manager)
    response = client.post(url, {"title": "Общий", "body": "Текст", "queue": queue.pk})
    assert CannedReply.objects.get(title="Общий").queue == queue
    assert client.get(url).status_code == 200
