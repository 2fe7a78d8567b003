"""Pull (I1): Redmine issues of mapped projects become tickets and stay in step.

A run takes the job's lock, reads each pulling project's issues updated since its cursor
minus an overlap (Redmine's ``updated_on>=`` is second-precise), oldest change first, and
applies each changed issue in its own transaction through ``tickets.services`` with
source ``redmine``: fields, then journals as comments (private notes as internal ones).
One failing issue is recorded and skipped, and the cursor stops before it; an unreachable
Redmine fails the run and keeps the cursor where the last whole issue left it. Running it
twice changes nothing the second time.

Deleted issues vanish from every list, so a project's full list of ids is compared with
the links now and then (``REDMINE_DELETED_CHECK_MINUTES``, and on every ``--full`` run).
"""

import datetime as dt
import logging
import re
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from integrations.models import RedmineLink, RedmineProject, RedminePush, SyncRun
from integrations.redmine import client as redmine_client
from integrations.redmine.client import (
    RedmineClient,
    RedmineError,
    RedmineForbidden,
    RedmineNotFound,
    RedmineRefused,
    RedmineUnavailable,
    parse_time,
)
from integrations.redmine.links import linked_ticket, unlink
from integrations.redmine.mapping import Mappings, own_user
from integrations.redmine.state import (
    FIELDS,
    comment_notes,
    local_state,
    raw_local,
    remote_state,
    text,
    title_of,
)
from integrations.runs import STOPS, RunAborted, RunRecorder, run_job
from tickets import services, signals
from tickets.models import Priority, Source, Status, Ticket

log = logging.getLogger(__name__)

KIND = SyncRun.Kind.REDMINE_PULL
Progress = Callable[[int, int], None]
OWN_JOURNALS_KEPT = 50


def _local_value(
    field: str, remote: dict, issue: dict, maps: Mappings
) -> Status | Priority | User | str | dt.date | None:
    if field == "status":
        return maps.status(issue["status"])
    if field == "priority":
        return maps.priority(issue["priority"])
    if field == "assignee":
        return maps.assignee(issue.get("assigned_to"))
    if field == "subject":
        return title_of(remote["subject"])
    if field == "due_date":
        return _due_date(remote)
    return remote[field]


def _due_date(remote: dict) -> dt.date | None:
    return dt.date.fromisoformat(remote["due_date"]) if remote["due_date"] else None


# Escalation writes this line into the issues it creates (see push.escalate).
ESCALATED = re.compile(r"^Helpdesk ([A-Z][A-Z0-9]{0,9}-\d+): ", re.MULTILINE)


def _escalated_ticket(remote: dict) -> Ticket | None:
    """The unlinked ticket an escalation made this issue from: the escalation had not
    saved its link yet (a pull ran in between, or saving failed after Redmine made it)."""
    found = ESCALATED.search(remote["description"])
    if found is None:
        return None
    return Ticket.objects.filter(key=found.group(1), redmine_link__isnull=True).first()


def _create(issue: dict, project: RedmineProject, maps: Mappings) -> RedmineLink:
    remote = remote_state(issue)
    escalated = _escalated_ticket(remote)
    if escalated is not None:
        return RedmineLink.objects.create(
            ticket=escalated,
            issue_id=issue["id"],
            project_id=issue["project"]["id"],
            synced_state=remote,
        )
    ticket = services.ticket_create(
        actor=None,
        queue=project.queue,
        title=title_of(remote["subject"]) or f"Redmine #{issue['id']}",
        description=remote["description"],
        requester=maps.requester(issue.get("author")),
        assignee=maps.assignee(issue.get("assigned_to")),
        priority=maps.priority(issue["priority"]),
        status=maps.status(issue["status"]),
        due_date=_due_date(remote),
        source=Source.REDMINE,
        created_at=parse_time(issue.get("created_on")),
        closed_at=parse_time(issue.get("closed_on")),
        default_assignee=False,
    )
    return RedmineLink.objects.create(
        ticket=ticket, issue_id=issue["id"], project_id=issue["project"]["id"], synced_state={}
    )


