"""The Redmine panel of a ticket's page and its "create Redmine issue" action."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from integrations.models import RedmineLink
from integrations.redmine import push
from tickets import selectors


def issue_url(issue_id: int) -> str:
    return f"{settings.REDMINE_URL}/issues/{issue_id}"


def ticket_panel(request, ticket) -> dict | None:
    """The linked issue, or the escalation button for those who work the ticket."""
    if not push.enabled() or not selectors.user_can_work_ticket(request.user, ticket):
        return None
    link = RedmineLink.objects.filter(ticket_id=ticket.pk).first()
    if link is not None:
        return {"link": link, "issue_url": issue_url(link.issue_id)}
    project = push.project_for(ticket)
    if project is None:
        return None
    return {"link": None, "project": project}


@login_required
@require_POST
def escalate(request, key: str):
    ticket = selectors.get_visible_ticket(request.user, key=key)
    if not selectors.user_can_work_ticket(request.user, ticket):
        raise PermissionDenied
    try:
        link = push.escalate(
            ticket,
            actor=request.user,
            ticket_url=request.build_absolute_uri(ticket.get_absolute_url()),
        )
    except push.EscalationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Redmine issue #%(issue)s was created and linked to %(key)s.")
            % {"issue": link.issue_id, "key": ticket.key},
        )
    return redirect(ticket.get_absolute_url())
