"""The Redmine sync against the real Redmine 5.0.4 of ``scripts/redmine-server.sh``.

The scenarios of the in-memory tests (``test_pull.py``, ``test_push.py``), this time over
HTTP to a real Redmine and, for the bulk import, its real MariaDB database (the ``redmine``
alias is Redmine's MariaDB in both passes, so that test is not marked ``mariadb``). Data
is made through Redmine's REST API with the admin's key, several issues at a time, in a
fresh project per test (``redmine_project``), deleted afterwards. The jobs find Redmine
through the settings, as in production (``get_client()`` is not replaced).
"""

import concurrent.futures
import contextlib
import datetime as dt
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import environ
import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import override_settings
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from integrations.models import (
    RedmineLink,
    RedminePriority,
    RedmineProject,
    RedminePush,
    RedmineStatus,
    RedmineUser,
    SyncRun,
)
from integrations.redmine import push
from integrations.redmine.importer import import_from_db
from integrations.redmine.links import linked_ticket
from integrations.redmine.pull import pull
from integrations.redmine.testing import project_payload
from integrations.runs import job_lock
from tickets import services
from tickets.models import Comment, Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status
from tickets.workflow import ensure_default_workflow

if TYPE_CHECKING:
    from helpdesk.testing.redmine import RedmineServer

pytestmark = [pytest.mark.redmine, pytest.mark.django_db]

HTTP_TIMEOUT = 60
SEED_WORKERS = 4
# How the Russian default data's statuses and priorities map by suggestion.
STATUS_CODES = {1: "new", 2: "in_progress", 3: "resolved", 4: "new", 5: "closed", 6: "resolved"}
PRIORITY_CODES = {1: "low", 2: "normal", 3: "high", 4: "urgent", 5: "immediate"}


# --- Redmine's side, through its REST API ----------------------------------------------


@dataclass
class Seed:
    """An issue to make: created, then (optionally) one update with notes and/or a new
    status. A private note with a status change makes two journals in Redmine."""

    subject: str
    description: str = ""
    priority_id: int = 2
    due_date: str | None = None
    status_id: int | None = None
    notes: str = ""
    private: bool = False

    @property
    def comments(self) -> list[tuple[str, bool]]:
        return [(self.notes, self.private)] if self.notes else []


