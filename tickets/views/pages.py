"""A ticket's own pages: filing one, its page, and the actions on it.

Thin adapters: reads through ``tickets.selectors``, writes through ``tickets.services``.
Actions on the page answer with a message and a redirect back (POST/redirect/GET); a
refusal by the rules is a message, never a server error.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from tickets import selectors, services
from tickets.forms import (
    AttachmentForm,
    CommentEditForm,
    CommentForm,
    MarkdownPreviewForm,
    RequesterDecisionForm,
    TakeForm,
    TicketCreateForm,
    TicketFieldForm,
    WatchForm,
    add_service_errors,
    first_error,
)
from tickets.markdown import render_markdown
from tickets.models import Source, Ticket
from tickets.panels import panels_for
from tickets.parsing import parse_id
from tickets.services import TicketConflict, TicketError
from tickets.timeline import moment_label, ticket_page
from tickets.uploads import INLINE_TYPES
from tickets.workflow import workflow

# Enough for the longest comment the forms accept, with room for the form encoding.
PREVIEW_MAX_BYTES = 256 * 1024


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(ticket: Ticket, anchor: str = "") -> HttpResponseRedirect:
    url = ticket.get_absolute_url()
    return redirect(f"{url}#{anchor}" if anchor else url)


# --- Filing a ticket ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    is_agent = selectors.user_works_queues(request.user)
    if request.method == "POST":
        form = TicketCreateForm(request.POST, request.FILES, user=request.user, is_agent=is_agent)
        if form.is_valid():
            try:
                ticket = services.ticket_create(
                    actor=request.user,
                    files=form.cleaned_data["files"],
                    source=Source.WEB,
                    **form.service_arguments(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Ticket %(key)s has been created.") % {"key": ticket.key}
                )
                return redirect(ticket)
    else:
        form = TicketCreateForm(user=request.user, is_agent=is_agent)
        form.initial["queue"] = _preselected_queue(request, is_agent=is_agent)
    return render(request, "tickets/new.html", {"form": form, "is_agent": is_agent})


def _preselected_queue(request: HttpRequest, *, is_agent: bool) -> int | None:
    """The queue named by ``?queue=<slug>``, else an agent's only queue."""
    active = [queue for queue in workflow().queues if queue.is_active]
    slug = request.GET.get("queue", "")
    chosen = next((queue for queue in active if slug and queue.slug == slug), None)
    if chosen is None and is_agent:
        own = [queue for queue in active if queue.pk in selectors.agent_queue_ids(request.user)]
        chosen = own[0] if len(own) == 1 else None
    return chosen.pk if chosen else None


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> JsonResponse:
    """The sanitised HTML of ``text``, as a comment or description would show it."""
    length = request.headers.get("Content-Length", "")
    if (parse_id(length) or 0) > PREVIEW_MAX_BYTES:
        return JsonResponse({"detail": _("The text is too long to preview.")}, status=413)
    form = MarkdownPreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": first_error(form)}, status=400)
    return JsonResponse({"html": str(render_markdown(form.cleaned_data["text"]))})


# --- The ticket page ------------------------------------------------------------------


