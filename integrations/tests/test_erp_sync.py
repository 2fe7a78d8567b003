"""ERP directory sync: the job, its run log, its command, its schedule and admin tools."""

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts import directory
from accounts.erp_fake import FakeERPGateway
from accounts.models import ERPLoginFailure, ResponsibilityRole, User
from accounts.roles import Role, user_role
from accounts.tests.factories import UserFactory
from integrations.erp import sync as erp_sync
from integrations.erp.sync import sync_directory
from integrations.models import SyncRun
from integrations.runs import job_lock
from integrations.schedule import register_schedules
from integrations.tasks import erp_directory_sync

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # the site's today, as the sync's


def erp_user(username: str, **fields) -> User:
    user = UserFactory(username=username.lower(), erp_username=username, **fields)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def people(fake_erp):
    fake_erp.add("ANNA", "x", last_name="Смирнова", department="ИТ")
    fake_erp.add("BORIS", "x", last_name="Орлов", end_date="2020-01-01")
    return {
        "anna": erp_user("ANNA", department="Склад"),
        "boris": erp_user("BORIS"),
        "gone": erp_user("GONE"),  # no longer in the ERP
        "local": UserFactory(username="localadmin", is_staff=True),
    }


def test_first_run_refreshes_everyone_and_deactivates_the_ended(people):
    run = sync_directory(trigger="test")

    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert (run.updated, run.deactivated, run.failed) == (1, 2, 0)
    assert run.finished_at is not None and run.finished_at >= run.started_at
    anna, boris, gone, local = (User.objects.get(pk=u.pk) for u in people.values())
    assert (anna.department, anna.last_name, anna.is_active) == ("ИТ", "Смирнова", True)
    assert anna.erp_synced_at is not None
    assert not boris.is_active and boris.erp_deactivated_at is not None
    assert boris.erp_end_date == dt.date(2020, 1, 1)
    assert not gone.is_active
    assert local.is_active, "local accounts are not the ERP's business"


def test_second_run_is_incremental_and_changes_nothing(people, fake_erp, monkeypatch):
    sync_directory()
    age_erp_stamps(fake_erp)
    asked: list[str] = []
    original = FakeERPGateway.profiles

    def profiles(self, names, **kwargs):
        asked.extend(names)
        return original(self, names, **kwargs)

    monkeypatch.setattr(FakeERPGateway, "profiles", profiles)

    run = sync_directory()

    assert asked == [], "an incremental run asks only for what changed"
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert (run.updated, run.deactivated) == (0, 0)


def test_incremental_run_picks_up_changes(people, fake_erp):
    sync_directory()
    backdate_last_run(fake_erp)
    fake_erp.change("ANNA", department="Бухгалтерия")

    run = sync_directory()

    assert run.updated == 1
    assert User.objects.get(username="anna").department == "Бухгалтерия"


def test_responsibility_changes_move_roles(people, fake_erp):
    ResponsibilityRole.objects.create(responsibility_key="XX_AGENT", role=Role.AGENT)
    fake_erp.change("ANNA", responsibilities=["XX_AGENT"])

    sync_directory(full=True)

    assert user_role(User.objects.get(username="anna")) == Role.AGENT


def age_erp_stamps(fake_erp) -> None:
    """As if every user and grant had been written long before the last run."""
    for entry in fake_erp.data["users"].values():
        entry["updated_at"] = "2000-01-01T00:00:00"
        for grant in entry["grants"]:
            grant["updated_at"] = "2000-01-01T00:00:00"
    fake_erp._save()


def backdate_last_run(fake_erp, hours: int = 2) -> None:
    """Move the last run (and its ERP clock) back, as if it ran a while ago."""
    age_erp_stamps(fake_erp)
    run = SyncRun.objects.latest("started_at")
    cursor = dt.datetime.fromisoformat(run.source_cursor) - dt.timedelta(hours=hours)
    SyncRun.objects.filter(pk=run.pk).update(
        started_at=run.started_at - dt.timedelta(hours=hours), source_cursor=cursor.isoformat()
    )


@pytest.fixture
def agent_mapping(db):
    ResponsibilityRole.objects.create(responsibility_key="XX_AGENT", role=Role.AGENT)


def test_a_revoked_responsibility_reaches_the_incremental_sync(people, fake_erp, agent_mapping):
    fake_erp.grant("ANNA", "XX_AGENT")
    sync_directory()
    assert user_role(User.objects.get(username="anna")) == Role.AGENT
    backdate_last_run(fake_erp)
    stamped = fake_erp.entry("ANNA")["updated_at"]

    fake_erp.revoke("ANNA", "XX_AGENT")
    run = sync_directory()

    assert fake_erp.entry("ANNA")["updated_at"] == stamped, "the user row itself is unchanged"
    assert run.updated == 1
    assert user_role(User.objects.get(username="anna")) == Role.REQUESTER


def test_a_responsibility_granted_through_a_role_reaches_the_incremental_sync(
    people, fake_erp, agent_mapping
):
    sync_directory()
    backdate_last_run(fake_erp)

    fake_erp.grant("ANNA", "XX_AGENT", indirect=True)
    sync_directory()

    assert user_role(User.objects.get(username="anna")) == Role.AGENT