def varied_seeds(count: int, prefix: str = "Задача") -> list[Seed]:
    """Every kind of history, by turns: none, a public note, a private note with a status
    change, a status change alone, a public note with a status change. Due dates lie a
    month ahead: Redmine starts an issue today and refuses a due date before its start."""
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    seeds = []
    for n in range(count):
        seed = Seed(
            subject=f"{prefix} {n}: не работает {('VPN', 'принтер', 'почта')[n % 3]}",
            description=f"Строка 1 задачи {n}\r\nСтрока 2" if n % 2 else "",
            priority_id=1 + n % 5,
            due_date=due if n % 7 == 0 else None,
        )
        target = 2 + (n // 8) % 5  # 2..6: every status but "Новая"
        kind = n % 8
        if kind == 1:
            seed.notes = f"Публичная заметка {n}"
        elif kind == 3:
            seed.notes, seed.private, seed.status_id = f"Внутренняя заметка {n}", True, target
        elif kind == 5:
            seed.status_id = target
        elif kind == 7:
            seed.notes, seed.status_id = f"Смотрю {n}", target
        seeds.append(seed)
    return seeds


class RedmineAPI:
    """Redmine's REST API with the admin's key; a session per thread."""

    def __init__(self, server: "RedmineServer") -> None:
        self.server = server
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        self._local.session.headers["X-Redmine-API-Key"] = self.server.api_key
        return self._local.session

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(
            method, f"{self.server.url}{path}", timeout=HTTP_TIMEOUT, **kwargs
        )
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response

    def issue(self, issue_id: int) -> dict:
        response = self.call("GET", f"/issues/{issue_id}.json", params={"include": "journals"})
        return response.json()["issue"]

    def issues(self, project_id: int) -> list[dict]:
        found, offset = [], 0
        while True:
            page = self.call(
                "GET",
                "/issues.json",
                params={"project_id": project_id, "status_id": "*", "limit": 100, "offset": offset},
            ).json()
            found += page["issues"]
            offset += 100
            if offset >= page["total_count"]:
                return found

    def update(self, issue_id: int, **fields: Any) -> None:
        self.call("PUT", f"/issues/{issue_id}.json", json={"issue": fields})

    def create(self, project_id: int, seed: Seed) -> int:
        fields = {
            "project_id": project_id,
            "subject": seed.subject,
            "description": seed.description,
            "priority_id": seed.priority_id,
        }
        if seed.due_date:
            fields["due_date"] = seed.due_date
        issue_id = self.call("POST", "/issues.json", json={"issue": fields}).json()["issue"]["id"]
        change: dict[str, object] = {}
        if seed.status_id:
            change["status_id"] = seed.status_id
        if seed.notes:
            change.update(notes=seed.notes, private_notes=seed.private)
        if change:
            self.update(issue_id, **change)
        return issue_id

    def seed(self, project_id: int, seeds: list[Seed]) -> dict[int, Seed]:
        """Make the issues, several at a time; returns them by Redmine id."""
        with concurrent.futures.ThreadPoolExecutor(SEED_WORKERS) as pool:
            ids = list(pool.map(lambda seed: self.create(project_id, seed), seeds))
        return dict(zip(ids, seeds, strict=True))

    def project(self, name: str) -> dict:
        trackers = self.call("GET", "/trackers.json").json()["trackers"]
        payload = project_payload(name, trackers)
        return self.call("POST", "/projects.json", json=payload).json()["project"]


@pytest.fixture
def api(redmine_server) -> RedmineAPI:
    return RedmineAPI(redmine_server)


@pytest.fixture
def other_project(api, redmine_server):
    """A second Redmine project that no queue is mapped to."""
    project = api.project("Архив")
    yield project
    if redmine_server.stopped:
        redmine_server.start()
    with contextlib.suppress(requests.RequestException):
        api.session.delete(
            f"{redmine_server.url}/projects/{project['id']}.json", timeout=HTTP_TIMEOUT
        )


# --- our side ---------------------------------------------------------------------------


@pytest.fixture
def sync_on(settings, redmine_server):
    """The sync switched on against the real Redmine, through the settings."""
    settings.REDMINE_URL = redmine_server.url
    settings.REDMINE_API_KEY = redmine_server.api_key
    settings.REDMINE_SYNC_ENABLED = True
    return settings


@pytest.fixture
def mapped(sync_on, redmine_project, agent) -> RedmineProject:
    """``redmine_project`` ↔ a queue the agent works in, both ways."""
    ensure_default_workflow()
    queue = QueueFactory(name="Redmine", key_prefix="RM", members=[agent])
    return RedmineProject.objects.create(
        redmine_id=redmine_project["id"], name=redmine_project["name"], queue=queue
    )


def counts(run: SyncRun) -> tuple:
    return run.outcome, run.created, run.updated, run.unchanged, run.failed


def comments_of(ticket: Ticket) -> list[tuple[str, bool]]:
    return [(c.body, c.is_internal) for c in ticket.comments.order_by("created_at", "pk")]


def snapshot(project: RedmineProject) -> dict[int, dict]:
    """Every linked ticket of the project as the sync made it, by Redmine issue id."""
    links = RedmineLink.objects.filter(project_id=project.redmine_id).select_related(
        "ticket__status", "ticket__priority", "ticket__requester", "ticket__assignee"
    )
    found = {}
    for link in links:
        ticket = linked_ticket(link)
        found[link.issue_id] = {
            "title": ticket.title,
            "description": ticket.description,
            "status": ticket.status.code,
            "priority": ticket.priority.code,
            "requester": ticket.requester.username,
            "assignee": ticket.assignee.username if ticket.assignee else None,
            "due_date": ticket.due_date,
            "created_at": ticket.created_at,
            "comments": [
                (c.body, c.is_internal, c.created_at, c.author_id)
                for c in ticket.comments.order_by("created_at", "pk")
            ],
            "last_journal_id": link.last_journal_id,
            "synced_state": link.synced_state,
        }
    return found


# --- a. the first pull -------------------------------------------------------------------


def test_first_pull_of_300_issues_with_journals(api, mapped, redmine_project):
    started = time.monotonic()
    seeded = api.seed(redmine_project["id"], varied_seeds(300))
    seeding = time.monotonic() - started

    started = time.monotonic()
    run = pull()
    pulling = time.monotonic() - started
    print(f"\nseeding 300 issues: {seeding:.1f} s; first pull: {pulling:.1f} s")

    assert counts(run) == ("success", 300, 0, 0, 0), run.errors or run.message
    listed = {issue["id"]: issue for issue in api.issues(redmine_project["id"])}
    assert set(listed) == set(seeded)
    links = RedmineLink.objects.filter(project_id=redmine_project["id"]).select_related(
        "ticket__status", "ticket__priority"
    )
    assert sorted(link.issue_id for link in links) == sorted(seeded)
    assert Ticket.objects.filter(queue=mapped.queue).count() == 300
    # Statuses and priorities are matched on Redmine's ids (names only suggested them).
    statuses = dict(RedmineStatus.objects.values_list("redmine_id", "status__code"))
    assert statuses == STATUS_CODES
    priorities = dict(RedminePriority.objects.values_list("redmine_id", "priority__code"))
    assert priorities == PRIORITY_CODES
    for link in links:
        issue, seed = listed[link.issue_id], seeded[link.issue_id]
        ticket = linked_ticket(link)
        assert ticket.title == seed.subject
        assert ticket.description == seed.description.replace("\r\n", "\n")
        assert issue["status"]["id"] == (seed.status_id or 1)
        assert ticket.status.code == STATUS_CODES[issue["status"]["id"]], link.issue_id
        assert ticket.priority.code == PRIORITY_CODES[seed.priority_id], link.issue_id
        assert ticket.due_date == (dt.date.fromisoformat(seed.due_date) if seed.due_date else None)
        assert comments_of(ticket) == seed.comments, link.issue_id
    assert Comment.objects.filter(ticket__queue=mapped.queue, is_internal=True).count() == sum(
        1 for seed in seeded.values() if seed.private
    )


# --- b. an incremental pull ----------------------------------------------------------------


def test_incremental_pull_brings_only_the_changes(api, mapped, redmine_project):
    seeded = api.seed(redmine_project["id"], varied_seeds(10))
    assert pull().created == 10
    first, second, third, *_ = sorted(seeded)
    api.update(first, status_id=5)
    api.update(second, notes="Заменили картридж")
    api.update(third, status_id=2, notes="Только для своих", private_notes=True)

    run = pull()

    assert counts(run) == ("success", 0, 3, 7, 0), run.errors or run.message
    ticket = linked_ticket(RedmineLink.objects.get(issue_id=first))
    assert ticket.status.code == "closed"
    assert ticket.events.filter(field="status", source="redmine").exists()
    ticket = linked_ticket(RedmineLink.objects.get(issue_id=second))
    assert comments_of(ticket)[-1] == ("Заменили картридж", False)
    ticket = linked_ticket(RedmineLink.objects.get(issue_id=third))
    assert ticket.status.code == "in_progress"
    assert comments_of(ticket)[-1] == ("Только для своих", True)
    assert Comment.objects.filter(ticket__queue=mapped.queue).count() == 2 + sum(
        len(seed.comments) for seed in seeded.values()
    )


def test_the_list_is_asked_for_changes_since_the_cursor_only(
    api, mapped, redmine_project, settings
):
    # With the default overlap (2 minutes) every issue a test makes is listed again; with
    # 1 s, what is listed shows that Redmine applies ``updated_on>=...Z`` to the second.
    settings.REDMINE_SYNC_OVERLAP_SECONDS = 1
    old = api.seed(redmine_project["id"], [Seed(f"Старая {n}") for n in range(4)])
    time.sleep(2.5)
    api.seed(redmine_project["id"], [Seed("Новая")])  # the cursor is its updated_on
    assert pull().created == 5
    time.sleep(1.5)
    changed = sorted(old)[:2]
    for issue_id in changed:
        api.update(issue_id, notes="Новая заметка")

    run = pull()

    # The two changed issues, and the newest one (within the overlap): not the other two.
    assert counts(run) == ("success", 0, 2, 1, 0), run.errors or run.message


# --- c. push ------------------------------------------------------------------------------


def test_local_changes_reach_redmine_and_do_not_come_back(
    api, mapped, redmine_project, agent, django_capture_on_commit_callbacks
):
    (issue_id,) = api.seed(redmine_project["id"], [Seed("Сломался сервер")])
    pull()
    ticket = linked_ticket(RedmineLink.objects.get(issue_id=issue_id))

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=agent, ticket=ticket, body="Публичный ответ")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            actor=agent, ticket=ticket, body="Внутренняя заметка", is_internal=True
        )

    pushes = list(RedminePush.objects.values_list("state", "last_error"))
    assert pushes == [("sent", "")] * 3
    issue = api.issue(issue_id)
    assert issue["status"]["id"] == 2  # "В работе"
    notes = [(j["notes"], j["private_notes"]) for j in issue["journals"] if j["notes"]]
    assert len(notes) == 2
    assert "Публичный ответ" in notes[0][0] and notes[0][1] is False
    assert "Внутренняя заметка" in notes[1][0] and notes[1][1] is True
    comments, events = Comment.objects.count(), TicketEvent.objects.count()

    run = pull()

    assert counts(run)[:3] == ("success", 0, 0), run.errors or run.message
    assert Comment.objects.count() == comments  # our notes are not pulled back
    assert TicketEvent.objects.count() == events
    ticket.refresh_from_db()
    assert ticket.status.code == "in_progress"