def _update(link: RedmineLink, issue: dict, project: RedmineProject, maps: Mappings) -> bool:
    """Bring the ticket in line with the issue; True when a field changed."""
    ticket = linked_ticket(link)
    remote, synced = remote_state(issue), link.synced_state
    local = local_state(ticket, maps, synced)
    changes: dict[str, Any] = {}  # ticket field → value, as ticket_update takes them
    conflicts: list[tuple[str, str]] = []
    for field, name in FIELDS.items():
        if remote[field] == synced.get(field):
            continue  # Redmine did not change it; a local change is for the push.
        if local[field] not in (synced.get(field), remote[field]):
            conflicts.append((field, raw_local(ticket, field)))
        changes[name] = _local_value(field, remote, issue, maps)
    if issue["project"]["id"] != link.project_id:
        changes["queue"] = project.queue
        link.project_id = issue["project"]["id"]
    if changes:
        ticket = services.ticket_update(
            actor=None,
            ticket=ticket,
            source=Source.REDMINE,
            closed_at=parse_time(issue.get("closed_on")),
            **changes,
        )
    for field, overwritten in conflicts:
        kept = raw_local(ticket, field)
        if kept != overwritten:
            services.history_add(
                ticket=ticket,
                field=f"conflict_{field}",
                old_value=overwritten,
                new_value=kept,
                source=Source.REDMINE,
            )
    return bool(changes)


def _pushed_notes(link: RedmineLink) -> set[str]:
    """The notes of this link's comment pushes (sent, or being sent right now)."""
    pushes = RedminePush.objects.filter(link=link, comment__isnull=False).select_related(
        "comment__author"
    )
    return {comment_notes(push.comment).strip() for push in pushes}


def _journals(link: RedmineLink, issue: dict, maps: Mappings) -> int:
    """Journals after the last pulled one become comments; returns how many."""
    added = 0
    own = set(link.own_journal_ids)
    pushed = None
    for journal in sorted(issue.get("journals", []), key=lambda j: j["id"]):
        if journal["id"] <= link.last_journal_id:
            continue
        link.last_journal_id = journal["id"]
        # Our own pushes come back as journals; change-only journals have no notes.
        notes = text(journal.get("notes")).strip()
        if journal["id"] in own or not notes:
            continue
        if maps.me is not None and (journal.get("user") or {}).get("id") == maps.me:
            # Written with our key: a push whose journal is not remembered yet (sent a
            # moment ago, or sent again after a failure) is still ours.
            pushed = _pushed_notes(link) if pushed is None else pushed
            if notes in pushed:
                continue
        services.comment_add(
            actor=None,
            ticket=linked_ticket(link),
            body=notes,
            is_internal=bool(journal.get("private_notes")),
            source=Source.REDMINE,
            author=maps.user(journal.get("user")),
            created_at=parse_time(journal.get("created_on")),
        )
        added += 1
    link.own_journal_ids = [i for i in link.own_journal_ids if i > link.last_journal_id][
        -OWN_JOURNALS_KEPT:
    ]
    return added


@transaction.atomic
def apply_issue(issue: dict, project: RedmineProject, maps: Mappings) -> str:
    """Create or update the ticket of one issue (fetched with its journals); returns the
    counter it goes to: created, updated or unchanged."""
    link = (
        RedmineLink.objects.select_for_update()
        .select_related("ticket")
        .filter(issue_id=issue["id"])
        .first()
    )
    if link is not None and link.ticket_id is None:
        return "unchanged"  # a tombstone: the ticket was deleted here (see RedmineLink)
    if issue.get("is_private") and not project.imports_private:
        if link is not None and link.active:
            unlink(link, "private")
            return "deactivated"
        return "unchanged"
    if link is not None and link.unlinked_at is not None:
        _relink(link, issue)
    if link is None:
        link = _create(issue, project, maps)
        outcome = "created"
    else:
        outcome = "updated" if _update(link, issue, project, maps) else "unchanged"
    if _journals(link, issue, maps) and outcome == "unchanged":
        outcome = "updated"
    link.remote_updated_on = parse_time(issue.get("updated_on"))
    link.synced_state = remote_state(issue)
    link.synced_at = timezone.now()
    link.save()
    return outcome


def _relink(link: RedmineLink, issue: dict) -> None:
    """The issue of an unlinked ticket is synced again (moved back into a mapped project,
    visible again, public again): the ticket follows it from here on."""
    services.history_add(
        ticket=linked_ticket(link),
        field="redmine_relinked",
        old_value=str(link.issue_id),
        new_value=issue["project"].get("name", ""),
        source=Source.REDMINE,
    )
    link.unlinked_at = None


