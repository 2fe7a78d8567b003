"""The pull against the in-memory Redmine: creation, idempotence, increments, faults,
moves, deletions and conflicts."""

import datetime as dt

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from integrations.models import RedmineLink, RedmineProject, RedmineStatus, SyncRun
from integrations.redmine import pull as pull_module
from integrations.redmine.links import linked_ticket
from integrations.redmine.pull import pull
from integrations.runs import job_lock
from tickets import services
from tickets.models import Comment, Source, Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, status


def _counts(run: SyncRun) -> tuple:
    return run.outcome, run.created, run.updated, run.unchanged, run.failed


def test_first_pull_makes_tickets_with_fields_and_comments(redmine, project, net_agent):
    due = timezone.localdate() + dt.timedelta(days=30)
    issue = redmine.add_issue(
        10,
        "Не работает VPN",
        description="Строка 1\nСтрока 2",
        status_id=2,
        priority_id=4,
        author_id=8,
        assigned_to_id=7,
        due_date=due.isoformat(),
        notes=[(7, "Смотрю", False), (7, "Внутреннее: перезагрузить шлюз", True)],
    )
    redmine.add_issue(10, "Закрытая задача", status_id=5)

    run = pull()

    assert _counts(run) == ("success", 2, 0, 0, 0)
    link = RedmineLink.objects.get(issue_id=issue["id"])
    ticket = linked_ticket(link)
    assert ticket.queue == project.queue
    assert ticket.title == "Не работает VPN"
    assert ticket.description == "Строка 1\nСтрока 2"  # Redmine's \r\n made plain
    assert ticket.status.code == "in_progress"  # "В работе" matched by name
    assert ticket.priority.code == "urgent"
    assert ticket.assignee == net_agent
    assert ticket.requester.username == "petrov" or ticket.requester.username == "redmine"
    assert ticket.due_date == due
    assert ticket.source == Source.REDMINE
    assert ticket.created_at == dt.datetime.fromisoformat(issue["created_on"])
    comments = list(ticket.comments.order_by("pk"))
    assert [(c.body, c.is_internal, c.author) for c in comments] == [
        ("Смотрю", False, net_agent),
        ("Внутреннее: перезагрузить шлюз", True, net_agent),
    ]
    assert all(c.source == Source.REDMINE for c in comments)
    assert link.last_journal_id == issue["journals"][-1]["id"] if issue["journals"] else True
    closed = linked_ticket(RedmineLink.objects.exclude(pk=link.pk).get())
    assert closed.status.is_closed
    # Statuses met on the way were mapped by suggestion, on their Redmine ids.
    assert RedmineStatus.objects.get(redmine_id=2).status.code == "in_progress"


def test_requester_without_local_account_is_the_redmine_user(redmine, project):
    redmine.add_issue(10, "От незнакомца", author_id=8)
    pull()
    requester = Ticket.objects.get().requester
    assert requester.username == "redmine" and not requester.is_active


def test_the_requester_is_matched_by_email_when_logins_differ(redmine, project):
    from accounts.tests.factories import UserFactory

    local = UserFactory(username="p.petrov", email="PETROV@example.com")
    redmine.add_issue(10, "Письмо", author_id=8)
    pull()
    assert Ticket.objects.get().requester == local


def test_second_run_changes_nothing(redmine, project):
    for n in range(5):
        redmine.add_issue(10, f"Задача {n}", notes=[(7, f"Комментарий {n}", False)])
    pull()
    events, comments = TicketEvent.objects.count(), Comment.objects.count()
    calls = len(redmine.calls)

    run = pull()

    assert _counts(run) == ("success", 0, 0, 5, 0)
    assert (TicketEvent.objects.count(), Comment.objects.count()) == (events, comments)
    # Only the list was read: no issue was fetched again.
    assert "issue" not in redmine.calls[calls:]