# --- d. idempotence -----------------------------------------------------------------------


def test_pulling_twice_changes_nothing_the_second_time(api, mapped, redmine_project):
    api.seed(redmine_project["id"], varied_seeds(8))
    assert pull().created == 8
    before = snapshot(mapped)
    rows = (Ticket.objects.count(), Comment.objects.count(), TicketEvent.objects.count())

    run = pull()

    assert counts(run) == ("success", 0, 0, 8, 0), run.errors or run.message
    assert (Ticket.objects.count(), Comment.objects.count(), TicketEvent.objects.count()) == rows
    assert snapshot(mapped) == before


# --- e. Redmine going away in the middle of a run ------------------------------------------


def test_redmine_stopped_mid_run_fails_it_and_the_next_run_completes(
    api, mapped, redmine_project, redmine_server
):
    seeds = [Seed(f"Задача {n}", notes=f"Заметка {n}", private=n % 2 == 1) for n in range(20)]
    seeded = api.seed(redmine_project["id"], seeds)

    def stop_after_eight(done, total):
        if done == 8 and not redmine_server.stopped:
            redmine_server.stop()

    run = pull(progress=stop_after_eight)

    assert run.outcome == "failed"
    assert "Redmine" in run.message and "reached" in run.message, run.message
    assert 8 <= Ticket.objects.count() < 20
    redmine_server.start()

    run = pull()

    assert run.outcome == "success", run.errors or run.message
    assert run.created == 20 - 8 and run.failed == 0
    links = list(RedmineLink.objects.select_related("ticket"))
    assert sorted(link.issue_id for link in links) == sorted(seeded)  # no duplicates
    assert Ticket.objects.count() == 20
    for link in links:
        assert comments_of(linked_ticket(link)) == seeded[link.issue_id].comments


