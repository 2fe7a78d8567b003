"""The ticket list: filters, search, sorting, pagination, saved views and bulk actions.

The whole list lives in the URL (a GET form), so any view of it can be shared or saved.
Reads go through ``tickets.selectors`` and ``tickets.filters``; changes (bulk actions,
saved views) through ``tickets.services``.
"""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from tickets import extensions, services
from tickets.filters import (
    DEFAULT_SORT,
    TicketFilterForm,
    filter_chips,
    filter_tickets,
    hidden_closed,
)
from tickets.forms import form_field
from tickets.list_actions import list_actions_for
from tickets.models import SavedView, Ticket
from tickets.parsing import parse_id
from tickets.rows import ticket_rows
from tickets.search import KEY, page_snippets
from tickets.selectors import (
    agent_choices,
    assignable_agents,
    macros_for,
    user_works_queues,
    visible_tickets,
)
from tickets.workflow import workflow

PEOPLE_LIMIT = 20
BULK_LIMIT = 500
# Column name, header, whether a first click sorts descending (newest, most urgent first).
COLUMNS = (
    ("key", gettext_lazy("Key"), False),
    ("title", gettext_lazy("Title"), False),
    ("status", gettext_lazy("Status"), False),
    ("priority", gettext_lazy("Priority"), True),
    ("queue", gettext_lazy("Queue"), False),
    ("requester", gettext_lazy("Requester"), False),
    ("assignee", gettext_lazy("Assignee"), False),
    ("updated", gettext_lazy("Updated"), True),
    ("due", gettext_lazy("Due"), False),
)
# Sorts offered besides the columns.
EXTRA_SORTS = (("created", gettext_lazy("Created"), True),)


def _columns(sort: str) -> list[dict]:
    """Header data: the current direction, aria-sort and the sort a click chooses."""
    columns = []
    for name, label, descending_first in COLUMNS:
        if sort == name:
            direction, next_sort = "ascending", f"-{name}"
        elif sort == f"-{name}":
            direction, next_sort = "descending", name
        else:
            direction, next_sort = "none", f"-{name}" if descending_first else name
        columns.append({"name": name, "label": label, "aria": direction, "next": next_sort})
    return columns


def _sort_options() -> list[dict]:
    """Every sort for the panel's select, which phones need (their rows have no headers)."""
    options = []
    added = tuple((name, extra.label, False) for name, extra in extensions.list_sorts().items())
    for name, label, _descending_first in (*COLUMNS, *EXTRA_SORTS, *added):
        options.append({"value": name, "label": _("%(column)s, ascending") % {"column": label}})
        options.append(
            {"value": f"-{name}", "label": _("%(column)s, descending") % {"column": label}}
        )
    return options


def _safe_next(request: HttpRequest, default: str | None = None) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("tickets:list")


def _tag_url_maker(request: HttpRequest) -> Callable[[str], str]:
    """``tag_url(name)``: this list narrowed to a tag (from the first page)."""
    params = request.GET.copy()
    params.pop("page", None)
    urls: dict[str, str] = {}

    def tag_url(name: str) -> str:
        if name not in urls:
            params["tag"] = name
            urls[name] = f"?{params.urlencode()}"
        return urls[name]

    return tag_url


