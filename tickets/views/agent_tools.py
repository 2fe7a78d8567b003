"""The agent's tools on the ticket page and the list: canned replies (the picker's data,
inserting one, the page where agents and managers keep them), macros, mention
completion and merging.

The picker, the macro menu and the completion fetch their data when opened, so the
ticket page and the list keep their fixed number of queries.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.roles import user_is_manager, user_role
from tickets import selectors, services
from tickets.forms import BootstrapForm, add_service_errors, first_error, form_field
from tickets.models import CannedReply, Queue, Ticket
from tickets.placeholders import PLACEHOLDERS, render_placeholders
from tickets.services import TicketConflict, TicketError

PREVIEW_LENGTH = 140


def _worked(request: HttpRequest, key: str) -> Ticket:
    """The ticket, if the user works it (otherwise 404 or 403, never its data)."""
    ticket = selectors.get_visible_ticket(request.user, key=key)
    if not selectors.user_can_work_ticket(request.user, ticket):
        raise PermissionDenied
    return ticket


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "") in ("1", "true", "on")


# --- Canned replies in the reply box --------------------------------------------------


@login_required
@require_GET
def canned_replies(request: AuthenticatedHttpRequest, key: str) -> JsonResponse:
    """The picker's list: the user's own replies and the queue's, most used first, each
    with its text already filled in for this ticket (as a reply and as an internal note:
    dates read in the requester's or the agent's language), so inserting it waits for
    nothing."""
    ticket = _worked(request, key)
    replies = selectors.canned_replies_for(request.user, ticket).select_related("queue")
    agent = request.user
    return JsonResponse({"replies": [_picker_entry(reply, ticket, agent) for reply in replies]})


def _picker_entry(reply: CannedReply, ticket: Ticket, agent: User) -> dict:
    text = render_placeholders(reply.body, ticket=ticket, agent=agent)
    return {
        "id": reply.pk,
        "title": reply.title,
        "scope": reply.queue.name if reply.queue else _("personal"),
        "preview": Truncator(" ".join(text.split())).chars(PREVIEW_LENGTH),
        "uses": reply.usage_count,
        "text": text,
        "text_internal": render_placeholders(
            reply.body, ticket=ticket, agent=agent, is_internal=True
        ),
        "use_url": reverse(
            "tickets:ticket_reply_insert",
            kwargs={"key": ticket.key, "reply_id": reply.pk},
        ),
    }


@login_required
@require_POST
def canned_reply_insert(request: AuthenticatedHttpRequest, key: str, reply_id: int) -> JsonResponse:
    """The reply's text with its placeholders filled in for this ticket, counted as used
    (the picker tells when it inserts one)."""
    ticket = _worked(request, key)
    reply = get_object_or_404(selectors.canned_replies_for(request.user, ticket), pk=reply_id)
    text = services.canned_reply_use(
        actor=request.user,
        reply=reply,
        ticket=ticket,
        is_internal=request.POST.get("internal") in ("1", "true", "on"),
    )
    return JsonResponse({"text": text})


# --- Mentions -------------------------------------------------------------------------


@login_required
@require_GET
def mention_people(request: HttpRequest, key: str) -> JsonResponse:
    """Who may be mentioned on the ticket: those who may read the comment (an internal
    note: only those who work the ticket), by login or name."""
    ticket = selectors.get_visible_ticket(request.user, key=key)
    internal = _flag(request, "internal")
    if internal and not selectors.user_can_work_ticket(request.user, ticket):
        raise PermissionDenied
    people = selectors.mention_candidates(
        ticket, internal=internal, query=request.GET.get("q", "")[:100]
    )
    return JsonResponse(
        {
            "people": [
                {
                    "username": user.username,
                    "name": user.get_display_name(),
                    "role": str(role.label) if (role := user_role(user)) else "",
                }
                for user in people
            ]
        }
    )


# --- Macros ---------------------------------------------------------------------------


@login_required
@require_GET
def macro_menu(request: HttpRequest) -> JsonResponse:
    """The macros for the ticket ``?key=`` (its queue's and the general ones), or for the
    list (every active one)."""
    if not selectors.user_works_queues(request.user):
        raise PermissionDenied
    key = request.GET.get("key", "")
    ticket = _worked(request, key) if key else None
    macros = selectors.macros_for(ticket).select_related("queue")
    return JsonResponse(
        {
            "macros": [
                {"id": m.pk, "name": m.name, "queue": m.queue.name if m.queue else ""}
                for m in macros
            ]
        }
    )


class MacroRunForm(forms.Form):
    macro = forms.IntegerField(min_value=1)
    version = forms.IntegerField(min_value=1, required=False)


@login_required
@require_POST
def macro_run(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    ticket = _worked(request, key)
    form = MacroRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(ticket)
    macro = get_object_or_404(selectors.macros_for(ticket), pk=form.cleaned_data["macro"])
    try:
        services.macro_apply(
            actor=request.user, macro=macro, ticket=ticket, version=form.cleaned_data["version"]
        )
    except TicketConflict as exc:
        messages.warning(request, exc.message)
    except TicketError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Macro “%(macro)s” applied to %(key)s.") % {"macro": macro.name, "key": ticket.key},
        )
    return redirect(ticket)


# --- Merging --------------------------------------------------------------------------


class MergeForm(forms.Form):
    target = forms.CharField(label=gettext_lazy("Merge into ticket"), max_length=30)
    version = forms.IntegerField(min_value=1, required=False)


@login_required
@require_POST
def ticket_merge(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    ticket = _worked(request, key)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(ticket)
    wanted = form.cleaned_data["target"].strip().upper()
    target = selectors.visible_tickets(request.user).filter(key=wanted).first()
    if target is None:
        messages.error(request, _("There is no ticket %(key)s you can see.") % {"key": wanted})
        return redirect(ticket)
    try:
        kept = services.ticket_merge(
            source=ticket, target=target, by=request.user, version=form.cleaned_data["version"]
        )
    except TicketError as exc:
        messages.error(request, exc.message)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        messages.success(
            request,
            _("%(key)s has been merged into %(target)s.") % {"key": ticket.key, "target": kept.key},
        )
        return redirect(kept)
    return redirect(ticket)


# --- Keeping canned replies -----------------------------------------------------------


class CannedReplyForm(BootstrapForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    body = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000
    )
    queue = forms.ModelChoiceField(
        label=gettext_lazy("Shared with the queue"),
        queryset=Queue.objects.none(),
        required=False,
        empty_label=gettext_lazy("— only me (personal) —"),
    )

    def __init__(self, *args: Any, manager: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if manager:
            form_field(self, "queue", forms.ModelChoiceField).queryset = Queue.objects.order_by(
                "name"
            )
        else:
            del self.fields["queue"]


@login_required
@require_http_methods(["GET", "POST"])
def canned_reply_list(
    request: AuthenticatedHttpRequest, reply_id: int | None = None
) -> HttpResponse:
    """The replies the user keeps (their own) and, for managers, the queues' shared ones:
    a list and a form to add or change one."""
    user = request.user
    if not selectors.user_works_queues(user):
        raise PermissionDenied
    manager = user_is_manager(user)
    replies = list(selectors.canned_replies_for(user).select_related("queue", "owner"))
    editing = None
    if reply_id is not None:
        editing = get_object_or_404(CannedReply, pk=reply_id)
        if not services.canned_reply_may_edit(user, editing):
            raise PermissionDenied
    initial = (
        {"title": editing.title, "body": editing.body, "queue": editing.queue_id} if editing else {}
    )
    form = CannedReplyForm(
        request.POST if request.method == "POST" else None, initial=initial, manager=manager
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.canned_reply_save(
                actor=user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                queue=form.cleaned_data.get("queue"),
                reply=editing,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Canned reply “%(title)s” saved.") % {"title": saved.title})
            return redirect("tickets:canned_replies")
    for reply in replies:
        reply.may_edit = services.canned_reply_may_edit(user, reply)  # type: ignore[attr-defined]
    context = {
        "replies": replies,
        "form": form,
        "editing": editing,
        "placeholders": [(name, label) for name, (_fill, label) in PLACEHOLDERS.items()],
        "manager": manager,
    }
    return render(request, "tickets/canned_replies.html", context)


@login_required
@require_POST
def canned_reply_delete(request: AuthenticatedHttpRequest, reply_id: int) -> HttpResponse:
    reply = get_object_or_404(CannedReply, pk=reply_id)
    services.canned_reply_delete(actor=request.user, reply=reply)
    messages.success(request, _("Canned reply “%(title)s” deleted.") % {"title": reply.title})
    return redirect("tickets:canned_replies")
