"""The first import of a large Redmine from its own database (I2), read-only.

Issues, journals, users, statuses and priorities are read from the ``redmine`` alias in
batches and applied by the very code the REST pull uses (``pull.apply_issue``), so both
paths give the same tickets. Each project's cursor is then set to the moment the import
began (Redmine's clock), and the REST pull takes over from there: whatever changed while
the import ran is read again, nothing is missed.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connections

from integrations.models import (
    RedmineProject,
    RmEmailAddress,
    RmEnumeration,
    RmIssue,
    RmIssueStatus,
    RmJournal,
    RmProject,
    RmUser,
    SyncRun,
)
from integrations.redmine import mapping
from integrations.redmine.client import format_time
from integrations.redmine.pull import apply_issue
from integrations.runs import STOPS, RunAborted, RunRecorder, job_lock, run_job
from tickets import signals

BATCH = 500
ALIAS = "redmine"
Progress = Callable[[int, int], None]


def _time(value: dt.datetime | None) -> str | None:
    return format_time(value) if value else None


def _named(rows: Iterable[RmProject]) -> dict[int, dict]:
    return {row.pk: {"id": row.pk, "name": row.name} for row in rows}


class _Reference:
    """Statuses, priorities, users and projects, read once."""

    def __init__(self) -> None:
        statuses = list(RmIssueStatus.objects.order_by("position", "id"))
        self.statuses = {
            s.pk: {"id": s.pk, "name": s.name, "is_closed": s.is_closed} for s in statuses
        }
        priorities = list(
            RmEnumeration.objects.filter(type="IssuePriority").order_by("position", "id")
        )
        self.priorities = {
            p.pk: {"id": p.pk, "name": p.name, "is_default": p.is_default} for p in priorities
        }
        self.projects = _named(RmProject.objects.all())
        mails = {row.user_id: row.address for row in RmEmailAddress.objects.filter(is_default=True)}
        self.users: dict[int, dict] = {}
        for user in RmUser.objects.all():
            name = f"{user.firstname} {user.lastname}".strip() or user.login
            self.users[user.pk] = {"id": user.pk, "name": name}
            if user.type == "User":
                mapping._user_row(
                    {
                        "id": user.pk,
                        "login": user.login,
                        "firstname": user.firstname,
                        "lastname": user.lastname,
                        "mail": mails.get(user.pk, ""),
                    }
                )

    def person(self, user_id: int | None) -> dict | None:
        if user_id is None:
            return None
        return self.users.get(user_id, {"id": user_id, "name": ""})


def _as_rest(issue: RmIssue, journals: list[RmJournal], ref: _Reference) -> dict:
    """An issue from the database in the shape the REST API gives it."""
    return {
        "id": issue.pk,
        "project": ref.projects.get(issue.project_id, {"id": issue.project_id, "name": ""}),
        "status": ref.statuses.get(issue.status_id, {"id": issue.status_id, "name": ""}),
        "priority": ref.priorities.get(issue.priority_id, {"id": issue.priority_id, "name": ""}),
        "author": ref.person(issue.author_id),
        "assigned_to": ref.person(issue.assigned_to_id),
        "subject": issue.subject,
        "description": issue.description,
        "due_date": issue.due_date.isoformat() if issue.due_date else None,
        "created_on": _time(issue.created_on),
        "updated_on": _time(issue.updated_on),
        "closed_on": _time(issue.closed_on),
        "is_private": issue.is_private,
        "journals": [
            {
                "id": journal.pk,
                "user": ref.person(journal.user_id),
                "notes": journal.notes,
                "private_notes": journal.private_notes,
                "created_on": _time(journal.created_on),
            }
            for journal in journals
        ],
    }


def _redmine_now() -> dt.datetime:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT UTC_TIMESTAMP()")
        return cursor.fetchone()[0]


def _import(recorder: RunRecorder, *, project_id: int | None, progress: Progress | None) -> None:
    if ALIAS not in settings.DATABASES:
        raise RunAborted("REDMINE_DATABASE_URL is not set: there is no Redmine database")
    projects = [
        p
        for p in RedmineProject.objects.filter(is_active=True).select_related("queue")
        if p.pulls and project_id in (None, p.redmine_id)
    ]
    if not projects:
        raise RunAborted("no active pulling project mapping to import")
    # One at a time with the REST pull: both write links and cursors.
    with job_lock(SyncRun.Kind.REDMINE_PULL):
        started = _redmine_now().replace(tzinfo=dt.UTC)
        ref = _Reference()
        maps = mapping.Mappings.load(client=None)
        for remote in ref.statuses.values():
            maps.status(remote)
        for remote in ref.priorities.values():
            maps.priority(remote, ref.priorities.values())
        issues = RmIssue.objects.filter(project_id__in=[p.redmine_id for p in projects])
        total, done = issues.count(), 0
        by_project = {p.redmine_id: p for p in projects}
        last_id = 0
        # The oldest change that failed, per project: the REST pull reads again from it.
        failed: dict[int, dt.datetime] = {}
        with signals.muted():
            while True:
                batch = list(issues.filter(pk__gt=last_id).order_by("pk")[:BATCH])
                if not batch:
                    break
                last_id = batch[-1].pk
                journals: defaultdict[int, list[RmJournal]] = defaultdict(list)
                for journal in RmJournal.objects.filter(
                    journalized_type="Issue", journalized_id__in=[i.pk for i in batch]
                ).order_by("pk"):
                    journals[journal.journalized_id].append(journal)
                for issue in batch:
                    try:
                        outcome = apply_issue(
                            _as_rest(issue, journals[issue.pk], ref),
                            by_project[issue.project_id],
                            maps,
                        )
                        recorder.count(outcome)
                    except STOPS:
                        raise
                    except Exception as exc:
                        recorder.error(f"#{issue.pk}", f"{type(exc).__name__}: {exc}")
                        changed = (issue.updated_on or started).replace(tzinfo=dt.UTC)
                        earliest = failed.get(issue.project_id, changed)
                        failed[issue.project_id] = min(earliest, changed)
                    done += 1
                    if progress:
                        progress(done, total)
        for project in projects:
            cursor = started
            if project.redmine_id in failed:
                cursor = min(started, failed[project.redmine_id] - dt.timedelta(seconds=1))
            if project.cursor is None or project.cursor < cursor:
                RedmineProject.objects.filter(pk=project.pk).update(
                    cursor=cursor, backlog_done=True
                )


def import_from_db(
    *, project_id: int | None = None, trigger: str = "", progress: Progress | None = None
) -> SyncRun:
    return run_job(
        SyncRun.Kind.REDMINE_IMPORT,
        lambda recorder: _import(recorder, project_id=project_id, progress=progress),
        trigger=trigger,
    )
