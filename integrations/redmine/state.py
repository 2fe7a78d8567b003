"""An issue's synced fields, as Redmine has them and as the ticket has them.

Both sides are compared in Redmine's terms (ids, ISO dates, text) with the state last
seen in step (``RedmineLink.synced_state``): a field that differs from it on one side
changed on that side; on both sides, it is a conflict. The rule for conflicts is one:
**Redmine's value wins**, and the ticket's history says what was overwritten.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db.models import Model

from tickets.models import Comment, Ticket

if TYPE_CHECKING:
    from integrations.redmine.mapping import Mappings

# Ticket fields by Redmine field; title, description and due date are only pulled.
FIELDS = {
    "subject": "title",
    "description": "description",
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "due_date": "due_date",
}
PUSHED = ("status", "priority", "assignee")
TITLE_MAX = 200
# A local value with no Redmine counterpart (an assignee with no Redmine account).
UNMAPPED = "?"


def text(value: str | None) -> str:
    """Redmine sends \\r\\n line endings, and null or "" for no text: the same to us."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def title_of(subject: str) -> str:
    subject = " ".join((subject or "").split())
    return subject if len(subject) <= TITLE_MAX else subject[: TITLE_MAX - 1] + "…"


def remote_state(issue: dict) -> dict:
    return {
        "subject": issue.get("subject", ""),
        "description": text(issue.get("description")),
        "status": issue["status"]["id"],
        "priority": issue["priority"]["id"],
        "assignee": (issue.get("assigned_to") or {}).get("id"),
        "due_date": issue.get("due_date"),
    }


def local_state(ticket: Ticket, maps: "Mappings", synced: dict) -> dict:
    """The ticket in Redmine's terms. Where several Redmine values map to what the ticket
    has, the synced one is kept: the ticket did not change it."""

    def outward(
        local_pk: int | None,
        synced_rid: int | None,
        inward: Mapping[int, Model | None],
        out: Mapping[int, int],
    ) -> int | str | None:
        if local_pk is None:
            # Empty here because Redmine's value has no local counterpart: unchanged.
            unmatched = synced_rid is not None and inward.get(synced_rid) is None
            return synced_rid if unmatched else None
        current = inward.get(synced_rid) if synced_rid is not None else None
        if current is not None and current.pk == local_pk:
            return synced_rid
        return out.get(local_pk, UNMAPPED)

    # Only active agents are assignees here: anyone else in Redmine is "nobody".
    assignees = {rid: user for rid, user in maps.users.items() if maps.can_be_assignee(user)}

    subject = synced.get("subject", "")
    return {
        "subject": subject if title_of(subject) == ticket.title else ticket.title,
        "description": ticket.description,
        "status": outward(ticket.status_id, synced.get("status"), maps.statuses, maps.status_out),
        "priority": outward(
            ticket.priority_id, synced.get("priority"), maps.priorities, maps.priority_out
        ),
        "assignee": outward(ticket.assignee_id, synced.get("assignee"), assignees, maps.user_out),
        "due_date": ticket.due_date.isoformat() if ticket.due_date else None,
    }


def comment_notes(comment: Comment) -> str:
    """A comment as it is sent to Redmine: its author on the first line (Redmine shows
    the API key's user as the journal's author)."""
    author = comment.author.get_display_name() if comment.author else "Helpdesk"
    return f"{author}:\n\n{comment.body}"


def raw_local(ticket: Ticket, field: str) -> str:
    """The ticket's value as its history stores it (ids, ISO dates, text)."""
    value = getattr(ticket, f"{FIELDS[field]}_id" if field in PUSHED else FIELDS[field])
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