def test_incremental_pull_brings_changes_and_notes(redmine, project, net_agent):
    first = redmine.add_issue(10, "Принтер")
    other = redmine.add_issue(10, "Сканер")
    pull()
    redmine.change(first["id"], user_id=7, notes="Заменили картридж", status_id=5)
    calls = len(redmine.calls)

    run = pull()

    assert _counts(run) == ("success", 0, 1, 1, 0)
    assert redmine.calls[calls:].count("issue") == 1
    ticket = linked_ticket(RedmineLink.objects.get(issue_id=first["id"]))
    assert ticket.status.code == "closed"
    change = ticket.events.get(kind=TicketEvent.Kind.CHANGED, field="status")
    assert change.source == Source.REDMINE
    assert ticket.comments.get().body == "Заменили картридж"
    assert linked_ticket(RedmineLink.objects.get(issue_id=other["id"])).status.code == "new"


def test_change_in_the_cursors_second_is_not_missed(redmine, project):
    redmine.clock = timezone.now().replace(microsecond=0)
    issue = redmine.add_issue(10, "Первая")
    pull()
    # A change within the same second as the one pulled carries the same stamp.
    redmine.clock -= dt.timedelta(seconds=1)
    redmine.change(issue["id"], subject="Первая (уточнено)")
    pull()
    assert Ticket.objects.get().title == "Первая (уточнено)"


def test_private_note_with_a_change_arrives_as_two_journals(redmine, project):
    issue = redmine.add_issue(10, "Сервер")
    pull()
    redmine.change(
        issue["id"], user_id=7, notes="Только для своих", private_notes=True, status_id=2
    )
    assert [j["notes"] for j in redmine.issues_by_id[issue["id"]]["journals"]] == [
        None,
        "Только для своих",
    ]
    pull()
    ticket = Ticket.objects.get()
    assert ticket.status.code == "in_progress"
    assert [(c.body, c.is_internal) for c in ticket.comments.all()] == [("Только для своих", True)]


def test_long_subject_is_shortened_to_a_title(redmine, project):
    redmine.add_issue(10, "Очень " * 50)
    pull()
    title = Ticket.objects.get().title
    assert len(title) == 200 and title.endswith("…")


def test_a_failing_issue_is_recorded_skipped_and_read_again(redmine, project, monkeypatch):
    issues = [redmine.add_issue(10, f"Задача {n}") for n in range(4)]
    bad = issues[1]["id"]
    real = pull_module.apply_issue

    def flaky(issue, *args):
        if issue["id"] == bad:
            raise ValueError("broken issue")
        return real(issue, *args)

    monkeypatch.setattr(pull_module, "apply_issue", flaky)
    run = pull()
    assert _counts(run) == ("partial", 3, 0, 0, 1)
    assert run.errors == [{"item": f"#{bad}", "error": "ValueError: broken issue"}]
    # The cursor stopped before the failed issue.
    project.refresh_from_db()
    assert project.cursor == dt.datetime.fromisoformat(issues[0]["updated_on"])

    monkeypatch.setattr(pull_module, "apply_issue", real)
    run = pull()
    assert _counts(run) == ("success", 1, 0, 3, 0)  # the overlap lists all four
    assert Ticket.objects.count() == 4


def test_redmine_down_mid_run_fails_the_run_and_the_next_one_completes(redmine, project):
    for n in range(6):
        redmine.add_issue(10, f"Задача {n}", notes=[(7, f"Заметка {n}", False)])
    # Statuses, priorities, the project's members, the list and three issues, then the
    # connection is gone.
    redmine.fail_after = len(redmine.calls) + 7

    run = pull()

    assert run.outcome == "failed"
    assert "Redmine cannot be reached" in run.message
    done = Ticket.objects.count()
    assert 0 < done < 6

    redmine.fail_after = None
    run = pull()
    assert run.outcome == "success"
    assert Ticket.objects.count() == 6
    assert Comment.objects.count() == 6  # no duplicates, no gaps
    assert sorted(RedmineLink.objects.values_list("issue_id", flat=True)) == sorted(
        redmine.issues_by_id
    )