def test_a_grant_whose_end_date_passes_is_revoked_on_that_day(people, fake_erp, agent_mapping):
    tomorrow = TODAY() + dt.timedelta(days=1)
    fake_erp.grant("ANNA", "XX_AGENT", end_date=tomorrow, stamp="2000-01-01T00:00:00")
    sync_directory()
    age_erp_stamps(fake_erp)
    assert user_role(User.objects.get(username="anna")) == Role.AGENT

    noon_after = dt.datetime.combine(tomorrow, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon_after, tick=False):
        run = sync_directory()

    assert run.outcome == SyncRun.Outcome.SUCCESS and run.updated == 1
    assert user_role(User.objects.get(username="anna")) == Role.REQUESTER


def test_a_grant_starting_later_is_granted_on_its_day(people, fake_erp, agent_mapping):
    tomorrow = TODAY() + dt.timedelta(days=1)
    fake_erp.grant("ANNA", "XX_AGENT", start_date=tomorrow, stamp="2000-01-01T00:00:00")
    sync_directory()
    age_erp_stamps(fake_erp)
    assert user_role(User.objects.get(username="anna")) == Role.REQUESTER

    noon_after = dt.datetime.combine(tomorrow, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon_after, tick=False):
        sync_directory()

    assert user_role(User.objects.get(username="anna")) == Role.AGENT


def test_the_window_is_on_the_erp_databases_clock(people, fake_erp, settings):
    # The EBS database server runs nine hours behind Helpdesk's time zone.
    settings.TIME_ZONE = "Europe/Moscow"
    fake_erp.set_time_zone("America/Mexico_City")
    first = sync_directory()
    assert first.outcome == SyncRun.Outcome.SUCCESS
    cursor = dt.datetime.fromisoformat(first.source_cursor)
    assert abs(cursor - fake_erp.now()) < dt.timedelta(minutes=1)
    # EBS stamps the change with its own clock, just after the run.
    fake_erp.change("ANNA", department="Бухгалтерия")

    run = sync_directory()

    assert run.updated == 1
    assert User.objects.get(username="anna").department == "Бухгалтерия"


def count_calls(monkeypatch, method: str) -> list:
    calls = []
    original = getattr(FakeERPGateway, method)

    def counted(self, *args, **kwargs):
        calls.append((args, kwargs))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FakeERPGateway, method, counted)
    return calls


def test_a_full_run_reads_profiles_in_pages_not_one_call_per_user(people, fake_erp, monkeypatch):
    monkeypatch.setattr(erp_sync, "PAGE", 2)
    for n in range(5):
        fake_erp.add(f"USER{n}", "x")
        erp_user(f"USER{n}")
    pages = count_calls(monkeypatch, "profiles")
    singles = count_calls(monkeypatch, "get_profile")

    run = sync_directory(full=True)

    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert singles == []
    assert [len(args[0]) for args, _kwargs in pages] == [2, 2, 2, 2]  # 8 ERP users
    assert User.objects.filter(erp_username__startswith="USER", is_active=True).count() == 5


def test_departments_are_read_in_each_users_language(people, fake_erp, monkeypatch):
    fake_erp.change("ANNA", department="ИТ", department_tl={"US": "IT"})
    fake_erp.add("PAUL", "x", department="Склад", department_tl={"US": "Warehouse"})
    erp_user("PAUL", language="en")
    pages = count_calls(monkeypatch, "profiles")

    sync_directory(full=True)

    assert sorted(kwargs["language"] for _args, kwargs in pages) == ["en", "ru"]
    assert User.objects.get(username="anna").department == "ИТ"
    assert User.objects.get(username="paul").department == "Warehouse"


def test_the_patronymic_follows_the_erp(people, fake_erp):
    fake_erp.change("ANNA", first_name="Анна", middle_name="Сергеевна")

    sync_directory(full=True)

    anna = User.objects.get(username="anna")
    assert anna.middle_name == "Сергеевна"
    assert anna.get_full_name() == "Анна Сергеевна Смирнова"


def test_terminated_employees_are_deactivated_when_the_site_says_so(people, fake_erp, settings):
    fake_erp.change("ANNA", current_worker=False)
    sync_directory(full=True)
    assert User.objects.get(username="anna").is_active

    settings.ERP_REFUSE_TERMINATED = True
    run = sync_directory(full=True)

    assert run.deactivated == 1
    assert not User.objects.get(username="anna").is_active


def test_the_run_forgets_failed_password_checks_older_than_the_window(people):
    old = timezone.now() - dt.timedelta(days=2)
    ERPLoginFailure.objects.create(username="ANNA", at=old)

    sync_directory()

    assert not ERPLoginFailure.objects.exists()