# --- f. two runs at once ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_together_one_is_skipped(api, mapped, redmine_project):
    api.seed(redmine_project["id"], [Seed(f"Задача {n}") for n in range(4)])
    start = threading.Barrier(2)
    skipped = threading.Event()
    runs = []

    def hold(done, total):
        # The run that got the lock waits here until the other one has given up.
        skipped.wait(30)

    def one_run():
        try:
            start.wait(10)
            run = pull(progress=hold)
            runs.append(run)
            if run.outcome == SyncRun.Outcome.SKIPPED:
                skipped.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(run.outcome for run in runs) == ["skipped", "success"]
    assert skipped.is_set()
    assert Ticket.objects.count() == 4
    assert RedmineLink.objects.count() == 4


def test_a_run_while_another_holds_the_lock_is_skipped(api, mapped, redmine_project):
    api.seed(redmine_project["id"], [Seed("Задача")])
    with job_lock(SyncRun.Kind.REDMINE_PULL):
        run = pull()
    assert run.outcome == "skipped"
    assert not Ticket.objects.exists()


# --- g. escalation ----------------------------------------------------------------------


def test_escalation_creates_the_issue_in_the_mapped_project(api, mapped, redmine_project, agent):
    ticket = TicketFactory(queue=mapped.queue, title="Эскалация: упал коммутатор 🔥")

    link = push.escalate(ticket, actor=agent)

    assert link.ticket == ticket
    assert RedmineLink.objects.get(ticket=ticket).issue_id == link.issue_id
    issue = api.issue(link.issue_id)
    assert issue["subject"] == "Эскалация: упал коммутатор 🔥"
    assert issue["project"]["id"] == redmine_project["id"]
    assert issue["description"].replace("\r\n", "\n") == (
        f"{ticket.description}\n\n---\nHelpdesk {ticket.key}: {ticket.get_absolute_url()}"
    )
    assert ticket.events.filter(field="redmine_linked", new_value=str(link.issue_id)).exists()
    # The next pull takes the issue as the ticket's, not as a new one.
    run = pull()
    assert run.created == 0, run.errors or run.message
    assert Ticket.objects.count() == 1