def test_a_run_while_another_holds_the_lock_is_skipped(redmine, project):
    redmine.add_issue(10, "Задача")
    with job_lock(SyncRun.Kind.REDMINE_PULL):
        run = pull()
    assert run.outcome == "skipped"
    assert not Ticket.objects.exists()


def test_deleted_issue_is_unlinked_with_a_history_entry(redmine, project):
    issue = redmine.add_issue(10, "Удалят")
    pull()
    redmine.delete(issue["id"])

    run = pull(full=True)

    assert run.deactivated == 1
    ticket = Ticket.objects.get()
    assert RedmineLink.objects.get().unlinked_at is not None  # kept as a tombstone
    entry = ticket.events.get(field="redmine_deleted")
    assert entry.old_value == str(issue["id"]) and entry.source == Source.REDMINE


def test_issue_that_became_invisible_is_unlinked(redmine, project):
    issue = redmine.add_issue(10, "Станет приватной")
    pull()
    redmine.hidden.add(issue["id"])
    pull(full=True)
    assert Ticket.objects.get().events.filter(field="redmine_hidden").exists()


def test_issue_moved_to_an_unmapped_project_is_unlinked(redmine, project):
    issue = redmine.add_issue(10, "Переедет")
    pull()
    redmine.move(issue["id"], 20)
    journal = redmine.issues_by_id[issue["id"]]["journals"][-1]
    assert journal["notes"] == "" and journal["details"][0]["name"] == "project_id"

    pull(full=True)

    entry = Ticket.objects.get().events.get(field="redmine_moved")
    assert entry.new_value == "Архив"
    assert RedmineLink.objects.get().unlinked_at is not None  # kept as a tombstone


def test_issue_moved_to_another_mapped_project_moves_the_ticket(redmine, project):
    archive = QueueFactory(name="Архив", key_prefix="ARC")
    RedmineProject.objects.create(redmine_id=20, name="Архив", queue=archive)
    issue = redmine.add_issue(10, "Переедет")
    pull()
    redmine.move(issue["id"], 20)

    pull()

    ticket = Ticket.objects.get()
    assert ticket.queue == archive
    assert RedmineLink.objects.get().project_id == 20
    assert not ticket.comments.exists()  # the move's empty journal is no comment


def test_deleted_issues_are_looked_for_only_now_and_then(redmine, project, settings):
    settings.REDMINE_DELETED_CHECK_MINUTES = 60
    issue = redmine.add_issue(10, "Удалят")
    pull()
    redmine.delete(issue["id"])
    pull()
    assert RedmineLink.objects.get().unlinked_at is None  # checked less than an hour ago
    RedmineProject.objects.update(ids_checked_at=timezone.now() - dt.timedelta(hours=2))
    pull()
    assert RedmineLink.objects.get().unlinked_at is not None  # kept as a tombstone


def test_conflict_keeps_redmines_value_and_says_what_was_overwritten(redmine, project, net_agent):
    issue = redmine.add_issue(10, "Спорная")
    pull()
    ticket = Ticket.objects.get()
    # Pushes are off: both sides change the status before the next sync.
    RedmineProject.objects.update(direction=RedmineProject.Direction.PULL)
    services.ticket_change_status(actor=net_agent, ticket=ticket, status=status("waiting"))
    redmine.change(issue["id"], status_id=2)

    pull()

    ticket.refresh_from_db()
    assert ticket.status.code == "in_progress"
    entry = ticket.events.get(field="conflict_status")
    assert entry.old_value == str(status("waiting").pk)
    assert entry.new_value == str(status("in_progress").pk)


