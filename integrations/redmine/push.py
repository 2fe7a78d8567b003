"""Push (I1): local changes of linked tickets go to Redmine, and escalation.

A change of status, priority or assignee, and every comment, on a linked ticket of a
pushing project writes a ``RedminePush`` row in the change's own transaction (through
``tickets.signals.change_recorded``); once it commits a Celery task sends it. Sending
claims the row first, so a retry, a second worker or the sweep never sends it twice.
Redmine down: the row waits and is retried with backoff (the pull job also sends what is
due); refused: it is marked failed with Redmine's reason and can be retried from the
admin. Changes that came from the pull (source ``redmine``) are never pushed back, and
the journals Redmine writes for our pushes are remembered so the pull skips them.

Conflicts follow the pull's rule: a field Redmine changed since the last sync is not
overwritten; the next pull keeps Redmine's value and records what it replaced.
"""

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk import outbox
from helpdesk.outbox import TransientError
from integrations.models import OWN_JOURNALS_KEPT, RedmineLink, RedmineProject, RedminePush
from integrations.redmine import client as redmine_client
from integrations.redmine.client import (
    RedmineClient,
    RedmineError,
    RedmineForbidden,
    RedmineNotFound,
    RedmineRefused,
    parse_time,
)
from integrations.redmine.links import unlink
from integrations.redmine.mapping import Mappings, own_user
from integrations.redmine.state import (
    PUSHED,
    UNMAPPED,
    comment_notes,
    local_state,
    remote_state,
    text,
)
from tickets import services, signals
from tickets.models import Source, Ticket

log = logging.getLogger(__name__)

# A push's claim, renewed while it is being sent: a worker that dies leaves it to another
# (the sweep's or a retry) this long after.
PUSH_LEASE = dt.timedelta(seconds=30)
# Retries wait 30 s, 1 min, 2 min ... at most an hour.
RETRY_FIRST_SECONDS = 30
RETRY_CAP_SECONDS = 3600
# How many due pushes one sweep sends at most.
SWEEP_BATCH = 500


class EscalationError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def enabled() -> bool:
    return bool(settings.REDMINE_SYNC_ENABLED and settings.REDMINE_URL and settings.REDMINE_API_KEY)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts."""
    return outbox.backoff(attempts, first=RETRY_FIRST_SECONDS, cap=RETRY_CAP_SECONDS)


# --- the outbox -----------------------------------------------------------------------


def _pushing_projects() -> QuerySet[RedmineProject]:
    return RedmineProject.objects.filter(
        is_active=True,
        direction__in=[RedmineProject.Direction.PUSH, RedmineProject.Direction.BOTH],
    )


def _pushing_link(ticket: Ticket) -> RedmineLink | None:
    """The ticket's link, if its project takes pushes (one query, on every change)."""
    return RedmineLink.objects.filter(
        ticket_id=ticket.pk,
        unlinked_at__isnull=True,
        project_id__in=_pushing_projects().values("redmine_id"),
    ).first()


def record_change(
    sender: object, *, event: Signal, ticket: Ticket, source: str, **kwargs: Any
) -> None:
    """``change_recorded`` receiver: queue what Redmine should hear of this change."""
    if source == Source.REDMINE or not enabled():
        return
    if event is signals.ticket_changed:
        fields = [name for name in kwargs.get("fields", ()) if name in PUSHED]
        comment = None
        if not fields:
            return
    elif event is signals.comment_added:
        fields, comment = [], kwargs["comment"]
    else:
        return
    with transaction.atomic():
        link = _pushing_link(ticket)
        if link is None:
            return
        push = RedminePush.objects.create(link=link, fields=fields, comment=comment)
    transaction.on_commit(lambda: enqueue(push.pk))


def enqueue(push_id: int, *, countdown: int = 0) -> None:
    """Start sending; a broker that is down leaves the row for the sweep."""
    outbox.start_task("integrations.redmine_push", push_id, countdown=countdown)