def test_a_known_end_date_takes_effect_on_its_day(people, fake_erp):
    sync_directory()
    tomorrow = TODAY() + dt.timedelta(days=1)
    User.objects.filter(username="anna").update(erp_end_date=TODAY())
    fake_erp.change("ANNA", end_date=tomorrow.isoformat())  # stamped now...
    fake_erp.data["users"]["ANNA"]["updated_at"] = "2000-01-01T00:00:00"  # ...or not
    fake_erp._save()

    run = sync_directory()

    assert run.deactivated == 1
    assert not User.objects.get(username="anna").is_active


def test_the_erp_back_reactivates_but_an_operator_decision_stands(people, fake_erp):
    sync_directory()
    User.objects.filter(username="anna").update(is_active=False)  # an operator's decision
    fake_erp.change("BORIS", end_date=None)

    run = sync_directory(full=True)

    assert User.objects.get(username="boris").is_active
    assert not User.objects.get(username="anna").is_active
    assert run.outcome == SyncRun.Outcome.SUCCESS


def test_erp_down_fails_the_run_with_the_reason_and_touches_nobody(people, fake_erp):
    fake_erp.set_down()

    run = sync_directory()

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "ERP unavailable" in run.message and "DPY-6005" in run.message
    assert User.objects.filter(is_active=True).count() == 4

    fake_erp.set_down(False)
    assert sync_directory().outcome == SyncRun.Outcome.SUCCESS


def test_one_failing_user_is_recorded_and_the_rest_done(people, monkeypatch):
    real = directory.sync_user

    def flaky(profile, user, **kwargs):
        if user.username == "anna":
            raise ValueError("bad row")
        return real(profile, user, **kwargs)

    monkeypatch.setattr(directory, "sync_user", flaky)

    run = sync_directory()

    assert run.outcome == SyncRun.Outcome.PARTIAL
    assert run.failed == 1 and run.deactivated == 2
    assert run.errors == [{"item": "ANNA", "error": "ValueError: bad row"}]


def test_runs_never_overlap(people):
    with job_lock(SyncRun.Kind.ERP_DIRECTORY):
        run = sync_directory()
    assert run.outcome == SyncRun.Outcome.SKIPPED
    assert User.objects.get(username="gone").is_active
    assert sync_directory().outcome == SyncRun.Outcome.SUCCESS


def test_a_run_left_running_by_a_dead_process_is_closed(people):
    dead = SyncRun.objects.create(kind=SyncRun.Kind.ERP_DIRECTORY, started_at=timezone.now())

    sync_directory()

    dead.refresh_from_db()
    assert dead.outcome == SyncRun.Outcome.FAILED and "interrupted" in dead.message


def test_the_task_runs_the_sync(people):
    result = erp_directory_sync.delay().get()
    run = SyncRun.objects.get(pk=result["run"])
    assert (run.trigger, run.outcome) == ("schedule", SyncRun.Outcome.SUCCESS)


def test_the_command_shows_progress_and_the_summary(people, capsys):
    call_command("erp_sync", "--full")
    out = capsys.readouterr().out
    assert "[##############################] 3/3 users" in out
    assert "updated 1, unchanged 0, deactivated 2, failed 0" in out


def test_the_command_fails_loudly_when_the_erp_is_down(people, fake_erp):
    fake_erp.set_down()
    with pytest.raises(CommandError, match="ERP unavailable"):
        call_command("erp_sync")


def test_the_schedule_is_declared_in_code_and_shown_in_the_admin(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "erp-directory-sync": {
            "task": "integrations.erp_directory_sync",
            "schedule": dt.timedelta(minutes=30),
        }
    }
    register_schedules()
    register_schedules()  # idempotent

    task = PeriodicTask.objects.get(name="erp-directory-sync")
    assert task.task == "integrations.erp_directory_sync"
    assert (task.interval.every, task.interval.period) == (1800, "seconds")
    assert task.enabled


# --- Admin tools -----------------------------------------------------------------------


def test_admin_test_connection_and_sync_now(client, admin, people, settings):
    settings.ERP_AUTH_ENABLED = True
    client.force_login(admin)
    changelist = client.get(reverse("admin:integrations_syncrun_changelist"))
    assert "erp-sync/" in changelist.content.decode()

    tested = client.post(reverse("admin:integrations_syncrun_erp_test"), follow=True)
    assert "fake" in tested.content.decode()

    client.post(reverse("admin:integrations_syncrun_erp_sync"))
    run = SyncRun.objects.get()
    assert run.outcome == SyncRun.Outcome.SUCCESS
    detail = client.get(reverse("admin:integrations_syncrun_change", args=[run.pk]))
    assert detail.status_code == 200


def test_admin_tools_refuse_get_and_non_superusers(client, admin, manager, people):
    client.force_login(admin)
    assert client.get(reverse("admin:integrations_syncrun_erp_sync")).status_code == 405
    client.force_login(manager)
    client.post(reverse("admin:integrations_syncrun_erp_sync"))
    assert not SyncRun.objects.exists()


def test_admin_test_connection_reports_the_error(client, admin, fake_erp):
    fake_erp.set_down("config")
    client.force_login(admin)
    response = client.post(reverse("admin:integrations_syncrun_erp_test"), follow=True)
    assert "ORA-01017" in response.content.decode()
