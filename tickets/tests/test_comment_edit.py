"""Changing comments: authors for a while, staff redacting with a reason, history kept.

The same rule (``selectors.comment_edit_right``, enforced in ``services.comment_edit``)
for the service, the ticket page and the API.
"""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Comment, CommentRevision, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _window(settings):
    settings.COMMENT_EDIT_MINUTES = 15


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester, title="Не печатает")


@pytest.fixture
def colleague(queue):
    """Another agent of the ticket's queue."""
    user = UserFactory(username="colleague", roles=[Role.AGENT])
    queue.members.add(user)
    return user


@pytest.fixture
def outsider(db):
    """An agent of another queue who watches the ticket: sees it, does not work it."""
    user = UserFactory(username="netagent", roles=[Role.AGENT])
    QueueFactory(name="Сеть", key_prefix="NET", slug="net", members=[user])
    return user


def written_ago(note: Comment, minutes: int) -> Comment:
    """The comment as if written ``minutes`` ago (relative to now, never a date)."""
    Comment.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )
    note.refresh_from_db()
    return note


def edit(actor, note, body, reason=""):
    return services.comment_edit(actor=actor, comment=note, body=body, reason=reason)


# --- The rule, in the service -----------------------------------------------------------


def test_authors_change_their_comment_within_the_window_and_the_old_text_is_kept(ticket, requester):
    note = comment(ticket, requester, "Первый вариант")
    edit(requester, note, "Второй вариант")
    note.refresh_from_db()
    assert (note.body, note.edited_by, note.edit_reason) == ("Второй вариант", requester, "")
    assert note.edited_at is not None
    [revision] = note.revisions.all()
    assert (revision.body, revision.edited_by, revision.reason) == ("Первый вариант", requester, "")
    # The history row names the comment; the earlier text is not in it (requesters read it).
    event = TicketEvent.objects.filter(field="comment", kind="changed").get()
    assert (event.kind, event.old_value, event.new_value) == ("changed", "", str(note.pk))


def test_authors_cannot_change_their_comment_after_the_window(ticket, requester):
    note = written_ago(comment(ticket, requester, "Первый вариант"), 16)
    with pytest.raises(PermissionDenied, match="в течение 15 минут"):
        edit(requester, note, "Поздно")
    note.refresh_from_db()
    assert note.body == "Первый вариант" and not note.revisions.exists()


def test_nobody_else_changes_a_requesters_comment_without_working_the_ticket(
    ticket, requester, agent, outsider
):
    reply = comment(ticket, agent, "Ответ агента")
    with pytest.raises(PermissionDenied):
        edit(requester, reply, "взлом")
    services.ticket_watch(actor=agent, ticket=ticket, user=outsider, watching=True)
    with pytest.raises(PermissionDenied):
        edit(outsider, reply, "взлом", reason="потому что")
    reply.refresh_from_db()
    assert reply.body == "Ответ агента"


def test_staff_redact_someone_elses_comment_only_with_a_reason(ticket, requester, agent):
    note = comment(ticket, requester, "Пароль: hunter2")
    with pytest.raises(ValidationError) as refused:
        edit(agent, note, "Пароль: ***")
    assert "reason" in refused.value.message_dict
    edit(agent, note, "Пароль: ***", reason="Убран пароль")
    note.refresh_from_db()
    assert (note.body, note.edited_by, note.edit_reason) == ("Пароль: ***", agent, "Убран пароль")
    assert list(note.revisions.values_list("body", "reason")) == [
        ("Пароль: hunter2", "Убран пароль")
    ]
    # The author cannot undo a redaction, even within the edit window.
    with pytest.raises(PermissionDenied):
        edit(requester, note, "Пароль: hunter2")


def test_managers_redact_too_and_their_own_old_comments_need_a_reason(
    ticket, requester, agent, manager
):
    edit(manager, comment(ticket, requester, "Текст"), "Исправлено", reason="Опечатка")
    old = written_ago(comment(ticket, agent, "Старый ответ"), 60)
    with pytest.raises(ValidationError):
        edit(agent, old, "Новый ответ")
    edit(agent, old, "Новый ответ", reason="Уточнение")
    assert CommentRevision.objects.count() == 2