@login_required
@require_GET
def ticket_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = TicketFilterForm(request.GET, user=user)
    visible = visible_tickets(user)
    tickets = filter_tickets(visible, form=form, user=user)
    query = (form.value("q") or "") if form.searching else ""
    if KEY.match(query) and set(request.GET) <= {"q"}:
        # A key jumps to its ticket (when one may see it; else the empty list says so).
        found = tickets.values_list("key", flat=True).first()
        if found:
            return redirect("tickets:detail", key=found)
    paginator = Paginator(tickets, form.current_per_page)
    page = paginator.get_page(request.GET.get("page"))
    # The page of a queryset is a sliced queryset.
    rows = ticket_rows(cast(QuerySet[Ticket], page.object_list), tag_url=_tag_url_maker(request))
    if query:
        snippets = page_snippets([row.pk for row in rows], query)
        for row in rows:
            row.snippet = snippets.get(row.pk, row.snippet)
    can_bulk = user_works_queues(user)
    flow = workflow()
    context = {
        "form": form,
        "page_obj": page,
        "tickets": rows,
        "rows": rows,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "columns": _columns(form.current_sort),
        "sort_options": _sort_options(),
        "chips": filter_chips(form, request.GET),
        "has_filters": form.has_filters,
        "hidden_closed": hidden_closed(
            visible, request.GET, form=form, user=user, shown=paginator.count
        ),
        "saved_views": list(SavedView.objects.filter(user=user).only("pk", "name", "query")),
        "saved_query": services.normalised_query(request.GET),
        "can_bulk": can_bulk,
        "explicit_sort": form.value("sort") or "",
        "default_sort": "" if form.searching else DEFAULT_SORT,
        "agents": agent_choices() if can_bulk else [],
        "statuses": flow.statuses,
        "priorities": flow.priorities,
        "queues": flow.queues,
        "closed_available": any(s.is_closed for s in flow.statuses),
        "per_page_choices": form_field(form, "per_page", forms.ChoiceField).choices,
        "default_per_page": settings.TICKETS_PER_PAGE,
        "list_actions": list_actions_for(request),
    }
    return render(request, "tickets/list.html", context)


# --- Bulk actions -------------------------------------------------------------------------