def test_escalation_gives_the_issue_the_tickets_status_and_priority(
    api, mapped, redmine_project, agent
):
    ticket = TicketFactory(queue=mapped.queue, title="Эскалация в работе")
    services.ticket_update(actor=agent, ticket=ticket, priority=priority("high"))
    ticket = services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))

    link = push.escalate(ticket, actor=agent)

    issue = api.issue(link.issue_id)
    assert issue["priority"]["id"] == 3  # "Высокий"
    # Redmine 5 ignores status_id when it creates an issue (the new-issue workflow
    # allows only the initial status): the issue is "Новая" although the ticket is "В работе".
    assert issue["status"]["id"] == 2, "the escalated issue does not have the ticket's status"


# --- h. the bulk import from Redmine's database ------------------------------------------


@contextlib.contextmanager
def redmine_database(url: str):
    """The ``redmine`` alias on Redmine's MariaDB for the length of the block.

    The alias is not in the test settings, so pytest-django creates no test database for
    it. Its connection is made here and handed to ``connections`` directly, and only
    ``settings.DATABASES`` (what the importer looks at) names it: Django's test case
    refuses connections to aliases of ``connections.settings`` it was not told about,
    and allows ones created on the fly.
    """
    config = environ.Env.db_url_config(url)
    config.setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET SESSION TRANSACTION READ ONLY"}
    )
    config = connections.configure_settings({"default": {}, "redmine": config})["redmine"]
    wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, "redmine")
    try:
        wrapper.ensure_connection()
    except Exception as exc:
        pytest.skip(f"Redmine's database {url} cannot be read: {exc}")
    connections["redmine"] = wrapper
    databases = {**django_settings.DATABASES, "redmine": config}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Overriding setting DATABASES")
            with override_settings(DATABASES=databases):
                yield wrapper
    finally:
        wrapper.close()
        del connections["redmine"]