def _updated_on(listed: dict) -> dt.datetime:
    """A listed issue's ``updated_on``: what the list is sorted and the cursor set by."""
    updated = parse_time(listed.get("updated_on"))
    if updated is None:
        # JSON, but not what Redmine gives (the client's rule for such answers).
        raise RedmineUnavailable(f"Redmine listed issue #{listed['id']} without updated_on")
    return updated


class _Run:
    def __init__(
        self, recorder: RunRecorder, client: RedmineClient, progress: Progress | None
    ) -> None:
        self.recorder = recorder
        self.client = client
        self.progress = progress
        self.maps = Mappings.complete(client)
        self.maps.me = own_user(client)["id"]
        self.projects = {
            p.redmine_id: p
            for p in RedmineProject.objects.filter(is_active=True).select_related("queue")
        }
        self.done = 0
        self.total = 0
        self.overlap = dt.timedelta(seconds=settings.REDMINE_SYNC_OVERLAP_SECONDS)

    def tick(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)

    def pull_project(self, project: RedmineProject, *, full: bool) -> None:
        since = None if full or project.cursor is None else project.cursor - self.overlap
        try:
            self._pull_project(project, since)
        except RedmineRefused as exc:
            self._refused(project, exc)

    def _refused(self, project: RedmineProject, exc: RedmineRefused) -> None:
        """An archived or deleted project, a key that lost access to it: recorded, and
        the other projects go on. A refused key stops the run."""
        if exc.status == 401:
            raise exc
        self.recorder.error(f"project {project.redmine_id}", exc.message)

    def _pull_project(self, project: RedmineProject, since: dt.datetime | None) -> None:
        listed = {
            issue["id"]: issue
            for issue in self.client.issues(project.redmine_id, updated_since=since)
        }
        issues = sorted(listed.values(), key=lambda i: (i["updated_on"], i["id"]))
        links = {
            link.issue_id: link
            for link in RedmineLink.objects.filter(issue_id__in=list(listed)).only(
                "issue_id",
                "project_id",
                "remote_updated_on",
                "synced_at",
                "ticket_id",
                "unlinked_at",
            )
        }
        self.total += len(issues)
        cursor, blocked, completed = project.cursor, False, False
        try:
            # Until the backlog has been read once, nobody is notified of old issues.
            with nullcontext() if project.backlog_done else signals.muted():
                for listed_issue in issues:
                    updated = _updated_on(listed_issue)
                    link = links.get(listed_issue["id"])
                    if not self._pull_one(listed_issue, updated, link, project):
                        if not blocked and cursor is not None:
                            # Read again from here (a full run may be behind the cursor).
                            cursor = min(cursor, updated - dt.timedelta(seconds=1))
                        blocked = True
                    if not blocked:
                        cursor = max(cursor or updated, updated)
                    self.tick()
            completed = True
        finally:
            done = project.backlog_done or (completed and not blocked)
            if cursor != project.cursor or done != project.backlog_done:
                project.cursor, project.backlog_done = cursor, done
                RedmineProject.objects.filter(pk=project.pk).update(
                    cursor=cursor, backlog_done=done
                )

    def _seen(self, link: RedmineLink, updated: dt.datetime, project_id: int) -> bool:
        """Already pulled as it is. ``updated_on`` is second-precise: a change within
        the second we read the issue in carries the same stamp, so a stamp read less
        than the overlap after it was written is not trusted."""
        if link.ticket_id is None:
            return True  # a tombstone
        if link.unlinked_at is not None:
            return False  # back in what we sync: read it again
        if link.remote_updated_on is None or link.project_id != project_id:
            return False
        if updated < link.remote_updated_on:
            return True
        settled = link.synced_at is not None and link.synced_at - updated > self.overlap
        return updated == link.remote_updated_on and settled

    def _pull_one(
        self,
        listed: dict,
        updated: dt.datetime,
        link: RedmineLink | None,
        project: RedmineProject,
    ) -> bool:
        """Apply one listed issue; False when it failed (recorded) and must be read again."""
        issue_id = listed["id"]
        if link is not None and self._seen(link, updated, listed["project"]["id"]):
            self.recorder.count("unchanged")
            return True
        try:
            issue = self.client.issue(issue_id)
            self.recorder.count(apply_issue(issue, project, self.maps))
        except (RedmineUnavailable, *STOPS):
            raise
        except RedmineNotFound:
            return True  # deleted since it was listed: the ids check unlinks it
        except Exception as exc:
            log.exception("pulling Redmine issue #%s failed", issue_id)
            self.recorder.error(f"#{issue_id}", f"{type(exc).__name__}: {exc}")
            return False
        return True

    def read_assignable(self, project: RedmineProject) -> None:
        """Who Redmine lets take the project's issues, for the ticket page's warning
        before an agent assigns someone Redmine would refuse."""
        try:
            assignable = sorted(self.client.assignable_user_ids(project.redmine_id))
        except RedmineRefused as exc:
            # A key that may not list members: no warnings, the push still says why.
            log.warning("members of Redmine project %s: %s", project.redmine_id, exc.message)
            assignable = None
        if assignable != project.assignable_ids:
            project.assignable_ids = assignable
            RedmineProject.objects.filter(pk=project.pk).update(assignable_ids=assignable)

    def check_gone(self, project: RedmineProject) -> None:
        """Links whose issue is no longer in the project: deleted, hidden or moved."""
        try:
            present = self.client.issue_ids(project.redmine_id)
        except RedmineRefused as exc:
            self._refused(project, exc)
            return
        linked = RedmineLink.objects.filter(
            project_id=project.redmine_id, unlinked_at__isnull=True, ticket__isnull=False
        ).select_related("ticket")
        for link in [link for link in linked if link.issue_id not in present]:
            try:
                self._gone(link, project)
            except (RedmineUnavailable, *STOPS):
                raise
            except Exception as exc:
                log.exception("checking Redmine issue #%s failed", link.issue_id)
                self.recorder.error(f"#{link.issue_id}", f"{type(exc).__name__}: {exc}")
        RedmineProject.objects.filter(pk=project.pk).update(ids_checked_at=timezone.now())

    def _gone(self, link: RedmineLink, project: RedmineProject) -> None:
        try:
            issue = self.client.issue(link.issue_id)
        except RedmineNotFound:
            unlink(link, "deleted")
        except RedmineForbidden:
            unlink(link, "hidden")
        else:
            moved_to = self.projects.get(issue["project"]["id"])
            if moved_to is not None and moved_to.pulls:
                self.recorder.count(apply_issue(issue, moved_to, self.maps))
                return
            if issue["project"]["id"] == project.redmine_id:
                return  # listed again by the next pull
            unlink(link, "moved", issue["project"].get("name", ""))
        self.recorder.count("deactivated")