def _detail_response(
    request: HttpRequest, key: str, *, comment_form: CommentForm | None = None, status: int = 200
) -> HttpResponse:
    ticket = selectors.ticket_detail(request.user, key=key)
    if ticket.merged_into_id and request.method == "GET":
        # A merged duplicate lives on in its target: its address leads there.
        target = Ticket.objects.filter(pk=ticket.merged_into_id).values_list("key", flat=True)
        if target_key := target.first():
            messages.info(
                request,
                _("%(key)s was merged into %(target)s.")
                % {"key": ticket.key, "target": target_key},
            )
            return redirect("tickets:detail", key=target_key)
    page = ticket_page(user=request.user, ticket=ticket)
    ticket.viewer_is_watching = any(w.pk == request.user.pk for w in page.watchers)
    can_work = ticket.viewer_can_work
    is_requester = ticket.requester_id == request.user.pk
    context = {
        "ticket": ticket,
        "created_ago": moment_label(ticket.created_at),
        "updated_ago": moment_label(ticket.updated_at),
        "entries": page.entries,
        "attachments": page.attachments,
        "watchers": page.watchers,
        "comment_count": page.comment_count,
        "can_work": can_work,
        "can_take": can_work and ticket.assignee_id != request.user.pk,
        "comment_form": comment_form or CommentForm(ticket=ticket, can_work=can_work),
        "attachment_form": AttachmentForm(),
        "panels": panels_for(request, ticket),
        "top_panels": panels_for(request, ticket, place="top"),
        # The requester's «The problem is solved» / «Open again» on a resolved ticket.
        "requester_decides": is_requester and workflow().is_resolved(ticket.status),
        "reply_reopens": isinstance(request.user, User)
        and services.reply_reopens(request.user, ticket),
    }
    if can_work:
        flow = workflow()
        context.update(
            statuses=[
                flow.status(pk) for pk in flow.allowed_targets(ticket.queue_id, ticket.status_id)
            ],
            priorities=flow.priorities,
            queues=[q for q in flow.queues if q.is_active or q.pk == ticket.queue_id],
            agents=_agents_for(ticket),
        )
    return render(request, "tickets/detail.html", context, status=status)


def _agents_for(ticket: Ticket) -> list:
    """Every agent, those of the ticket's queue marked ``in_queue`` (cached, no query)."""
    return selectors.agent_choices(queue_id=ticket.queue_id)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, key: str) -> HttpResponse:
    return _detail_response(request, key)


def _visible(request: HttpRequest, key: str) -> Ticket:
    return selectors.get_visible_ticket(request.user, key=key)