def test_internal_notes_follow_the_same_rule(ticket, agent, colleague):
    note = comment(ticket, agent, "Заметка", is_internal=True)
    edit(agent, note, "Заметка, исправлено")
    with pytest.raises(ValidationError):
        edit(colleague, note, "Чужая правка")
    edit(colleague, note, "Чужая правка", reason="Неверный номер")
    late = written_ago(comment(ticket, colleague, "Своя", is_internal=True), 20)
    with pytest.raises(ValidationError):
        edit(colleague, late, "Своя, поздно")
    assert note.revisions.count() == 2


# --- The ticket page ----------------------------------------------------------------------


def detail_url(ticket) -> str:
    return reverse("tickets:detail", kwargs={"key": ticket.key})


def edit_url(note) -> str:
    return reverse("tickets:comment_edit", kwargs={"key": note.ticket.key, "comment_id": note.pk})


def test_the_page_says_who_edited_and_shows_the_history_to_staff_only(
    client, ticket, requester, agent
):
    note = comment(ticket, requester, "Пароль: hunter2")
    edit(agent, note, "Пароль: ***", reason="Убран пароль")
    agent_name = agent.get_display_name()

    client.force_login(requester)
    html = client.get(detail_url(ticket)).content.decode()
    assert f"изменено: {agent_name}, " in html
    assert "Убран пароль" in html
    assert "hunter2" not in html and 'data-testid="comment-history"' not in html

    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="comment-history"' in html and "Пароль: hunter2" in html


def test_the_page_offers_editing_by_the_rule(client, ticket, requester, agent):
    own = comment(ticket, requester, "Своё")
    late = written_ago(comment(ticket, requester, "Давнее"), 30)
    reply = comment(ticket, agent, "Ответ")
    client.force_login(requester)
    html = client.get(detail_url(ticket)).content.decode()
    assert f'action="{edit_url(own)}"' in html
    assert f'action="{edit_url(late)}"' not in html
    assert f'action="{edit_url(reply)}"' not in html
    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    # The agent's own fresh reply needs no reason; the requester's comments do.
    assert html.count('data-testid="comment-edit-reason-input"') == 2


def test_a_late_edit_on_the_page_is_refused_with_a_message(client, ticket, requester):
    late = written_ago(comment(ticket, requester, "Давнее"), 30)
    client.force_login(requester)
    response = client.post(edit_url(late), {"body": "Переписано"})
    assert response.status_code == 403
    assert "в течение 15 минут" in response.content.decode()
    late.refresh_from_db()
    assert late.body == "Давнее"


def test_staff_redact_on_the_page_with_a_reason(client, ticket, requester, agent):
    note = comment(ticket, requester, "Пароль: hunter2")
    client.force_login(agent)
    client.post(edit_url(note), {"body": "Пароль: ***"})
    note.refresh_from_db()
    assert note.body == "Пароль: hunter2"
    response = client.post(edit_url(note), {"body": "Пароль: ***", "reason": "Убран пароль"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.body, note.edited_by) == ("Пароль: ***", agent)


# --- The API --------------------------------------------------------------------------------


def api_url(note, suffix="") -> str:
    name = "api-ticket-comment-revisions" if suffix else "api-ticket-comment"
    return reverse(name, kwargs={"ref": note.ticket.key, "comment_id": note.pk})


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_api_authors_edit_within_the_window_then_get_403(client, ticket, requester):
    note = comment(ticket, requester, "Первый")
    client.force_login(requester)
    response = patch(client, api_url(note), {"body": "Второй"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["body"] == "Второй" and body["edited_by"]["id"] == requester.pk
    written_ago(note, 16)
    response = patch(client, api_url(note), {"body": "Третий"})
    assert response.status_code == 403
    assert "в течение 15 минут" in response.json()["detail"]


def test_api_staff_redact_with_a_reason_and_read_the_history(client, ticket, requester, agent):
    note = comment(ticket, requester, "Пароль: hunter2")
    client.force_login(agent)
    response = patch(client, api_url(note), {"body": "Пароль: ***"})
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    response = patch(client, api_url(note), {"body": "Пароль: ***", "reason": "Убран пароль"})
    assert response.status_code == 200
    assert response.json()["edit_reason"] == "Убран пароль"
    history = client.get(api_url(note, "revisions")).json()["results"]
    assert [(r["body"], r["reason"], r["edited_by"]["id"]) for r in history] == [
        ("Пароль: hunter2", "Убран пароль", agent.pk)
    ]
    client.force_login(requester)
    assert client.get(api_url(note, "revisions")).status_code == 403
    assert patch(client, api_url(comment(ticket, agent, "Ответ")), {"body": "x"}).status_code == 403