def retry(pushes: QuerySet[RedminePush]) -> list[int]:
    """Send these pushes again from the first attempt (not those sent or being sent);
    returns their ids."""
    ids = list(
        pushes.exclude(state__in=[RedminePush.State.SENT, RedminePush.State.SENDING]).values_list(
            "pk", flat=True
        )
    )
    outbox.requeue(RedminePush.objects.filter(pk__in=ids))
    for push_id in ids:
        transaction.on_commit(partial(enqueue, push_id))
    return ids


def claim(push_id: int) -> RedminePush | None:
    """Take the push for sending, or None when it is done or someone else has it."""
    token = outbox.claim(RedminePush.objects.filter(pk=push_id), lease=PUSH_LEASE)
    if token is None:
        return None
    push = RedminePush.objects.select_related("link", "comment__author").get(pk=push_id)
    return push if push.claim_token == token else None


def send_push(push_id: int) -> str:
    """Claim and send one push; returns its new state ("busy" when not claimed). Raises
    ``TransientError`` after scheduling the next attempt."""
    push = claim(push_id)
    if push is None:
        return "busy"
    with outbox.held([push], lease=PUSH_LEASE):
        return _send_claimed(push)


def _send_claimed(push: RedminePush) -> str:
    try:
        _send(push)
    except RedmineRefused as exc:
        log.warning("Redmine refused push %s: %s", push.pk, exc)
        outbox.finish(push, RedminePush.State.FAILED, exc.message)
        return RedminePush.State.FAILED
    except Exception as exc:
        error = exc.message if isinstance(exc, RedmineError) else f"{type(exc).__name__}: {exc}"
        state = outbox.retry_later(
            push,
            error,
            wait=backoff(push.attempts),
            max_attempts=settings.REDMINE_PUSH_MAX_ATTEMPTS,
        )
        if state == RedminePush.State.FAILED:
            return state
        raise TransientError(error) from exc
    if not outbox.finish(push, RedminePush.State.SENT):
        log.warning("push %s was sent but is no longer claimed here: outcome not recorded", push.pk)
    return RedminePush.State.SENT


def _send_due_one(push: RedminePush) -> bool:
    return send_push(push.pk) == RedminePush.State.SENT


def send_due(limit: int = SWEEP_BATCH) -> int:
    """Send the pushes whose time has come, here and now (the sweep), until Redmine
    turns out to be down; returns how many were sent."""
    return outbox.sweep(RedminePush.objects.all(), _send_due_one, limit=limit)


def _unmapped_message(ticket: Ticket, fields: list[str]) -> str:
    values = {
        "status": ticket.status.name,
        "priority": ticket.priority.name,
        "assignee": ticket.assignee.get_display_name() if ticket.assignee else "",
    }
    return "; ".join(
        f"no Redmine {field} is mapped to “{values[field]}”: map one in the admin"
        for field in fields
    )


def _our_journal(issue: dict, push: RedminePush, notes: str, me: int) -> int | None:
    """The journal of this comment: ours, the same text, not another push's. Found
    before sending, it means an earlier attempt sent it and lost the answer."""
    claimed = set(
        RedminePush.objects.filter(link_id=push.link_id)
        .exclude(pk=push.pk)
        .exclude(journal_id=None)
        .values_list("journal_id", flat=True)
    )
    for journal in issue.get("journals", []):
        by_us = (journal.get("user") or {}).get("id") == me
        same = text(journal.get("notes")).strip() == notes.strip()
        if by_us and same and journal["id"] not in claimed:
            return journal["id"]
    return None