def test_a_local_change_alone_is_not_undone_by_the_pull(redmine, project, net_agent):
    issue = redmine.add_issue(10, "Локальная правка")
    pull()
    RedmineProject.objects.update(direction=RedmineProject.Direction.PULL)
    ticket = Ticket.objects.get()
    services.ticket_update(
        actor=net_agent, ticket=ticket, priority=ticket.priority.__class__.objects.get(code="high")
    )
    redmine.change(issue["id"], notes="Просто комментарий")
    pull()
    ticket.refresh_from_db()
    assert ticket.priority.code == "high"
    assert not ticket.events.filter(field__startswith="conflict_").exists()


def test_redmine_statuses_ignore_local_transition_rules(redmine, project):
    from tickets.models import Transition

    Transition.objects.create(
        queue=project.queue, from_status=status("new"), to_status=status("in_progress")
    )
    issue = redmine.add_issue(10, "Сразу закрыта")
    pull()
    redmine.change(issue["id"], status_id=5)
    pull()
    assert Ticket.objects.get().status.code == "closed"


def test_first_pull_notifies_nobody_later_ones_do(redmine, project, net_agent):
    from notifications.models import Notification

    redmine.add_issue(10, "Старая")
    pull()
    assert not Notification.objects.exists()
    redmine.add_issue(10, "Новая")
    pull()
    assert Notification.objects.filter(recipient=net_agent).exists()


def test_pull_of_one_project_only(redmine, project):
    other_queue = QueueFactory(name="Архив", key_prefix="ARC")
    RedmineProject.objects.create(redmine_id=20, name="Архив", queue=other_queue)
    redmine.add_issue(10, "Сеть")
    redmine.add_issue(20, "Архив")
    pull(project_id=20)
    assert list(Ticket.objects.values_list("queue__key_prefix", flat=True)) == ["ARC"]
    assert pull(project_id=99).outcome == "failed"


def test_pull_without_configuration_fails_with_the_reason(settings, db):
    settings.REDMINE_URL = ""
    run = pull()
    assert run.outcome == "failed"
    assert "REDMINE_URL" in run.message


@pytest.mark.parametrize("direction", [RedmineProject.Direction.PUSH])
def test_push_only_projects_are_not_pulled(redmine, project, direction):
    RedmineProject.objects.update(direction=direction)
    redmine.add_issue(10, "Не для нас")
    assert pull().outcome == "success"
    assert not Ticket.objects.exists()


# --- faults found in review -----------------------------------------------------------


def test_unassigned_issue_stays_unassigned_and_no_false_conflict(redmine, project, net_agent):
    project.queue.default_assignee = net_agent
    project.queue.save()
    issue = redmine.add_issue(10, "Ничья")
    pull()
    assert Ticket.objects.get().assignee is None
    redmine.change(issue["id"], assigned_to_id=7)
    pull()
    ticket = Ticket.objects.get()
    assert ticket.assignee == net_agent
    assert not ticket.events.filter(field__startswith="conflict_").exists()


def test_assignee_who_is_no_agent_here_makes_no_false_conflict(redmine, project):
    from accounts.tests.factories import UserFactory
    from integrations.models import RedmineUser

    RedmineUser.objects.create(redmine_id=8, login="petrov", user=UserFactory(username="petrov"))
    issue = redmine.add_issue(10, "Не агент", assigned_to_id=8)
    pull()
    assert Ticket.objects.get().assignee is None
    redmine.change(issue["id"], assigned_to_id=7)
    pull()
    assert not Ticket.objects.get().events.filter(field__startswith="conflict_").exists()


def test_one_forbidden_project_does_not_stop_the_others(redmine, project):
    archive = QueueFactory(name="Архив", key_prefix="ARC")
    RedmineProject.objects.create(redmine_id=20, name="Архив", queue=archive)
    redmine.add_issue(20, "Из архива")
    redmine.forbidden_projects = {10}
    run = pull()
    assert run.outcome == "partial"
    assert run.errors[0]["item"] == "project 10"
    assert Ticket.objects.get().queue == archive


