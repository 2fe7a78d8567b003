"""Filing a ticket: /tickets/new/ for requesters and agents, errors, Markdown preview."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets.models import Attachment, Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, priority

pytestmark = pytest.mark.django_db

NEW_URL = reverse("tickets:new")


@pytest.fixture(autouse=True)
def _media(media_root):
    """Every test of this module stores its files apart."""


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def text_file(name="log.txt", content=b"printer error 0x42"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(NEW_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_requester_sees_only_the_requester_fields(client, requester, queue):
    client.force_login(requester)
    response = client.get(NEW_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("queue", "title", "description", "files"):
        assert f'name="{name}"' in html
    for name in ("priority", "assignee", "requester", "due_date", "tags"):
        assert f'name="{name}"' not in html
    assert "data-markdown-editor" in html
    # The limits are shown under the file field.
    assert "txt" in response.context["form"]["files"].help_text


def test_inactive_queues_are_not_offered(client, requester, queue):
    QueueFactory(name="Архив", key_prefix="OLD", slug="old", is_active=False)
    client.force_login(requester)
    html = client.get(NEW_URL).content.decode()
    assert "Сервис-деск" in html
    assert "Архив" not in html


def test_queue_parameter_preselects_the_queue(client, requester, queue):
    QueueFactory(name="Сеть", key_prefix="NET", slug="net")
    client.force_login(requester)
    response = client.get(NEW_URL, {"queue": "hd"})
    assert response.context["form"]["queue"].value() == queue.pk
    assert f'<option value="{queue.pk}" selected>' in response.content.decode()


def test_requester_files_a_ticket_with_files(client, requester, queue):
    client.force_login(requester)
    response = client.post(
        NEW_URL,
        {
            "queue": queue.pk,
            "title": "Не печатает принтер",
            "description": "Третий этаж, **HP**",
            "files": [text_file(), text_file("screen.png", b"\x89PNG fake")],
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [("/tickets/HD-1/", 302)]
    assert ticket.key == "HD-1"
    assert ticket.requester == requester
    assert ticket.source == "web"
    assert sorted(a.original_name for a in ticket.attachments.all()) == ["log.txt", "screen.png"]
    [message] = list(response.context["messages"])
    assert message.level_tag == "success" and "HD-1" in message.message
    assert "<strong>HP</strong>" in response.content.decode()


def test_requester_cannot_set_agent_fields(client, requester, queue, agent):
    client.force_login(requester)
    other = UserFactory(username="someone", roles=[Role.REQUESTER])
    client.post(
        NEW_URL,
        {
            "queue": queue.pk,
            "title": "Хочу срочно",
            "priority": priority("immediate").pk,
            "assignee": agent.pk,
            "requester": other.username,
            "tags": "vip",
            "due_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    ticket = Ticket.objects.get()
    assert ticket.priority.code == "normal"
    assert ticket.assignee is None
    assert ticket.requester == requester
    assert ticket.due_date is None
    assert not ticket.tags.exists()


def test_agent_sets_every_field(client, agent, queue):
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    customer = UserFactory(username="ivanov", roles=[Role.REQUESTER])
    client.force_login(agent)
    html = client.get(NEW_URL).content.decode()
    for name in ("priority", "assignee", "requester", "due_date", "tags"):
        assert f'name="{name}"' in html
    assert 'data-people-url="/tickets/people/"' in html
    response = client.post(
        NEW_URL,
        {
            "queue": queue.pk,
            "title": "Нет сети в 301",
            "description": "",
            "priority": priority("high").pk,
            "assignee": agent.pk,
            "requester": "ivanov",
            "due_date": due,
            "tags": "сеть, Кабинет 301",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    assert (ticket.priority.code, ticket.assignee, ticket.requester) == ("high", agent, customer)
    assert str(ticket.due_date) == due
    assert sorted(t.name for t in ticket.tags.all()) == ["кабинет-301", "сеть"]
    created = TicketEvent.objects.get(ticket=ticket, kind="created")
    assert created.actor == agent


def test_agent_may_name_the_requester_by_id(client, agent, queue):
    customer = UserFactory(username="petrov", roles=[Role.REQUESTER])
    client.force_login(agent)
    client.post(
        NEW_URL,
        {"queue": queue.pk, "title": "x", "priority": priority("low").pk, "requester": customer.pk},
    )
    assert Ticket.objects.get().requester == customer


def test_agent_without_requester_files_for_themselves(client, agent, queue):
    client.force_login(agent)
    client.post(NEW_URL, {"queue": queue.pk, "title": "Себе", "priority": priority("low").pk})
    assert Ticket.objects.get().requester == agent


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "  "}, "title"),
        ({"due_date": "31.02.2030"}, "due_date"),
        ({"requester": "nobody"}, "requester"),
        ({"queue": "999999"}, "queue"),
        ({"priority": "999999"}, "priority"),
    ],
)
def test_form_errors_create_nothing(client, agent, queue, data, field):
    client.force_login(agent)
    english(client)
    post = {"queue": queue.pk, "title": "Заголовок", "priority": priority("low").pk, **data}
    response = client.post(NEW_URL, post)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_assignee_must_be_an_agent(client, agent, queue, requester):
    client.force_login(agent)
    response = client.post(
        NEW_URL,
        {"queue": queue.pk, "title": "x", "priority": priority("low").pk, "assignee": requester.pk},
    )
    assert response.status_code == 200
    assert "assignee" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_refused_file_type_names_the_file(client, requester, queue):
    client.force_login(requester)
    english(client)
    response = client.post(
        NEW_URL,
        {"queue": queue.pk, "title": "Вирус", "files": [text_file(), text_file("run.exe")]},
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["files"]
    assert "run.exe" in error
    assert "txt" in error  # the allowed types are listed
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_too_large_file_names_the_file_and_the_limit(client, requester, queue, settings):
    settings.TICKET_ATTACHMENT_MAX_SIZE = 1024
    client.force_login(requester)
    english(client)
    response = client.post(
        NEW_URL,
        {"queue": queue.pk, "title": "Лог", "files": [text_file("big.log", b"x" * 2048)]},
    )
    [error] = response.context["form"].errors["files"]
    assert "big.log" in error
    assert "1.0\xa0KB" in error
    assert not Ticket.objects.exists()


def test_too_many_files(client, requester, queue, settings):
    settings.TICKET_ATTACHMENT_MAX_FILES = 1
    client.force_login(requester)
    response = client.post(
        NEW_URL,
        {"queue": queue.pk, "title": "Два", "files": [text_file("a.txt"), text_file("b.txt")]},
    )
    assert "files" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_inactive_queue_is_refused(client, requester):
    closed = QueueFactory(key_prefix="OLD", slug="old", is_active=False)
    client.force_login(requester)
    response = client.post(NEW_URL, {"queue": closed.pk, "title": "x"})
    assert "queue" in response.context["form"].errors
    assert not Ticket.objects.exists()


# --- Markdown preview -----------------------------------------------------------------

PREVIEW_URL = reverse("tickets:preview")


def test_preview_renders_and_sanitises(client, requester):
    client.force_login(requester)
    response = client.post(
        PREVIEW_URL, {"text": "**жирный** <script>alert(1)</script> [x](javascript:alert(1))"}
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>жирный</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html


def test_preview_needs_a_signed_in_user(client):
    response = client.post(PREVIEW_URL, {"text": "hi"})
    assert response.status_code == 302


def test_preview_is_post_only_and_checks_csrf(requester):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    assert client.get(PREVIEW_URL).status_code == 405
    assert client.post(PREVIEW_URL, {"text": "hi"}).status_code == 403


def test_preview_refuses_huge_texts(client, requester):
    client.force_login(requester)
    response = client.post(PREVIEW_URL, {"text": "a" * 60_000})
    assert response.status_code in (400, 413)
    assert "html" not in response.json()
