"""Operator tools: admin buttons and lists, commands, the health detail, the router."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    RedmineLink,
    RedminePriority,
    RedmineProject,
    RedminePush,
    RedmineStatus,
    RedmineUser,
    RmIssue,
    SyncRun,
)
from integrations.redmine.pull import pull
from integrations.redmine.router import RedmineDatabaseWriteRefused, RedmineRouter
from tickets.tests.factories import QueueFactory

TOOLS = "admin:integrations_syncrun_changelist"


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_test_connection_reports_what_is_reachable_and_mapped(admin_client, redmine, project):
    answer = admin_client.post(reverse("admin:integrations_syncrun_redmine_test"), follow=True)
    text = "\n".join(_messages(answer))
    assert "ключ принадлежит admin (администратор)" in text
    assert "Видно проектов: 2." in text
    assert "Проект Сеть ↔ очередь Сеть (в обе стороны)." in text
    assert "Сопоставлено статусов Redmine: 0 из 5." in text


def test_test_connection_says_why_it_failed(admin_client, redmine, project):
    redmine.down = True
    answer = admin_client.post(reverse("admin:integrations_syncrun_redmine_test"), follow=True)
    assert "Redmine cannot be reached" in "\n".join(_messages(answer))


def test_tools_are_post_only_and_for_superusers(client, manager, redmine):
    client.force_login(manager)
    url = reverse("admin:integrations_syncrun_redmine_sync")
    assert client.get(url).status_code in (302, 405)
    client.post(url)
    assert not SyncRun.objects.exists()


def test_sync_now_runs_the_pull_and_logs_it(admin_client, redmine, project):
    redmine.add_issue(10, "Из Redmine")
    answer = admin_client.post(reverse("admin:integrations_syncrun_redmine_sync"), follow=True)
    run = SyncRun.objects.get(kind=SyncRun.Kind.REDMINE_PULL)
    assert (run.outcome, run.created) == ("success", 1)
    assert b"redmine_pull" in answer.content or "Redmine" in answer.content.decode()


def test_suggest_mappings_fills_projects_statuses_priorities_and_users(
    admin_client, redmine, net_agent
):
    redmine.add_project(30, "Служба поддержки", "hd")
    redmine.add_user(9, "IVANOV", "other@example.com")
    QueueFactory(name="Служба поддержки", key_prefix="HD", slug="hd")
    admin_client.post(reverse("admin:integrations_syncrun_redmine_suggest"))
    suggested = RedmineProject.objects.get()
    assert (suggested.redmine_id, suggested.is_active) == (30, False)  # checked first
    assert RedmineStatus.objects.count() == 5 and RedminePriority.objects.count() == 5
    assert RedminePriority.objects.get(redmine_id=2).priority.code == "normal"  # default
    assert RedmineUser.objects.get(redmine_id=9).user == net_agent  # login, any case


@pytest.mark.parametrize(
    "model", [RedmineProject, RedmineStatus, RedminePriority, RedmineUser, RedmineLink, RedminePush]
)
def test_mapping_lists_render(admin_client, redmine, project, model):
    redmine.add_issue(10, "Для списка")
    pull()
    meta = model._meta
    answer = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert answer.status_code == 200


def test_failed_pushes_can_be_sent_again(
    admin_client, redmine, project, net_agent, django_capture_on_commit_callbacks
):
    from tickets import services
    from tickets.models import Ticket

    redmine.add_issue(10, "Повтор")
    pull()
    redmine.down = True
    services.comment_add(actor=net_agent, ticket=Ticket.objects.get(), body="Ещё раз")
    RedminePush.objects.update(state=RedminePush.State.FAILED, last_error="down")
    redmine.down = False
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:integrations_redminepush_changelist"),
            {
                "action": "retry",
                "_selected_action": list(RedminePush.objects.values_list("pk", flat=True)),
            },
        )
    assert RedminePush.objects.get().state == RedminePush.State.SENT


# --- lagging sync: admin index and /healthz -------------------------------------------


def _successful_run(minutes_ago: int) -> None:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    SyncRun.objects.create(
        kind=SyncRun.Kind.REDMINE_PULL, started_at=at, finished_at=at, outcome="success"
    )


def test_admin_index_warns_when_the_sync_lags(admin_client, settings, db):
    settings.REDMINE_SYNC_ENABLED = True
    settings.REDMINE_SYNC_INTERVAL_MINUTES = 5
    _successful_run(minutes_ago=16)
    assert b'data-testid="redmine-stale"' in admin_client.get(reverse("admin:index")).content
    _successful_run(minutes_ago=14)
    assert b'data-testid="redmine-stale"' not in admin_client.get(reverse("admin:index")).content


def test_healthz_reports_the_sync_without_failing_on_it(client, settings, db):
    settings.REDMINE_SYNC_ENABLED = True
    settings.REDMINE_SYNC_INTERVAL_MINUTES = 5
    body = client.get("/healthz").json()
    assert body["integrations"]["redmine"]["status"] == "stale"
    assert body["integrations"]["redmine"]["last_success"] is None
    _successful_run(minutes_ago=1)
    redmine = client.get("/healthz").json()["integrations"]["redmine"]
    assert redmine["status"] == "ok" and redmine["stale_after_minutes"] == 15


def test_healthz_leaves_redmine_out_when_the_sync_is_off(client, settings, db):
    settings.REDMINE_SYNC_ENABLED = False
    assert "integrations" not in client.get("/healthz").json()


# --- commands -------------------------------------------------------------------------


def test_redmine_sync_command_shows_progress_and_the_summary(redmine, project, capsys):
    for n in range(3):
        redmine.add_issue(10, f"Задача {n}")
    call_command("redmine_sync")
    out = capsys.readouterr().out
    assert "3/3 issues" in out
    assert ": created 3, updated 0, unchanged 0, failed 0 in " in out


def test_redmine_sync_command_fails_when_redmine_is_down(redmine, project):
    redmine.down = True
    with pytest.raises(CommandError, match="Redmine cannot be reached"):
        call_command("redmine_sync", "--full")


def test_redmine_test_command(redmine, project, capsys):
    call_command("redmine_test")
    out = capsys.readouterr().out
    assert "Видно проектов: 2." in out
    redmine.down = True
    with pytest.raises(CommandError, match="cannot be reached"):
        call_command("redmine_test")


def test_redmine_import_needs_the_database(db, settings):
    with pytest.raises(CommandError, match="REDMINE_DATABASE_URL is not set"):
        call_command("redmine_import", "--from-db")


# --- Redmine's database is read-only --------------------------------------------------


def test_the_router_never_writes_or_migrates_redmines_database():
    router = RedmineRouter()
    assert router.db_for_read(RmIssue) == "redmine"
    assert router.db_for_read(SyncRun) is None
    with pytest.raises(RedmineDatabaseWriteRefused):
        router.db_for_write(RmIssue)
    assert router.allow_migrate("redmine", "integrations", "syncrun") is False
    assert router.allow_migrate("default", "integrations", "rmissue", model=RmIssue) is False
    assert router.allow_migrate("default", "integrations", "syncrun") is None
    assert RmIssue._meta.managed is False