def test_one_bad_moved_issue_does_not_stop_the_sync(redmine, project, monkeypatch):
    archive = QueueFactory(name="Архив", key_prefix="ARC")
    RedmineProject.objects.create(redmine_id=20, name="Архив", queue=archive)
    moved = redmine.add_issue(10, "Переедет")
    pull()
    redmine.move(moved["id"], 20)
    real = pull_module.apply_issue

    def broken(issue, *args):
        if issue["id"] == moved["id"]:
            raise ValueError("cannot move")
        return real(issue, *args)

    monkeypatch.setattr(pull_module, "apply_issue", broken)
    redmine.add_issue(20, "Новая в архиве")
    run = pull(full=True)
    assert run.outcome == "partial"
    assert Ticket.objects.filter(queue=archive, title="Новая в архиве").exists()
    assert RedmineProject.objects.filter(ids_checked_at__isnull=True).count() == 0


def test_a_ticket_deleted_here_is_not_imported_again(redmine, project):
    issue = redmine.add_issue(10, "Удалят у нас")
    pull()
    Ticket.objects.all().delete()
    redmine.change(issue["id"], notes="Ещё комментарий")
    pull(full=True)
    assert not Ticket.objects.exists()


def test_an_issue_that_is_visible_again_is_linked_again(redmine, project):
    issue = redmine.add_issue(10, "Спряталась")
    pull()
    redmine.hidden.add(issue["id"])
    pull(full=True)
    redmine.hidden.clear()
    redmine.change(issue["id"], notes="Снова видна")

    pull()

    ticket = Ticket.objects.get()
    assert RedmineLink.objects.get().active
    assert list(ticket.comments.values_list("body", flat=True)) == ["Снова видна"]
    assert ticket.events.filter(field="redmine_relinked").exists()


@pytest.mark.parametrize("full", [False, True])
def test_an_issue_moved_out_and_back_is_synced_again(redmine, project, full):
    issue = redmine.add_issue(10, "Уедет и вернётся")
    pull()
    redmine.move(issue["id"], 20)
    pull(full=True)
    assert not RedmineLink.objects.get().active
    redmine.change(issue["id"], subject="Пока в архиве")  # not ours while away
    redmine.move(issue["id"], 10)
    redmine.change(issue["id"], status_id=2, notes="Вернулась")

    run = pull(full=full)

    assert run.updated == 1
    link = RedmineLink.objects.get()
    assert link.active and link.project_id == 10
    ticket = Ticket.objects.get()
    assert ticket.title == "Пока в архиве"
    assert ticket.status.name == "В работе"
    assert list(ticket.comments.values_list("body", flat=True)) == ["Вернулась"]
    entry = ticket.events.get(field="redmine_relinked")
    assert (entry.old_value, entry.new_value) == (str(issue["id"]), "Сеть")
    assert pull().updated == 0  # and in step from now on


def test_a_ticket_deleted_here_stays_a_tombstone(redmine, project):
    issue = redmine.add_issue(10, "Удалим у себя")
    pull()
    Ticket.objects.all().delete()
    redmine.change(issue["id"], notes="Ещё жива")
    pull(full=True)
    assert not Ticket.objects.exists()


def test_closed_issues_keep_the_time_redmine_closed_them(redmine, project):
    closed = redmine.add_issue(10, "Закрыта давно", status_id=5)
    redmine.clock += dt.timedelta(days=3)
    later = redmine.add_issue(10, "Закроют позже")
    redmine.clock += dt.timedelta(days=2)
    pull()
    redmine.change(later["id"], status_id=5)
    closed_on = redmine.issues_by_id[later["id"]]["closed_on"]

    pull()

    first = Ticket.objects.get(redmine_link__issue_id=closed["id"])
    assert first.closed_at == first.created_at == dt.datetime.fromisoformat(closed["closed_on"])
    second = Ticket.objects.get(redmine_link__issue_id=later["id"])
    assert second.closed_at == second.resolved_at == dt.datetime.fromisoformat(closed_on)
    assert second.closed_at is not None
    assert second.closed_at - second.created_at == dt.timedelta(days=2, seconds=1)