@login_required
@require_POST
def ticket_update(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """One field of the side panel; the version rendered guards against lost updates."""
    ticket = _visible(request, key)
    form = TicketFieldForm(request.POST, ticket=ticket)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(ticket)
    name, value = form.cleaned_data["field"], form.cleaned_data["parsed"]
    version = form.cleaned_data["version"]
    try:
        if name == "status":
            updated = services.ticket_change_status(
                actor=request.user, ticket=ticket, status=value, version=version
            )
        else:
            updated = services.ticket_update(
                actor=request.user, ticket=ticket, version=version, **{name: value}
            )
    except TicketConflict as exc:
        messages.warning(request, exc.message)
    except TicketError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if not selectors.user_can_see_ticket(request.user, updated):
            # Moved to a queue (or a person) outside the user's reach: its page is gone.
            messages.success(
                request,
                _("%(key)s has been updated. You no longer see this ticket.") % {"key": ticket.key},
            )
            return redirect("tickets:list")
        messages.success(request, _("%(key)s has been updated.") % {"key": ticket.key})
    return _back(ticket)


@login_required
@require_POST
def ticket_take(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """The page sends the version it showed: a ticket taken or changed since is refused."""
    ticket = _visible(request, key)
    form = TakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(ticket)
    try:
        services.ticket_take(
            actor=request.user, ticket=ticket, version=form.cleaned_data["version"]
        )
    except TicketConflict as exc:
        messages.warning(request, exc.message)
    except TicketError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("You are now working on %(key)s.") % {"key": ticket.key})
    return _back(ticket)


@login_required
@require_POST
def ticket_watch(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    ticket = _visible(request, key)
    form = WatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(ticket, "watchers")
    person = form.cleaned_data["username"] or request.user
    watching = form.cleaned_data["watching"]
    services.ticket_watch(actor=request.user, ticket=ticket, user=person, watching=watching)
    if person == request.user:
        text = (
            _("You are watching %(key)s.") if watching else _("You stopped watching %(key)s.")
        ) % {"key": ticket.key}
    else:
        text = (
            _("%(name)s is watching %(key)s.")
            if watching
            else _("%(name)s no longer watches %(key)s.")
        ) % {"name": person.get_display_name(), "key": ticket.key}
    messages.success(request, text)
    return _back(ticket, "watchers")


# --- Comments and files ---------------------------------------------------------------


@login_required
@require_POST
def comment_create(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    ticket = _visible(request, key)
    can_work = selectors.user_can_work_ticket(request.user, ticket)
    form = CommentForm(request.POST, request.FILES, ticket=ticket, can_work=can_work)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_reply(
                actor=request.user,
                ticket=ticket,
                body=data["body"],
                files=data["files"],
                is_internal=data.get("is_internal", False),
                status=data.get("status"),
                version=data.get("version"),
            )
        except TicketConflict as exc:
            messages.warning(
                request,
                _("%(message)s Your text is kept below: check the ticket and send it again.")
                % {"message": exc.message},
            )
            # The draft is shown again with the current version, so sending it again works.
            fresh = request.POST.copy()
            fresh["version"] = str(exc.ticket.version)
            form = CommentForm(fresh, request.FILES, ticket=ticket, can_work=can_work)
        except TicketError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if data.get("is_internal"):
                messages.success(request, _("Your internal note has been added."))
            else:
                messages.success(request, _("Your comment has been added."))
            return _back(ticket, "comment-form")
    # Shown again with the errors and with what was typed, so nothing is lost.
    return _detail_response(request, ticket.key, comment_form=form, status=400)


@login_required
@require_POST
def comment_edit(request: AuthenticatedHttpRequest, key: str, comment_id: int) -> HttpResponse:
    ticket = _visible(request, key)
    comment = selectors.visible_comments(request.user, ticket).filter(pk=comment_id).first()
    if comment is None:
        raise Http404
    form = CommentEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(ticket, f"comment-{comment.pk}")
    try:
        services.comment_edit(
            actor=request.user,
            comment=comment,
            body=form.cleaned_data["body"],
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied as exc:
        # The page offered the form a while ago: the edit window may have closed since.
        messages.error(request, str(exc) or _("You cannot change this comment."))
        return _detail_response(request, ticket.key, status=403)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The comment has been changed."))
    return _back(ticket, f"comment-{comment.pk}")


@login_required
@require_POST
def ticket_confirm(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """The requester's “The problem is solved” on a resolved ticket."""
    return _requester_decision(request, key, reopen=False)


@login_required
@require_POST
def ticket_reopen(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """The requester's “Open again” on a resolved ticket."""
    return _requester_decision(request, key, reopen=True)


def _requester_decision(
    request: AuthenticatedHttpRequest, key: str, *, reopen: bool
) -> HttpResponse:
    ticket = _visible(request, key)
    form = RequesterDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(ticket)
    decide = services.ticket_reopen if reopen else services.ticket_confirm_resolved
    try:
        decide(actor=request.user, ticket=ticket, version=form.cleaned_data["version"])
    except TicketConflict as exc:
        messages.warning(request, exc.message)
    except TicketError as exc:
        messages.error(request, exc.message)
    else:
        text = (
            _("%(key)s is open again: the agents will look at it once more.")
            if reopen
            else _("Thank you! %(key)s is closed.")
        )
        messages.success(request, text % {"key": ticket.key})
    return _back(ticket)


@login_required
@require_POST
def attachment_upload(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    ticket = _visible(request, key)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(ticket, "attachments")
    try:
        added = services.attachment_add(
            actor=request.user, ticket=ticket, files=form.cleaned_data["files"]
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        text = ngettext(
            "%(count)d file has been attached to %(key)s.",
            "%(count)d files have been attached to %(key)s.",
            len(added),
        )
        messages.success(request, text % {"count": len(added), "key": ticket.key})
    return _back(ticket, "attachments")


@login_required
@require_GET
def attachment_download(request: HttpRequest, key: str, attachment_id: int) -> FileResponse:
    """The file, if its ticket and comment are visible; never run as a page of our site."""
    attachment = selectors.get_visible_attachment(
        request.user, key=key, attachment_id=attachment_id
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even a file served inline is a sandboxed document: no script, no forms, no plugins.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, no-store"
    return response