def _issue_still_ours(client: RedmineClient, link: RedmineLink) -> dict:
    """The linked issue, as long as it is in a project that takes our changes. Moved or
    deleted since the last pull, the push is refused (never written into a project
    nobody mapped) and the ticket is unlinked as the pull would."""
    try:
        issue = client.issue(link.issue_id)
    except RedmineNotFound as exc:
        unlink(link, "deleted")
        raise RedmineRefused(
            f"the Redmine issue was deleted ({exc.message}): not sent, and the ticket is no "
            "longer linked to it",
            status=exc.status,
        ) from exc
    except RedmineForbidden as exc:
        unlink(link, "hidden")
        raise RedmineRefused(
            f"Helpdesk may no longer see the Redmine issue ({exc.message}): not sent, and the "
            "ticket is no longer linked to it",
            status=exc.status,
        ) from exc
    project_id = issue["project"]["id"]
    if _pushing_projects().filter(redmine_id=project_id).exists():
        return issue
    name = issue["project"].get("name") or str(project_id)
    if RedmineProject.objects.filter(redmine_id=project_id, is_active=True).exists():
        raise RedmineRefused(f"the issue is now in project {name}, which takes no changes")
    unlink(link, "moved", name)
    raise RedmineRefused(
        f"the issue was moved to project {name}, which is not synced: not sent, and the "
        "ticket is no longer linked to it"
    )


def _send(push: RedminePush) -> None:
    client = redmine_client.get_client()
    link, comment = push.link, push.comment
    if link.ticket_id is None or not link.active:
        raise RedmineRefused("the ticket is no longer linked to this issue")
    me = own_user(client)
    if comment is not None and comment.is_internal and not me["admin"]:
        # Redmine quietly makes a note public when the key may not write private ones.
        raise RedmineRefused(
            "internal notes are only sent with an administrator's API key "
            "(Redmine would publish them)"
        )
    maps = Mappings.load(client)
    before = _issue_still_ours(client, link)
    ticket = Ticket.objects.get(pk=link.ticket_id)
    current, synced = remote_state(before), link.synced_state
    local = local_state(ticket, maps, synced)
    if any(local[field] == UNMAPPED for field in push.fields):
        maps = Mappings.complete(client)  # a status or priority Redmine has not been asked about
        local = local_state(ticket, maps, synced)
    data, sent, unmapped = {}, {}, []
    for field in push.fields:
        if local[field] == UNMAPPED:
            unmapped.append(field)
        elif current[field] == synced.get(field) and local[field] != current[field]:
            # (A field Redmine changed too is left alone: Redmine wins, the pull says so.)
            sent[field] = local[field]
            data[f"{field}_id" if field != "assignee" else "assigned_to_id"] = local[field] or ""
    ours, journal = [], None
    if comment is not None:
        notes = comment_notes(comment)
        journal = _our_journal(before, push, notes, me["id"])
        if journal is None:
            data["notes"] = notes
            data["private_notes"] = comment.is_internal
        else:
            ours.append(journal)
    if not data and not ours:
        if unmapped:
            raise RedmineRefused(_unmapped_message(ticket, unmapped))
        return
    after = before
    if data:
        seen = max((j["id"] for j in before.get("journals", [])), default=0)
        client.update_issue(link.issue_id, **data)
        after = client.issue(link.issue_id)
        ours += [
            j["id"]
            for j in after.get("journals", [])
            if j["id"] > seen and (j.get("user") or {}).get("id") == me["id"]
        ]
        if comment is not None and journal is None:
            journal = _our_journal(after, push, data["notes"], me["id"])
    # Redmine drops a value its workflow does not allow, without an error.
    taken = remote_state(after)
    refused = [field for field, value in sent.items() if taken[field] != value]
    with transaction.atomic():
        link = RedmineLink.objects.select_for_update().get(pk=link.pk)
        link.own_journal_ids = (link.own_journal_ids + ours)[-OWN_JOURNALS_KEPT:]
        state = dict(link.synced_state)
        for field, value in sent.items():
            if field not in refused:
                state[field] = value
        link.synced_state = state
        link.save(update_fields=["own_journal_ids", "synced_state"])
        if journal is not None:
            RedminePush.objects.filter(pk=push.pk).update(journal_id=journal)
    problems = [f"Redmine did not take the {field}" for field in refused]
    if unmapped:
        problems.append(_unmapped_message(ticket, unmapped))
    if problems:
        raise RedmineRefused("; ".join(problems))


# --- escalation -----------------------------------------------------------------------


