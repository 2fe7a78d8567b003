"""Pushing local changes to the in-memory Redmine, without echoes, and escalation."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import RedmineLink, RedmineProject, RedminePush
from integrations.redmine import push
from integrations.redmine.pull import pull
from integrations.redmine.state import comment_notes
from tickets import services
from tickets.models import Comment, Source, Ticket
from tickets.tests.factories import TicketFactory, priority, status


@pytest.fixture
def linked(redmine, project):
    """One issue pulled into a ticket; the pull's own work is not pushed back."""
    issue = redmine.add_issue(10, "Сломался сервер", assigned_to_id=7)
    pull()
    assert not RedminePush.objects.exists()
    return issue, Ticket.objects.get()


def test_status_priority_and_assignee_changes_reach_redmine(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(actor=net_agent, ticket=ticket, status=status("waiting"))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=net_agent, ticket=ticket, priority=priority("high"))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=net_agent, ticket=ticket, assignee=None)

    remote = redmine.issues_by_id[issue["id"]]
    assert remote["priority"]["id"] == 3  # "Высокий"
    assert "assigned_to" not in remote
    # "Ожидает" has no Redmine status: that push fails and says what to map.
    assert remote["status"]["id"] == 1
    failed = RedminePush.objects.get(state=RedminePush.State.FAILED)
    assert failed.fields == ["status"]
    assert "no Redmine status is mapped to “Ожидает”" in failed.last_error
    assert RedminePush.objects.filter(state=RedminePush.State.SENT).count() == 2


def test_mapped_status_is_pushed(redmine, linked, net_agent, django_capture_on_commit_callbacks):
    issue, ticket = linked
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(actor=net_agent, ticket=ticket, status=status("closed"))
    assert redmine.issues_by_id[issue["id"]]["status"]["id"] == 5


def test_comments_are_pushed_and_not_pulled_back(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Публичный ответ")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Заметка", is_internal=True)

    journals = redmine.issues_by_id[issue["id"]]["journals"]
    assert [(j["notes"].split("\n\n", 1)[1], j["private_notes"]) for j in journals] == [
        ("Публичный ответ", False),
        ("Заметка", True),
    ]
    assert journals[0]["notes"].startswith(net_agent.get_display_name())

    run = pull()

    assert (run.created, run.updated) == (0, 0)
    assert Comment.objects.count() == 2
    assert RedmineLink.objects.get().own_journal_ids == []  # consumed by the pull


def test_changes_from_redmine_are_not_pushed_back(redmine, linked):
    issue, _ticket = linked
    redmine.change(issue["id"], status_id=2, notes="Из Redmine")
    pull()
    assert not RedminePush.objects.exists()


def test_unlinked_and_pull_only_tickets_push_nothing(redmine, project, net_agent, linked):
    _issue, ticket = linked
    other = TicketFactory(queue=project.queue)
    services.comment_add(actor=net_agent, ticket=other, body="Не связан")
    RedmineProject.objects.update(direction=RedmineProject.Direction.PULL)
    services.comment_add(actor=net_agent, ticket=ticket, body="Только тянем")
    assert not RedminePush.objects.exists()


def test_sync_switched_off_pushes_nothing(redmine, linked, net_agent, settings):
    settings.REDMINE_SYNC_ENABLED = False
    services.comment_add(actor=net_agent, ticket=linked[1], body="Выключено")
    assert not RedminePush.objects.exists()


