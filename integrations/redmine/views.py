"""The Redmine panel of a ticket's page and its "create Redmine issue" action."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from integrations.models import RedmineLink, RedmineProject, RedminePush, RedmineUser
from integrations.redmine import push
from tickets import selectors
from tickets.models import Ticket

FAILED_SHOWN = 5


def issue_url(issue_id: int) -> str:
    return f"{settings.REDMINE_URL}/issues/{issue_id}"


def ticket_panel(request: HttpRequest, ticket: Ticket) -> dict | None:
    """The linked issue with the changes Redmine did not take, or the escalation button,
    for those who work the ticket (a fixed number of queries)."""
    if not push.enabled() or not selectors.user_can_work_ticket(request.user, ticket):
        return None
    link = RedmineLink.objects.filter(ticket_id=ticket.pk).first()
    if link is not None:
        return {"link": link, "issue_url": issue_url(link.issue_id), **_link_state(link, ticket)}
    project = push.project_for(ticket)
    if project is None:
        return None
    return {"link": None, "project": project}


FIELD_NAMES = {
    "status": _lazy("status"),
    "priority": _lazy("priority"),
    "assignee": _lazy("assignee"),
}


@dataclass(frozen=True)
class FailedPush:
    """A change Redmine refused, as the panel lists it."""

    what: str
    created_at: dt.datetime
    last_error: str


def _failed_push(push: RedminePush) -> FailedPush:
    what = [str(FIELD_NAMES.get(name, name)) for name in push.fields]
    if push.comment is not None:
        what.append(str(_("internal note") if push.comment.is_internal else _("comment")))
    return FailedPush(", ".join(what), push.created_at, push.last_error)


def _link_state(link: RedmineLink, ticket: Ticket) -> dict:
    failed = (
        RedminePush.objects.filter(link=link, state=RedminePush.State.FAILED)
        .select_related("comment")
        .order_by("-created_at")[:FAILED_SHOWN]
    )
    state: dict[str, object] = {"failed_pushes": [_failed_push(push) for push in failed]}
    project = RedmineProject.objects.filter(redmine_id=link.project_id, is_active=True).first()
    if (
        link.active
        and project is not None
        and project.pushes
        and project.assignable_ids is not None
    ):
        assignable = set(
            RedmineUser.objects.filter(
                redmine_id__in=project.assignable_ids, user__isnull=False
            ).values_list("user_id", flat=True)
        )
        state.update(
            project=project,
            assignable_ids=sorted(assignable),
            assignee_outside=ticket.assignee
            if ticket.assignee_id not in assignable | {None}
            else None,
        )
    return state


def _worked_ticket(request: HttpRequest, key: str) -> Ticket:
    """The ticket of a Redmine action: 404 for who cannot see it, 403 for who does not
    work it."""
    ticket = selectors.get_visible_ticket(request.user, key=key)
    if not selectors.user_can_work_ticket(request.user, ticket):
        raise PermissionDenied
    return ticket


@login_required
@require_POST
def retry_pushes(request: HttpRequest, key: str) -> HttpResponse:
    """Send the changes Redmine refused again (after the cause was fixed in Redmine)."""
    ticket = _worked_ticket(request, key)
    with transaction.atomic():
        ids = push.retry(RedminePush.objects.filter(link__ticket=ticket))
    messages.info(
        request,
        ngettext(
            "%(count)s change is being sent to Redmine again.",
            "%(count)s changes are being sent to Redmine again.",
            len(ids),
        )
        % {"count": len(ids)},
    )
    return redirect(ticket.get_absolute_url())


@login_required
@require_POST
def escalate(request: HttpRequest, key: str) -> HttpResponse:
    ticket = _worked_ticket(request, key)
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