def project_for(ticket: Ticket) -> RedmineProject | None:
    return _pushing_projects().filter(queue_id=ticket.queue_id).order_by("redmine_id").first()


def _give_status(client: RedmineClient, issue: dict, status_id: int | None) -> dict:
    """Redmine creates every issue in its tracker's first status, whatever was asked:
    move it to the ticket's one and return the issue as Redmine has it now."""
    if status_id is None or issue["status"]["id"] == status_id:
        return issue
    try:
        client.update_issue(issue["id"], status_id=status_id)
        return client.issue(issue["id"])
    except RedmineError as exc:
        # Its workflow may not allow it: the issue stays as created; the link knows it.
        log.warning("Redmine issue %s keeps its first status: %s", issue["id"], exc)
        return issue


def escalate(ticket: Ticket, *, actor: User, ticket_url: str = "") -> RedmineLink:
    """Create the ticket's issue in the project its queue pushes to, and link them."""
    if not enabled():
        raise EscalationError(_("The Redmine integration is switched off."))
    project = project_for(ticket)
    if project is None:
        raise EscalationError(_("No Redmine project takes tickets of this queue."))
    lock = f"integrations:redmine:escalate:{ticket.pk}"
    if not cache.add(lock, 1, timeout=120):
        raise EscalationError(_("This ticket is being sent to Redmine already."))
    try:
        if RedmineLink.objects.filter(ticket_id=ticket.pk, unlinked_at__isnull=True).exists():
            raise EscalationError(_("This ticket is linked to a Redmine issue already."))
        # The pull knows the issue by this line should it see it before the link is saved.
        link_back = ticket_url or ticket.get_absolute_url()
        description = f"{ticket.description}\n\n---\nHelpdesk {ticket.key}: {link_back}".strip()
        try:
            client = redmine_client.get_client()
            maps = Mappings.complete(client)
            status_id = maps.status_out.get(ticket.status_id)
            assignee_id = ticket.assignee_id
            fields = {
                "project_id": project.redmine_id,
                "subject": ticket.title,
                "description": description,
                "priority_id": maps.priority_out.get(ticket.priority_id),
                "status_id": status_id,
                "assigned_to_id": maps.user_out.get(assignee_id) if assignee_id else None,
                "tracker_id": project.tracker_id,
            }
            issue = client.create_issue(**{k: v for k, v in fields.items() if v is not None})
        except RedmineError as exc:
            log.warning("escalating %s failed: %s", ticket.key, exc.message)
            if exc.transient:
                message = _("Redmine cannot be reached right now. Try again in a few minutes.")
            else:
                message = _("Redmine did not create the issue: %(error)s") % {"error": exc.message}
            raise EscalationError(message) from exc
        issue = _give_status(client, issue, status_id)
        try:
            return _link(ticket, issue, actor)
        except IntegrityError as exc:
            # A pull linked it first: it knows escalated issues by their last line.
            linked = RedmineLink.objects.filter(ticket_id=ticket.pk, issue_id=issue["id"]).first()
            if linked is not None:
                return linked
            raise EscalationError(_("This ticket is linked to a Redmine issue already.")) from exc
    finally:
        cache.delete(lock)


@transaction.atomic
def _link(ticket: Ticket, issue: dict, actor: User) -> RedmineLink:
    # An earlier, broken link of this ticket stays, as a tombstone of its issue only.
    RedmineLink.objects.filter(ticket_id=ticket.pk).exclude(unlinked_at=None).update(ticket=None)
    link = RedmineLink.objects.create(
        ticket=ticket,
        issue_id=issue["id"],
        project_id=issue["project"]["id"],
        remote_updated_on=parse_time(issue.get("updated_on")),
        # What Redmine wrote so far was ours: the pull starts after it.
        last_journal_id=max((j["id"] for j in issue.get("journals", [])), default=0),
        synced_state=remote_state(issue),
        synced_at=timezone.now(),
    )
    services.history_add(
        ticket=ticket,
        field="redmine_linked",
        new_value=str(issue["id"]),
        source=Source.WEB,
        actor=actor,
    )
    return link