def test_private_issues_are_not_synced_unless_the_project_says_so(redmine, project):
    private = redmine.add_issue(10, "Зарплаты", private=True)
    public = redmine.add_issue(10, "Принтер")

    pull()

    assert list(Ticket.objects.values_list("title", flat=True)) == ["Принтер"]
    redmine.issues_by_id[public["id"]]["is_private"] = True  # made private later
    redmine.change(public["id"], notes="Теперь приватная")
    run = pull()
    assert run.deactivated == 1
    ticket = Ticket.objects.get()
    assert not ticket.comments.exists()
    assert ticket.events.filter(field="redmine_private").exists()

    RedmineProject.objects.update(private_issues=RedmineProject.PrivateIssues.QUEUE)
    pull(full=True)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["Зарплаты", "Принтер"]
    assert RedmineLink.objects.filter(issue_id=private["id"], unlinked_at=None).exists()


def test_the_soft_time_limit_stops_the_pull_and_keeps_the_cursor(redmine, project, monkeypatch):
    issues = [redmine.add_issue(10, f"Задача {n}") for n in range(4)]
    real = pull_module.apply_issue

    def slow(issue, *args):
        if issue["id"] == issues[2]["id"]:
            raise SoftTimeLimitExceeded()
        return real(issue, *args)

    monkeypatch.setattr(pull_module, "apply_issue", slow)
    run = pull()

    assert run.outcome == "partial"
    assert "time limit" in run.message
    assert (run.created, run.failed, run.errors) == (2, 0, [])  # no issue is blamed
    project.refresh_from_db()
    assert project.cursor == dt.datetime.fromisoformat(issues[1]["updated_on"])
    assert not project.backlog_done

    monkeypatch.setattr(pull_module, "apply_issue", real)
    assert pull().outcome == "success"
    assert Ticket.objects.count() == 4


def test_the_pull_reads_who_may_take_the_projects_issues(redmine, project):
    redmine.members[10] = {7: [4], 8: [5]}  # 8 only watches

    pull()

    project.refresh_from_db()
    assert project.assignable_ids == [7]


def test_a_failing_first_issue_leaves_the_others_their_requester(redmine, project, monkeypatch):
    first = redmine.add_issue(10, "Первая", author_id=8)
    redmine.add_issue(10, "Вторая", author_id=8)
    real = services.comment_add

    def fail_first(**kwargs):
        if kwargs["ticket"].title == "Первая":
            raise ValueError("broken journal")
        return real(**kwargs)

    redmine.change(first["id"], notes="Ломает")
    monkeypatch.setattr(services, "comment_add", fail_first)
    run = pull()
    assert (run.created, run.failed) == (1, 1)
    assert Ticket.objects.get().requester.username == "redmine"


def test_an_interrupted_first_pull_still_notifies_nobody(redmine, project):
    from notifications.models import Notification

    for n in range(6):
        redmine.add_issue(10, f"Старая {n}")
    redmine.fail_after = len(redmine.calls) + 7
    assert pull().outcome == "failed"
    redmine.fail_after = None
    assert pull().outcome == "success"
    assert Ticket.objects.count() == 6
    assert not Notification.objects.exists()
    assert RedmineProject.objects.get(pk=project.pk).backlog_done


def test_a_comment_from_redmine_does_not_notify_its_author(redmine, project, net_agent):
    from notifications.models import Notification

    RedmineProject.objects.update(backlog_done=True)
    issue = redmine.add_issue(10, "Моя заявка", assigned_to_id=7)
    pull()
    Notification.objects.all().delete()
    redmine.change(issue["id"], user_id=7, notes="Сам написал")
    pull()
    assert not Notification.objects.filter(recipient=net_agent).exists()