def test_import_from_redmines_database_gives_what_the_rest_pull_gives(
    api, mapped, redmine_project, redmine_server
):
    seeds = varied_seeds(16, prefix="Импорт")
    seeds += [
        Seed("Очень длинная тема " * 13, description="Первая\r\nвторая\r\n\r\nтретья"),
        Seed("Принтер 🖨️ не печатает 😱", notes="Эмодзи 👍 в заметке"),
    ]
    seeded = api.seed(redmine_project["id"], seeds)
    project_id = redmine_project["id"]

    assert pull().created == len(seeded)
    by_rest = snapshot(mapped)
    # Something to compare: public and internal comments, several statuses, a long title.
    assert {c[1] for ticket in by_rest.values() for c in ticket["comments"]} == {False, True}
    assert {ticket["status"] for ticket in by_rest.values()} >= {"new", "in_progress", "resolved"}
    assert any(ticket["title"].endswith("…") for ticket in by_rest.values())
    # A fresh Helpdesk: no tickets, no links (not even their tombstones).
    Ticket.objects.filter(redmine_link__project_id=project_id).delete()
    RedmineLink.objects.filter(project_id=project_id).delete()
    RedmineProject.objects.filter(pk=mapped.pk).update(
        cursor=None, ids_checked_at=None, backlog_done=False
    )

    with redmine_database(redmine_server.database_url):
        run = import_from_db(project_id=project_id)
        with connections["redmine"].cursor() as cursor:
            # The cursor is the moment the import began by the Redmine database's clock.
            cursor.execute("SELECT UTC_TIMESTAMP()")
            (redmine_now,) = cursor.fetchone()

    assert counts(run) == ("success", len(seeded), 0, 0, 0), run.errors or run.message
    by_database = snapshot(mapped)
    assert set(by_database) == set(by_rest) == set(seeded)
    for issue_id, rest in by_rest.items():
        assert by_database[issue_id] == rest, issue_id
    mapped.refresh_from_db()
    assert mapped.cursor is not None
    began = mapped.cursor.astimezone(dt.UTC).replace(tzinfo=None)  # UTC_TIMESTAMP is naive
    assert redmine_now - dt.timedelta(minutes=5) < began <= redmine_now
    comments = Comment.objects.count()

    run = pull()

    assert counts(run)[:3] == ("success", 0, 0), run.errors or run.message
    assert Comment.objects.count() == comments


def test_an_issue_the_import_could_not_apply_is_read_again_by_the_rest_pull(
    api, mapped, redmine_project, redmine_server, monkeypatch, settings
):
    from integrations.redmine import importer

    seeded = api.seed(redmine_project["id"], varied_seeds(4, prefix="Сбой"))
    bad = min(seeded)
    real = importer.apply_issue

    def flaky(issue, *args):
        if issue["id"] == bad:
            raise ValueError("broken issue")
        return real(issue, *args)

    monkeypatch.setattr(importer, "apply_issue", flaky)
    time.sleep(1.5)  # the import starts well after the last change
    with redmine_database(redmine_server.database_url):
        run = import_from_db(project_id=redmine_project["id"])
    assert (run.outcome, run.created, run.failed) == ("partial", 3, 1)

    monkeypatch.setattr(importer, "apply_issue", real)
    settings.REDMINE_SYNC_OVERLAP_SECONDS = 0  # only the cursor brings the failed one back
    run = pull()

    assert (run.outcome, run.created) == ("success", 1), run.errors or run.message
    assert Ticket.objects.filter(queue=mapped.queue).count() == 4


# --- Redmine's own ways: deleted and moved issues ------------------------------------


def test_deleted_and_moved_issues_are_unlinked_with_a_history_entry(
    api, mapped, redmine_project, other_project
):
    seeded = api.seed(redmine_project["id"], [Seed("Удалят"), Seed("Переедет"), Seed("Останется")])
    ids = {seed.subject: issue_id for issue_id, seed in seeded.items()}
    deleted, moved, kept = ids["Удалят"], ids["Переедет"], ids["Останется"]
    assert pull().created == 3
    api.call("DELETE", f"/issues/{deleted}.json")
    api.update(moved, project_id=other_project["id"])

    run = pull(full=True)

    assert run.outcome == "success", run.errors or run.message
    assert run.deactivated == 2
    active = RedmineLink.objects.filter(unlinked_at=None)
    assert list(active.values_list("issue_id", flat=True)) == [kept]
    entry = TicketEvent.objects.get(field="redmine_deleted")
    assert entry.old_value == str(deleted) and entry.source == "redmine"
    assert entry.ticket.title == "Удалят"
    entry = TicketEvent.objects.get(field="redmine_moved")
    assert entry.old_value == str(moved)
    assert entry.new_value == other_project["name"]
    assert Ticket.objects.count() == 3  # the tickets stay


