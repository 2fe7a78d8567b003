"""Ending a ticket's link to its Redmine issue, for the pull and the push alike."""

from django.db import transaction
from django.utils import timezone

from integrations.models import RedmineLink
from tickets import services
from tickets.models import Source, Ticket


def linked_ticket(link: RedmineLink) -> Ticket:
    """The link's ticket. A tombstone whose ticket was deleted here has none: callers
    skip those before they get this far."""
    if link.ticket is None:
        raise ValueError(f"Redmine issue #{link.issue_id} has no ticket here any more")
    return link.ticket


@transaction.atomic
def unlink(link: RedmineLink, reason: str, project_name: str = "") -> None:
    """The issue is gone from what we sync: the ticket stays, its history says why, and
    the link stays as a tombstone so the issue never comes back as a new ticket."""
    services.history_add(
        ticket=linked_ticket(link),
        field=f"redmine_{reason}",
        old_value=str(link.issue_id),
        new_value=project_name,
        source=Source.REDMINE,
    )
    RedmineLink.objects.filter(pk=link.pk).update(unlinked_at=timezone.now())


def move_on_merge(
    sender: object,
    *,
    event: object,
    ticket: Ticket,
    duplicate: Ticket | None = None,
    **kwargs: object,
) -> None:
    """``change_recorded`` receiver: a linked duplicate merged into a ticket with no link
    of its own hands its issue over, so the issue goes on syncing with the ticket that
    carries on (in the merge's transaction). When both are linked the duplicate keeps
    its link, whose ticket is now closed."""
    from tickets import signals

    if event is not signals.ticket_merged or duplicate is None:
        return
    with transaction.atomic():
        if RedmineLink.objects.filter(ticket=ticket).exists():
            return
        RedmineLink.objects.filter(ticket=duplicate, unlinked_at__isnull=True).update(ticket=ticket)
