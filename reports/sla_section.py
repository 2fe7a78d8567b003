"""The dashboard's service-level section (when the ``sla`` app is installed): targets met
and breached per queue of the tickets filed in the chosen period, with the median first
response in business minutes; the managers' full report is ``/sla/report/``."""

from django.urls import reverse
from django.utils.translation import gettext

from reports.scope import Scope
from reports.tables import Table
from sla.selectors import achievement_of


def sla_by_queue(scope: Scope) -> Table | None:
    tickets = scope.tickets.filter(created_at__gte=scope.since, created_at__lt=scope.until)
    rows = achievement_of(tickets, group="queue")
    if not rows:
        return None
    return Table(
        name="sla",
        title=gettext("Service levels by queue"),
        headers=[
            gettext("Queue"),
            gettext("Met, %"),
            gettext("Met"),
            gettext("Breached"),
            gettext("Still running"),
            gettext("Median first response, business minutes"),
        ],
        rows=[
            [
                row.name,
                row.met_percent,
                row.met,
                row.breached,
                row.running,
                row.median_first_response,
            ]
            for row in rows
        ],
        chart="",
        source=gettext(
            "Targets of the tickets filed in the period, as their service-level clocks "
            "count them in business time (pauses excluded): met, breached, or still "
            "running. The full report per queue and per agent: %(url)s"
        )
        % {"url": reverse("sla:report")},
    )