class BulkActionForm(forms.Form):
    ACTIONS = (
        ("assign", gettext_lazy("Assign to")),
        ("assign_me", gettext_lazy("Assign to me")),
        ("unassign", gettext_lazy("Unassign")),
        ("status", gettext_lazy("Change status to")),
        ("close", gettext_lazy("Close")),
        ("macro", gettext_lazy("Run a macro")),
    )

    ids = forms.Field(widget=forms.MultipleHiddenInput, required=False)
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(required=False)
    macro = forms.ModelChoiceField(queryset=macros_for(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "assignee", forms.ModelChoiceField).queryset = assignable_agents()
        statuses = [(s.code, s.name) for s in workflow().statuses]
        form_field(self, "status", forms.ChoiceField).choices = [("", ""), *statuses]

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data.get("ids") or []
        if isinstance(raw, str):
            raw = [raw]
        parsed = {parse_id(value) for value in raw}
        ids = sorted(pk for pk in parsed if pk is not None)
        if len(ids) < len(parsed):  # one was not an id
            raise ValidationError(_("The selection is not valid. Reload the page."))
        if not ids:
            raise ValidationError(_("Choose at least one ticket."))
        if len(ids) > BULK_LIMIT:
            raise ValidationError(
                _("Choose at most %(limit)d tickets at once.") % {"limit": BULK_LIMIT}
            )
        return ids

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        action = cleaned.get("action")
        if action == "assign" and not cleaned.get("assignee"):
            self.add_error("assignee", _("Choose an agent."))
        if action == "status" and not cleaned.get("status"):
            self.add_error("status", _("Choose a status."))
        if action == "macro" and not cleaned.get("macro"):
            self.add_error("macro", _("Choose a macro."))
        if action == "close" and not any(s.is_closed for s in workflow().statuses):
            self.add_error("action", _("No status closes tickets."))
        return cleaned

    def changes(self, actor: User) -> dict[str, Any]:
        """Keyword arguments for ``services.tickets_bulk_update``."""
        action = self.cleaned_data["action"]
        flow = workflow()
        if action == "assign":
            return {"assignee": self.cleaned_data["assignee"]}
        if action == "assign_me":
            return {"assignee": actor}
        if action == "unassign":
            return {"assignee": None}
        if action == "close":
            return {"status": flow.close_status}
        code = self.cleaned_data["status"]
        return {"status": next(s for s in flow.statuses if s.code == code)}


def _form_error_messages(form: forms.Form) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@login_required
@require_POST
def ticket_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Apply one action to the chosen tickets; each refused ticket is reported with why."""
    user = request.user
    if not user_works_queues(user):
        raise PermissionDenied
    back = _safe_next(request)
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for message in _form_error_messages(form):
            messages.error(request, message)
        return HttpResponseRedirect(back)
    ids = form.cleaned_data["ids"]
    # Tickets the user cannot see are left out as if they did not exist.
    tickets = list(visible_tickets(user).filter(pk__in=ids).order_by("pk"))
    try:
        if form.cleaned_data["action"] == "macro":
            result = services.macros_bulk_apply(
                actor=user, macro=form.cleaned_data["macro"], tickets=tickets
            )
        else:
            result = services.tickets_bulk_update(actor=user, tickets=tickets, **form.changes(user))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return HttpResponseRedirect(back)
    _report_bulk(request, result, selected=len(ids), found=len(tickets))
    return HttpResponseRedirect(back)


def _report_bulk(
    request: HttpRequest, result: services.BulkResult, *, selected: int, found: int
) -> None:
    updated = len(result.updated)
    unchanged = found - updated - len(result.skipped)
    missing = selected - found
    if updated:
        messages.success(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", updated)
            % {"count": updated},
        )
    if unchanged:
        messages.info(
            request,
            ngettext(
                "%(count)d ticket already had this value.",
                "%(count)d tickets already had this value.",
                unchanged,
            )
            % {"count": unchanged},
        )
    for ticket, reason in result.skipped:
        messages.warning(
            request,
            _("%(key)s was not changed: %(reason)s") % {"key": ticket.key, "reason": reason},
        )
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)d ticket was not found.", "%(count)d tickets were not found.", missing
            )
            % {"count": missing},
        )


# --- Saved views --------------------------------------------------------------------------


@login_required
@require_POST
def saved_view_save(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the current list as a named view; an existing name of the user is replaced."""
    name = (request.POST.get("name") or "").strip()
    query = services.normalised_query(request.POST.get("query") or "")
    replacing = bool(name) and SavedView.objects.filter(user=request.user, name=name).exists()
    try:
        view = services.saved_view_save(user=request.user, name=name, query=query)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        url = reverse("tickets:list")
        return HttpResponseRedirect(f"{url}?{query}" if query else url)
    if replacing:
        text = _("The view “%(name)s” now shows the current filters.")
    else:
        text = _("The view “%(name)s” was saved.")
    messages.success(request, text % {"name": view.name})
    return HttpResponseRedirect(view.get_absolute_url())


@login_required
@require_POST
def saved_view_delete(request: AuthenticatedHttpRequest, view_id: int) -> HttpResponse:
    # Another user's view does not exist for this user.
    view = get_object_or_404(SavedView, pk=view_id, user=request.user)
    services.saved_view_delete(user=request.user, view_id=view.pk)
    messages.success(request, _("The view “%(name)s” was deleted.") % {"name": view.name})
    return HttpResponseRedirect(_safe_next(request))


# --- People autocomplete ------------------------------------------------------------------


def _person_matches(word: str) -> Q:
    # SQLite compares only ASCII letters case-insensitively: try the usual spellings of a
    # Cyrillic word too ("иван" finds "Иванов"). MariaDB's collation needs none of this.
    lower = word.lower()
    condition = Q()
    for variant in {word, lower, lower.capitalize(), word.upper()}:
        for field in ("username", "first_name", "last_name", "display_name", "email"):
            condition |= Q(**{f"{field}__icontains": variant})
    return condition


@require_GET
def people_lookup(request: HttpRequest) -> JsonResponse:
    """Active people matching ``q`` for autocompletes: ``role=agent`` or ``any``."""
    if not user_works_queues(request.user):
        return JsonResponse({"detail": _("You cannot look people up.")}, status=403)
    role = request.GET.get("role") or "any"
    if role not in ("agent", "any"):
        return JsonResponse({"detail": _("Unknown role.")}, status=400)
    people = assignable_agents() if role == "agent" else User.objects.filter(is_active=True)
    for word in (request.GET.get("q") or "").split()[:5]:
        people = people.filter(_person_matches(word))
    people = people.order_by("last_name", "first_name", "username")[:PEOPLE_LIMIT]
    return JsonResponse(
        {
            "results": [
                {"id": person.pk, "username": person.username, "name": person.get_display_name()}
                for person in people
            ]
        }
    )