def _due_for_ids_check(project: RedmineProject, full: bool) -> bool:
    if full or project.ids_checked_at is None:
        return True
    every = dt.timedelta(minutes=settings.REDMINE_DELETED_CHECK_MINUTES)
    return timezone.now() - project.ids_checked_at >= every


def _pull(
    recorder: RunRecorder, *, full: bool, project_id: int | None, progress: Progress | None
) -> None:
    from integrations.redmine.push import send_due

    try:
        client = redmine_client.get_client()
        run = _Run(recorder, client, progress)
        projects = [p for p in run.projects.values() if project_id in (None, p.redmine_id)]
        if project_id is not None and not projects:
            raise RunAborted(f"Redmine project {project_id} is not mapped to a queue")
        # Local changes still waiting (Redmine or the broker was down) go first.
        send_due()
        for project in projects:
            run.read_assignable(project)
            if project.pulls:
                run.pull_project(project, full=full)
        # Moves between projects are best seen once every project has been pulled.
        for project in projects:
            if _due_for_ids_check(project, full):
                run.check_gone(project)
    except RedmineError as exc:
        if exc.transient or exc.status in (401, 403) or exc.status is None:
            raise RunAborted(f"Redmine: {exc.message}") from exc
        raise


def pull(
    *,
    full: bool = False,
    project_id: int | None = None,
    trigger: str = "",
    progress: Progress | None = None,
) -> SyncRun:
    """Run the pull once and return its record (failed, not raised, when Redmine cannot
    be reached; skipped when another run is going on)."""
    return run_job(
        KIND,
        lambda recorder: _pull(recorder, full=full, project_id=project_id, progress=progress),
        trigger=trigger,
    )