# --- issues that leave and come back, pushes that would go astray, refused assignees ---


def test_an_issue_moved_out_and_back_is_synced_again(api, mapped, redmine_project, other_project):
    (issue_id,) = api.seed(redmine_project["id"], [Seed("Уедет и вернётся")])
    pull()
    api.update(issue_id, project_id=other_project["id"])
    assert pull(full=True).deactivated == 1
    api.update(issue_id, project_id=redmine_project["id"])
    api.update(issue_id, notes="Вернулась")

    run = pull(full=True)

    assert run.outcome == "success", run.errors or run.message
    link = RedmineLink.objects.get()
    assert link.active
    assert comments_of(linked_ticket(link)) == [("Вернулась", False)]
    assert linked_ticket(link).events.filter(field="redmine_relinked").exists()


def test_a_push_to_an_issue_moved_away_writes_nothing_there(
    api, mapped, redmine_project, other_project, agent, django_capture_on_commit_callbacks
):
    (issue_id,) = api.seed(redmine_project["id"], [Seed("Переедет в песочницу")])
    pull()
    ticket = Ticket.objects.get()
    api.update(issue_id, project_id=other_project["id"])  # no pull since

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=agent, ticket=ticket, body="Внутреннее", is_internal=True)

    assert [j for j in api.issue(issue_id)["journals"] if j.get("notes")] == []
    push = RedminePush.objects.get()
    assert push.state == RedminePush.State.FAILED
    assert "which is not synced" in push.last_error


def test_closed_issues_keep_redmines_closing_time(api, mapped, redmine_project):
    (issue_id,) = api.seed(redmine_project["id"], [Seed("Закрыта", status_id=5)])
    closed_on = api.issue(issue_id)["closed_on"]
    assert closed_on

    pull()

    ticket = Ticket.objects.get()
    assert ticket.closed_at == dt.datetime.fromisoformat(closed_on.replace("Z", "+00:00"))


def test_private_issues_stay_in_redmine_by_default(api, mapped, redmine_project):
    fields = {"project_id": redmine_project["id"], "subject": "Зарплаты", "is_private": True}
    private = api.call("POST", "/issues.json", json={"issue": fields}).json()["issue"]
    assert private["is_private"] is True
    api.seed(redmine_project["id"], [Seed("Принтер")])

    pull()

    assert list(Ticket.objects.values_list("title", flat=True)) == ["Принтер"]


def test_an_assignee_outside_the_redmine_project_is_warned_of_and_the_refusal_shows(
    api, mapped, redmine_project, agent, client, django_capture_on_commit_callbacks
):
    login = f"rm{uuid.uuid4().hex[:8]}"
    user = api.call(
        "POST",
        "/users.json",
        json={"user": {"login": login, "firstname": "Пётр", "lastname": "Петров",
                       "mail": f"{login}@example.com", "password": "not-used-123"}},
    ).json()["user"]  # fmt: skip
    try:
        outsider = UserFactory(username=login, roles=[Role.AGENT])
        RedmineUser.objects.create(redmine_id=user["id"], login=login, user=outsider)
        api.seed(redmine_project["id"], [Seed("Кому назначить?")])

        pull()

        mapped.refresh_from_db()
        assert mapped.assignable_ids is not None
        assert user["id"] not in mapped.assignable_ids
        ticket = Ticket.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_update(actor=agent, ticket=ticket, assignee=outsider)
        push = RedminePush.objects.get()
        assert push.state == RedminePush.State.FAILED
        assert "invalid" in push.last_error.lower() or "неверн" in push.last_error.lower()
        client.force_login(agent)
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert 'data-testid="redmine-failed-pushes"' in page
        assert 'data-testid="redmine-assignee-outside"' in page
    finally:
        api.session.delete(f"{api.server.url}/users/{user['id']}.json", timeout=HTTP_TIMEOUT)
