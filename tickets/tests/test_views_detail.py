"""The ticket page: visibility, timeline, side panel, take, watch, comments."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Comment, TicketEvent, Transition
from tickets.tests.factories import QueueFactory, TicketFactory, comment, priority, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")


def detail_url(ticket) -> str:
    return reverse("tickets:detail", kwargs={"key": ticket.key})


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def entries(html: str, kind: str) -> list[str]:
    """The timeline entries of one kind (comment or event), as HTML snippets."""
    return re.findall(
        rf'<li class="hd-entry[^"]*"[^>]*data-entry-kind="{kind}".*?</li>', html, re.S
    )


# --- Visibility -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["requester", "agent", "manager", "admin"])
def test_page_shows_a_visible_ticket(client, ticket, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(detail_url(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="ticket-key">HD-1<' in html
    assert "Принтер" in html


@pytest.mark.parametrize("persona", ["requester", "agent"])
def test_page_is_404_for_an_invisible_ticket(client, agent, persona, request):
    other_queue = QueueFactory(key_prefix="NET", slug="net")
    stranger = UserFactory(roles=[Role.REQUESTER])
    hidden = TicketFactory(queue=other_queue, requester=stranger, actor=stranger)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(detail_url(hidden)).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, ticket):
    response = client.get(detail_url(ticket))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_lower_case_key_finds_the_ticket(client, ticket, agent):
    client.force_login(agent)
    assert client.get("/tickets/hd-1/").status_code == 200


# --- Internal notes -------------------------------------------------------------------


def test_internal_notes_are_hidden_from_requesters(client, ticket, requester, agent):
    comment(ticket, agent, body="Публичный ответ")
    comment(ticket, agent, body="Секретная заметка", is_internal=True)
    client.force_login(requester)
    html = client.get(detail_url(ticket)).content.decode()
    assert "Публичный ответ" in html
    assert "Секретная заметка" not in html
    assert 'data-internal="true"' not in html
    assert 'data-testid="internal-badge"' not in html

    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    assert "Секретная заметка" in html
    internal = [e for e in entries(html, "comment") if 'data-internal="true"' in e]
    assert len(internal) == 1
    assert "bi-lock-fill" in internal[0]
    assert 'data-testid="internal-badge"' in internal[0]


def test_requesters_get_no_internal_controls(client, ticket, requester):
    client.force_login(requester)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'name="is_internal"' not in html
    assert "data-autosubmit" not in html
    assert 'data-testid="take-ticket"' not in html
    assert 'data-testid="watch-toggle"' in html


# --- Timeline -------------------------------------------------------------------------


def test_status_change_is_told_in_the_viewers_language(client, ticket, agent):
    client.force_login(agent)
    new, in_progress = status("new"), status("in_progress")
    response = client.post(
        reverse("tickets:update", kwargs={"key": ticket.key}),
        {"field": "status", "value": in_progress.pk, "version": ticket.version},
    )
    assert response.status_code == 302
    # History keeps raw ids, never labels.
    event = TicketEvent.objects.get(ticket=ticket, field="status")
    assert (event.kind, event.old_value, event.new_value) == (
        TicketEvent.Kind.CHANGED,
        str(new.pk),
        str(in_progress.pk),
    )
    assert event.actor == agent
    [russian] = [
        e
        for e in entries(client.get(detail_url(ticket)).content.decode(), "event")
        if 'data-event-field="status"' in e
    ]
    assert "Новая" in russian and "В работе" in russian
    assert agent.get_display_name() in russian
    english(client)
    [english_entry] = [
        e
        for e in entries(client.get(detail_url(ticket)).content.decode(), "event")
        if 'data-event-field="status"' in e
    ]
    assert "changed the status from <strong>New</strong> to <strong>In progress</strong>" in (
        english_entry
    )


def test_timeline_merges_comments_and_history_in_time_order(client, ticket, agent):
    services.ticket_take(actor=agent, ticket=ticket)
    comment(ticket, agent, body="Смотрю")
    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    kinds = re.findall(r'data-entry-kind="(\w+)"\s*(?:data-event-kind="(\w+)")?', html)
    assert kinds[:3] == [("event", "created"), ("event", "changed"), ("comment", "")]
    # The "commented" history row is folded into the comment itself.
    assert 'data-event-kind="commented"' not in html


def test_board_reorders_are_not_shown(client, ticket, agent):
    services.ticket_move(actor=agent, ticket=ticket, status=ticket.status, version=ticket.version)
    assert TicketEvent.objects.filter(ticket=ticket, kind="moved", field="rank").exists()
    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-event-kind="moved"' not in html


def test_changes_from_other_sources_say_where_from(client, ticket, agent):
    services.ticket_update(actor=agent, ticket=ticket, tags=["vpn"], source="redmine")
    client.force_login(agent)
    english(client)
    html = client.get(detail_url(ticket)).content.decode()
    [tags] = [e for e in entries(html, "event") if 'data-event-field="tags"' in e]
    assert 'data-source="redmine"' in tags
    assert "via Redmine" in tags


def _page_queries(client, ticket) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(ticket))
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_comments(client, queue, requester, agent):
    small = TicketFactory(queue=queue, requester=requester, actor=requester)
    large = TicketFactory(queue=queue, requester=requester, actor=requester)
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])
    queue.members.add(colleague)
    for ticket, count in ((small, 2), (large, 50)):
        services.ticket_take(actor=agent, ticket=ticket)
        # History naming people who never acted on the ticket, and watchers.
        services.ticket_assign(actor=None, ticket=ticket, assignee=colleague)
        services.ticket_watch(actor=agent, ticket=ticket, user=requester, watching=True)
        services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=True)
        for number in range(count):
            comment(ticket, agent, body=f"Ответ {number}", is_internal=number % 2 == 1)
    client.force_login(agent)
    _page_queries(client, small)  # warms the workflow cache and the session
    small_count = _page_queries(client, small)
    large_count = _page_queries(client, large)
    assert small_count == large_count
    assert large_count < 12, large_count


# --- Side panel -----------------------------------------------------------------------


def update(client, ticket, field, value, version=None):
    return client.post(
        reverse("tickets:update", kwargs={"key": ticket.key}),
        {"field": field, "value": value, "version": version or ticket.version},
        follow=True,
    )


def test_agent_changes_fields_in_place(client, ticket, agent):
    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="field-status"' in html
    update(client, ticket, "priority", priority("urgent").pk)
    ticket.refresh_from_db()
    assert ticket.priority.code == "urgent"
    response = update(client, ticket, "assignee", agent.pk)
    assert response.redirect_chain[-1][0] == detail_url(ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    update(client, ticket, "due_date", due)
    ticket.refresh_from_db()
    update(client, ticket, "tags", "Принтер, VPN")
    ticket.refresh_from_db()
    assert str(ticket.due_date) == due
    assert sorted(tag.name for tag in ticket.tags.all()) == ["vpn", "принтер"]


def test_side_panel_names_people_never_by_login(client, queue, agent):
    """People appear by their display name in the side panel, as everywhere else."""
    person = UserFactory(
        username="i.morozov", first_name="Иван", last_name="Морозов", roles=[Role.REQUESTER]
    )
    ticket = TicketFactory(queue=queue, requester=person, actor=person)
    services.ticket_take(actor=agent, ticket=ticket)
    for viewer in (agent, person):
        client.force_login(viewer)
        html = client.get(detail_url(ticket)).content.decode()
        panel = re.search(r'data-testid="ticket-fields".*?</section>', html, re.S)
        assert panel is not None
        assert "Иван Морозов" in panel.group(0)
        assert agent.get_display_name() in panel.group(0)
        assert "i.morozov" not in panel.group(0), viewer


def test_requester_can_be_changed_by_user_name(client, ticket, agent):
    other = UserFactory(username="boss", roles=[Role.REQUESTER])
    client.force_login(agent)
    update(client, ticket, "requester", "BOSS")
    ticket.refresh_from_db()
    assert ticket.requester == other
    response = update(client, ticket, "requester", "nobody-here")
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_stale_version_warns_and_names_who_changed_it(client, ticket, agent):
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])
    ticket.queue.members.add(colleague)
    seen = ticket.version
    services.ticket_update(actor=colleague, ticket=ticket, tags=["сеть"])
    client.force_login(agent)
    response = update(client, ticket, "status", status("in_progress").pk, version=seen)
    [message] = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert colleague.get_display_name() in message.message
    assert ticket.key in message.message
    ticket.refresh_from_db()
    assert ticket.status.code == "new"


def test_transition_not_allowed_is_an_error_message(client, ticket, agent):
    Transition.objects.create(
        queue=ticket.queue, from_status=status("new"), to_status=status("in_progress")
    )
    client.force_login(agent)
    html = client.get(detail_url(ticket)).content.decode()
    offered = re.search(r'<select class="form-select" id="field-status".*?</select>', html, re.S)
    assert offered is not None
    assert f'value="{status("closed").pk}"' not in offered.group(0)
    response = update(client, ticket, "status", status("closed").pk)
    assert response.status_code == 200
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    ticket.refresh_from_db()
    assert ticket.status.code == "new"


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "999999"), ("status", "abc"), ("due_date", "31.02.2030"), ("bogus", "1")],
)
def test_bad_values_are_error_messages(client, ticket, agent, field, value):
    client.force_login(agent)
    response = update(client, ticket, field, value)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_requesters_cannot_change_fields(client, ticket, requester):
    client.force_login(requester)
    response = client.post(
        reverse("tickets:update", kwargs={"key": ticket.key}),
        {"field": "priority", "value": ticket.priority.pk, "version": ticket.version},
    )
    assert response.status_code == 403


def test_update_of_an_invisible_ticket_is_404(client, ticket):
    outsider = UserFactory(roles=[Role.AGENT])
    client.force_login(outsider)
    response = client.post(
        reverse("tickets:update", kwargs={"key": ticket.key}),
        {"field": "status", "value": status("closed").pk, "version": ticket.version},
    )
    assert response.status_code == 404


def test_update_is_post_only(client, ticket, agent):
    client.force_login(agent)
    assert client.get(reverse("tickets:update", kwargs={"key": ticket.key})).status_code == 405


# --- Take and watch -------------------------------------------------------------------


def test_agent_takes_the_ticket(client, ticket, agent):
    client.force_login(agent)
    assert 'data-testid="take-ticket"' in client.get(detail_url(ticket)).content.decode()
    response = client.post(reverse("tickets:take", kwargs={"key": ticket.key}), follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert 'data-testid="take-ticket"' not in response.content.decode()
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_take_from_a_stale_page_is_refused(client, ticket, agent, queue):
    """agent2's page was rendered before agent took the ticket: it stays agent's."""
    agent2 = UserFactory(username="agent2", roles=[Role.AGENT])
    queue.members.add(agent2)
    client.force_login(agent2)
    html = client.get(detail_url(ticket)).content.decode()
    take_url = reverse("tickets:take", kwargs={"key": ticket.key})
    shown = re.search(rf'action="{take_url}">.*?name="version" value="(\d+)"', html, re.S)
    assert shown is not None and int(shown.group(1)) == ticket.version
    services.ticket_take(actor=agent, ticket=ticket, version=ticket.version)
    english(client)
    response = client.post(take_url, {"version": shown.group(1)}, follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    messages = list(response.context["messages"])
    assert [m.level_tag for m in messages] == ["warning"]
    assert agent.get_display_name() in messages[0].message
    assert "was not saved" in messages[0].message


def test_watch_and_stop_watching(client, ticket, requester):
    watch_url = reverse("tickets:watch", kwargs={"key": ticket.key})
    client.force_login(requester)
    client.post(watch_url, {"watching": "1"})
    assert ticket.watchers.filter(pk=requester.pk).exists()
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-watcher="requester"' in html
    client.post(watch_url, {"watching": "0"})
    assert not ticket.watchers.filter(pk=requester.pk).exists()


def test_agent_adds_someone_else_as_a_watcher(client, ticket, agent, requester):
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])
    client.force_login(agent)
    watch_url = reverse("tickets:watch", kwargs={"key": ticket.key})
    client.post(watch_url, {"watching": "1", "username": "colleague"})
    assert ticket.watchers.filter(pk=colleague.pk).exists()
    english(client)
    html = client.get(detail_url(ticket)).content.decode()
    assert f"added <strong>{colleague.get_display_name()}</strong> to the watchers" in html
    client.force_login(requester)
    assert client.post(watch_url, {"watching": "0", "username": "colleague"}).status_code == 403


# --- Comments -------------------------------------------------------------------------


def comment_url(ticket) -> str:
    return reverse("tickets:comment", kwargs={"key": ticket.key})


def test_requester_comments(client, ticket, requester):
    client.force_login(requester)
    response = client.post(comment_url(ticket), {"body": "Всё ещё **не** печатает"})
    assert response.status_code == 302
    assert response["Location"].endswith("#comment-form")
    added = Comment.objects.get(ticket=ticket)
    assert (added.author, added.is_internal) == (requester, False)
    html = client.get(detail_url(ticket)).content.decode()
    assert "Всё ещё <strong>не</strong> печатает" in html


def test_requester_cannot_write_internal_notes(client, ticket, requester):
    client.force_login(requester)
    client.post(comment_url(ticket), {"body": "Тайна", "is_internal": "on"})
    assert Comment.objects.get(ticket=ticket).is_internal is False


def test_agent_writes_an_internal_note(client, ticket, agent):
    client.force_login(agent)
    client.post(comment_url(ticket), {"body": "Проверить драйвер", "is_internal": "on"})
    note = Comment.objects.get(ticket=ticket)
    assert note.is_internal is True


def test_empty_comment_is_a_form_error(client, ticket, requester):
    client.force_login(requester)
    response = client.post(comment_url(ticket), {"body": "   "})
    assert response.status_code == 400
    assert 'data-field-error="body"' in response.content.decode()
    assert not Comment.objects.exists()


def test_agent_replies_and_changes_the_status(client, ticket, agent):
    client.force_login(agent)
    waiting = status("waiting")
    client.post(
        comment_url(ticket),
        {"body": "Ждём ответа", "status": waiting.pk, "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.status == waiting
    assert Comment.objects.get(ticket=ticket).body == "Ждём ответа"


def test_reply_with_a_stale_status_change_keeps_nothing(client, ticket, agent):
    seen = ticket.version
    services.ticket_update(actor=agent, ticket=ticket, tags=["x"])
    client.force_login(agent)
    response = client.post(
        comment_url(ticket),
        {"body": "Ждём", "status": status("waiting").pk, "version": seen},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert not Comment.objects.exists()
    # The draft comes back with the current version: sending it again works.
    html = response.content.decode()
    assert "Ждём</textarea>" in html
    ticket.refresh_from_db()
    assert f'name="version" value="{ticket.version}"' in html
    response = client.post(
        comment_url(ticket),
        {"body": "Ждём", "status": status("waiting").pk, "version": ticket.version},
    )
    assert response.status_code == 302
    assert Comment.objects.get().body == "Ждём"


def test_author_edits_a_comment_and_it_shows_edited(client, ticket, requester, agent):
    own = comment(ticket, requester, body="Опечтка")
    edit_url = reverse("tickets:comment_edit", kwargs={"key": ticket.key, "comment_id": own.pk})
    client.force_login(requester)
    response = client.post(edit_url, {"body": "Опечатка"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.body == "Опечатка" and own.edited_at is not None
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="comment-edited"' in html


def test_others_cannot_edit_a_comment(client, ticket, requester, agent):
    reply = comment(ticket, agent, body="Ответ агента")
    note = comment(ticket, agent, body="Заметка", is_internal=True)
    client.force_login(requester)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-testid="comment-edit-form"' not in html
    edit = reverse("tickets:comment_edit", kwargs={"key": ticket.key, "comment_id": reply.pk})
    assert client.post(edit, {"body": "взлом"}).status_code == 403
    hidden = reverse("tickets:comment_edit", kwargs={"key": ticket.key, "comment_id": note.pk})
    assert client.post(hidden, {"body": "взлом"}).status_code == 404
    reply.refresh_from_db()
    assert reply.body == "Ответ агента"


def test_moving_a_ticket_out_of_reach_goes_back_to_the_list(client, ticket, agent):
    elsewhere = QueueFactory(name="Сеть", key_prefix="NET", slug="net")
    client.force_login(agent)
    response = update(client, ticket, "queue", elsewhere.pk)
    assert response.redirect_chain[-1][0] == reverse("tickets:list")
    ticket.refresh_from_db()
    assert ticket.queue == elsewhere
