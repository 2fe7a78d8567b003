"""The home page by role, the dashboard and the exports: reads only, through
``tickets.selectors`` (and ``tickets.filters`` for the list's current view)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from accounts.roles import user_role
from reports import exports
from reports.dashboard import DashboardForm, build_scope, dashboard_queues
from reports.home import home_context
from reports.sections import section, sections
from reports.tables import Table
from tickets.filters import TicketFilterForm, filter_tickets
from tickets.selectors import user_works_queues, visible_tickets

FORMATS = ("csv", "xlsx")
# ``/dashboard/?embed=1``: the dashboard's sections without the page around them.
EMBED = "embed"


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = home_context(user)
    context["role"] = user_role(user)
    if "agent" in context and context["agent"].everything:
        # Managers get the dashboard below, fetched after the page (``?embed=1``): the page
        # itself stays a fixed, small number of queries.
        context["dashboard_embed_url"] = f"{reverse('reports:dashboard')}?{EMBED}=1"
    return render(request, "reports/home.html", context)


@login_required
@require_GET
def home_counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The home page's figures alone, fetched again by the page on a live event."""
    context = home_context(request.user)
    return render(request, "reports/includes/home_figures.html", context)


def _dashboard_scope(request: AuthenticatedHttpRequest) -> tuple[DashboardForm, Any]:
    if not user_works_queues(request.user):
        raise Http404
    queues = dashboard_queues(request.user)
    form = DashboardForm(request.GET, queues=queues)
    return form, build_scope(request.user, form)


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, scope = _dashboard_scope(request)
    tables: list[Table] = []
    for entry in sections():
        table = entry.build(scope)
        if table is not None:
            tables.append(table)
    params = request.GET.copy()
    embedded = bool(params.pop(EMBED, None))
    context = {
        "form": form,
        "scope": scope,
        "tables": tables,
        "charts": [table.as_chart() for table in tables],
        "query": params.urlencode(),
    }
    if embedded:
        # The sections alone, fetched by the managers' home page after it has loaded.
        return render(request, "reports/includes/dashboard_sections.html", context)
    return render(request, "reports/dashboard.html", context)


@login_required
@require_GET
def dashboard_export(
    request: AuthenticatedHttpRequest, name: str, fmt: str
) -> StreamingHttpResponse:
    if fmt not in FORMATS:
        raise Http404
    _form, scope = _dashboard_scope(request)
    entry = section(name)
    table = entry.build(scope) if entry is not None else None
    if table is None:
        raise Http404
    filename = exports.export_name(f"dashboard-{name}")
    if fmt == "csv":
        return exports.csv_response(filename, table.headers, table.rows, total=len(table.rows))
    return exports.xlsx_response(
        filename, table.title, table.headers, table.rows, total=len(table.rows)
    )


@login_required
@require_GET
def ticket_export(request: AuthenticatedHttpRequest, fmt: str) -> StreamingHttpResponse:
    """The ticket list's current view (the same URL parameters: filters, search, sort)."""
    if fmt not in FORMATS:
        raise Http404
    user = request.user
    form = TicketFilterForm(request.GET, user=user)
    tickets = filter_tickets(visible_tickets(user), form=form, user=user)
    total = tickets.count()
    rows = exports.ticket_rows(tickets)
    filename = exports.export_name("tickets")
    headers = exports.ticket_headers()
    if fmt == "csv":
        return exports.csv_response(filename, headers, rows, total=total)
    return exports.xlsx_response(filename, gettext("Tickets"), headers, rows, total=total)