def test_redmine_down_keeps_the_push_and_sends_it_once_later(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.down = True
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Когда поднимется")
    row = RedminePush.objects.get()
    assert row.state == RedminePush.State.PENDING
    assert row.attempts == 1 and "cannot be reached" in row.last_error
    assert row.next_attempt_at > row.created_at

    redmine.down = False
    assert push.send_due() == 0  # not due yet: it waits out its backoff
    RedminePush.objects.update(next_attempt_at=row.created_at)
    assert push.send_due() == 1
    assert push.send_due() == 0
    row.refresh_from_db()
    assert row.state == RedminePush.State.SENT
    assert len(redmine.issues_by_id[issue["id"]]["journals"]) == 1


def test_a_push_is_claimed_once(redmine, linked, net_agent):
    services.comment_add(actor=net_agent, ticket=linked[1], body="Один раз")
    row = RedminePush.objects.get()
    assert push.claim(row.pk) is not None
    assert push.claim(row.pk) is None  # another worker, the sweep: busy
    assert push.send_push(row.pk) == "busy"


def test_refused_push_fails_with_redmines_reason(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.delete(issue["id"])
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="В пустоту")
    row = RedminePush.objects.get()
    assert row.state == RedminePush.State.FAILED
    assert "404" in row.last_error


def test_push_gives_up_after_the_last_attempt(redmine, linked, net_agent, settings):
    settings.REDMINE_PUSH_MAX_ATTEMPTS = 2
    redmine.down = True
    services.comment_add(actor=net_agent, ticket=linked[1], body="Не дойдёт")
    row = RedminePush.objects.get()
    with pytest.raises(push.TransientError):
        push.send_push(row.pk)
    RedminePush.objects.update(next_attempt_at=row.created_at)
    assert push.send_push(row.pk) == RedminePush.State.FAILED


def test_field_redmine_changed_meanwhile_is_not_overwritten(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.change(issue["id"], priority_id=5)  # not pulled yet
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=net_agent, ticket=ticket, priority=priority("low"))
    assert redmine.issues_by_id[issue["id"]]["priority"]["id"] == 5

    pull()

    ticket.refresh_from_db()
    assert ticket.priority.code == "immediate"
    entry = ticket.events.get(field="conflict_priority")
    assert entry.old_value == str(priority("low").pk)


def test_a_board_move_pushes_the_status(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_move(
            actor=net_agent, ticket=ticket, status=status("closed"), version=ticket.version
        )
    assert redmine.issues_by_id[issue["id"]]["status"]["id"] == 5


# --- escalation -----------------------------------------------------------------------


def test_escalation_creates_the_issue_and_links_it(redmine, project, net_agent):
    ticket = TicketFactory(
        queue=project.queue, title="Нужна доработка", priority=priority("urgent"), actor=net_agent
    )
    link = push.escalate(ticket, actor=net_agent, ticket_url="https://helpdesk/t/1")
    remote = redmine.issues_by_id[link.issue_id]
    assert remote["project"]["id"] == 10
    assert remote["subject"] == "Нужна доработка"
    assert "https://helpdesk/t/1" in remote["description"]
    assert remote["priority"]["id"] == 4
    assert remote["status"]["id"] == 1  # the ticket is new
    entry = ticket.events.get(field="redmine_linked")
    assert (entry.new_value, entry.actor, entry.source) == (
        str(link.issue_id),
        net_agent,
        Source.WEB,
    )
    with pytest.raises(push.EscalationError):
        push.escalate(ticket, actor=net_agent)


def test_escalation_needs_a_pushing_project(redmine, project, net_agent):
    RedmineProject.objects.update(direction=RedmineProject.Direction.PULL)
    ticket = TicketFactory(queue=project.queue)
    with (
        translation.override("en"),
        pytest.raises(push.EscalationError, match="No Redmine project"),
    ):
        push.escalate(ticket, actor=net_agent)


def test_escalation_refused_by_redmine_says_why(redmine, project, net_agent):
    redmine.down = True
    ticket = TicketFactory(queue=project.queue)
    with translation.override("en"), pytest.raises(push.EscalationError, match="cannot be reached"):
        push.escalate(ticket, actor=net_agent)
    assert not RedmineLink.objects.exists()


def test_ticket_page_offers_escalation_then_shows_the_link(client, redmine, project, net_agent):
    ticket = TicketFactory(queue=project.queue)
    client.force_login(net_agent)
    page = client.get(ticket.get_absolute_url())
    assert b'data-testid="redmine-escalate"' in page.content

    answer = client.post(reverse("integrations:redmine-escalate", args=[ticket.key]), follow=True)

    link = RedmineLink.objects.get(ticket=ticket)
    assert f"#{link.issue_id}".encode() in answer.content
    assert f"{redmine.url}/issues/{link.issue_id}".encode() in answer.content


def test_requesters_neither_see_the_panel_nor_escalate(client, redmine, project, requester):
    ticket = TicketFactory(queue=project.queue, requester=requester)
    client.force_login(requester)
    assert b"redmine-panel" not in client.get(ticket.get_absolute_url()).content
    answer = client.post(reverse("integrations:redmine-escalate", args=[ticket.key]))
    assert answer.status_code == 403
    assert not RedmineLink.objects.exists()


def test_the_panel_costs_nothing_when_redmine_is_off(
    client, agent, settings, django_assert_max_num_queries
):
    settings.REDMINE_SYNC_ENABLED = False
    from tickets.tests.factories import QueueFactory

    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    client.force_login(agent)
    assert b"redmine-panel" not in client.get(ticket.get_absolute_url()).content


def test_escalation_gives_the_issue_the_tickets_status(redmine, project, net_agent):
    ticket = TicketFactory(queue=project.queue, status=status("closed"), actor=net_agent)
    link = push.escalate(ticket, actor=net_agent)
    assert redmine.issues_by_id[link.issue_id]["status"]["id"] == 5
    assert link.synced_state["status"] == 5
    # The status change Redmine journaled was ours: nothing comes back.
    run = pull()
    assert (run.created, run.updated) == (0, 0)
    assert not ticket.comments.exists()


# --- faults found in review: nothing sent twice, nothing echoed, nothing lost -----------


def test_a_push_whose_answer_was_lost_is_not_sent_twice(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.lose_next_answer = True  # Redmine writes the note; the answer never comes
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Ровно один раз")
    row = RedminePush.objects.get()
    assert row.state == RedminePush.State.PENDING

    RedminePush.objects.update(next_attempt_at=row.created_at)
    assert push.send_due() == 1
    assert len(redmine.issues_by_id[issue["id"]]["journals"]) == 1
    pull()
    assert Comment.objects.count() == 1


def test_a_pull_between_the_send_and_its_bookkeeping_imports_nothing(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.down = True
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_add(actor=net_agent, ticket=ticket, body="Уже в пути")
    redmine.down = False
    # The push reached Redmine, its worker has not recorded the journal yet.
    redmine.change(issue["id"], user_id=1, notes=comment_notes(comment))

    pull()
    assert Comment.objects.count() == 1

    RedminePush.objects.update(next_attempt_at=timezone.now())
    assert push.send_due() == 1
    assert len(redmine.issues_by_id[issue["id"]]["journals"]) == 1  # not sent again


def test_a_status_redmines_workflow_drops_fails_the_push(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    _issue, ticket = linked
    redmine.ignored_statuses = {5}
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(actor=net_agent, ticket=ticket, status=status("closed"))
    row = RedminePush.objects.get()
    assert row.state == RedminePush.State.FAILED
    assert "Redmine did not take the status" in row.last_error
    pull()
    ticket.refresh_from_db()
    assert ticket.status.code == "closed"  # not quietly undone by the next pull


def test_internal_notes_need_an_administrators_key(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.admin = False
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Секрет", is_internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Для всех")
    internal, public = RedminePush.objects.order_by("pk")
    assert internal.state == RedminePush.State.FAILED
    assert "administrator" in internal.last_error
    assert public.state == RedminePush.State.SENT
    notes = [j["notes"] for j in redmine.issues_by_id[issue["id"]]["journals"]]
    assert not any("Секрет" in note for note in notes)


def test_escalated_issue_a_pull_saw_first_is_linked_once(redmine, project, net_agent, monkeypatch):
    ticket = TicketFactory(queue=project.queue, title="Гонка", actor=net_agent)
    real_link = push._link

    def pull_first(*args):
        pull()  # sees the new issue before escalation saves its link
        return real_link(*args)

    monkeypatch.setattr(push, "_link", pull_first)
    link = push.escalate(ticket, actor=net_agent)

    assert Ticket.objects.count() == 1
    assert RedmineLink.objects.get() == link and link.ticket == ticket


def test_board_move_queues_one_push(redmine, linked, net_agent):
    _issue, ticket = linked
    services.ticket_move(
        actor=net_agent, ticket=ticket, status=status("closed"), version=ticket.version
    )
    assert RedminePush.objects.get().fields == ["status"]


# --- pushes to issues that left the synced projects, and refused assignees -------------


def test_a_push_to_an_issue_moved_to_an_unmapped_project_is_refused(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.move(issue["id"], 20)  # the sandbox nobody mapped; no pull since
    journals = len(redmine.issues_by_id[issue["id"]]["journals"])

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=net_agent, ticket=ticket, body="Внутреннее", is_internal=True)

    assert len(redmine.issues_by_id[issue["id"]]["journals"]) == journals  # nothing written
    failed = RedminePush.objects.get()
    assert failed.state == RedminePush.State.FAILED
    assert "moved to project Архив, which is not synced" in failed.last_error
    assert not RedmineLink.objects.get().active
    assert ticket.events.get(field="redmine_moved").new_value == "Архив"


def test_a_push_to_a_deleted_issue_is_refused_and_unlinks(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.delete(issue["id"])
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=net_agent, ticket=ticket, priority=priority("high"))
    failed = RedminePush.objects.get()
    assert failed.state == RedminePush.State.FAILED
    assert "deleted" in failed.last_error
    assert ticket.events.filter(field="redmine_deleted").exists()


def test_a_push_to_an_issue_moved_to_another_pushing_project_is_sent(
    redmine, linked, net_agent, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    RedmineProject.objects.create(redmine_id=20, name="Архив", queue=ticket.queue)
    redmine.move(issue["id"], 20)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=net_agent, ticket=ticket, priority=priority("high"))
    assert RedminePush.objects.get().state == RedminePush.State.SENT
    assert redmine.issues_by_id[issue["id"]]["priority"]["id"] == 3


@pytest.fixture
def outsider(net_agent):
    """An agent Redmine knows as user 8, who only watches project 10."""
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory
    from integrations.models import RedmineUser

    user = UserFactory(username="petrov", first_name="Пётр", last_name="Петров", roles=[Role.AGENT])
    RedmineUser.objects.create(redmine_id=8, login="petrov", user=user)
    return user


def test_the_ticket_page_warns_of_an_assignee_redmine_refuses_and_shows_the_failed_push(
    client, redmine, linked, net_agent, outsider, django_capture_on_commit_callbacks
):
    issue, ticket = linked
    redmine.members[10] = {7: [4], 8: [5]}
    pull()
    client.force_login(net_agent)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f'data-redmine-assignable="{net_agent.pk}"' in page  # the list's warning
    assert "redmine-assignee-outside" not in page

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=net_agent, ticket=ticket, assignee=outsider)

    failed = RedminePush.objects.get(state=RedminePush.State.FAILED)
    assert "is invalid" in failed.last_error
    with translation.override("ru"):
        page = client.get(ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "redmine-assignee-outside" in page
    assert "Пётр Петров" in page
    assert 'data-testid="redmine-failed-pushes"' in page

    redmine.members[10][8] = [4]  # the Redmine admin adds him; the agent sends it again
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("integrations:redmine-retry", args=[ticket.key]))
    assert answer.status_code == 302
    assert RedminePush.objects.get(pk=failed.pk).state == RedminePush.State.SENT
    assert redmine.issues_by_id[issue["id"]]["assigned_to"]["id"] == 8


def test_the_panel_costs_a_fixed_number_of_queries(client, redmine, linked, net_agent, outsider):
    _issue, ticket = linked
    redmine.members[10] = {7: [4]}
    pull()
    client.force_login(net_agent)

    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(ticket.get_absolute_url()).status_code == 200
        return len(queries)

    page_queries()  # caches filled
    before = page_queries()
    for n in range(3):
        RedminePush.objects.create(
            link=ticket.redmine_link, fields=["assignee"], state=RedminePush.State.FAILED,
            last_error=f"refused {n}",
        )  # fmt: skip
    assert page_queries() == before


def test_only_those_who_work_the_ticket_send_pushes_again(client, redmine, linked, requester):
    _issue, ticket = linked
    client.force_login(requester)
    answer = client.post(reverse("integrations:redmine-retry", args=[ticket.key]))
    assert answer.status_code == 404
