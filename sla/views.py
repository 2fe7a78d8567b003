"""The managers' service-level report."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import user_is_manager
from sla.selectors import GROUPS, ReportRow, achievement

PERIODS = (7, 30, 90)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    if not user_is_manager(request.user):
        raise PermissionDenied
    days = int(request.GET["days"]) if request.GET.get("days") in {str(p) for p in PERIODS} else 30
    chosen = request.GET.get("group", "")
    group = chosen if chosen in GROUPS else "queue"
    rows = achievement(request.user, days=days, group=group)
    total = ReportRow(name="")
    for row in rows:
        total.met += row.met
        total.breached += row.breached
        total.running += row.running
        total.first_responses += row.first_responses
    return render(
        request,
        "sla/report.html",
        {"rows": rows, "total": total, "days": days, "group": group, "periods": PERIODS},
    )
