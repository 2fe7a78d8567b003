"""What sla adds to tickets through its extension points: the ticket page's panel, the
badge of list rows and board cards, the ``sla`` filter, the "time left" sort and the API
field. Registered from ``SlaConfig.ready()``."""

from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sla import display
from sla.clocks import load_rules
from sla.models import Clock, ClockState
from tickets import extensions
from tickets.models import Ticket
from tickets.panels import register_panel
from tickets.selectors import user_can_work_ticket

BREACHED = "breached"
AT_RISK = "at_risk"


def _clock(ticket: Ticket) -> Clock | None:
    """The ticket's clock: read with it (``select_related``), else one query, spared
    while no policy exists (a ticket just filed through the API)."""
    if "sla_clock" not in ticket._state.fields_cache and not load_rules():
        return None
    # A missing clock raises RelatedObjectDoesNotExist, an AttributeError too.
    clock: Clock | None = getattr(ticket, "sla_clock", None)
    return clock


def filter_choices() -> list[tuple[str, Any]]:
    return [(BREACHED, _("breached")), (AT_RISK, _("about to be breached"))]


def filter_q(value: str) -> Q:
    now = timezone.now()
    running = Q(sla_clock__state=ClockState.RUNNING)
    if value == BREACHED:
        return Q(sla_clock__breached=True) | (running & Q(sla_clock__due_at__lte=now))
    return running & Q(sla_clock__warn_at__lte=now, sla_clock__due_at__gt=now)


def apply_filter(tickets: QuerySet[Ticket], value: str) -> QuerySet[Ticket]:
    return tickets.filter(filter_q(value))


def api_value(ticket: Ticket) -> dict | None:
    clock = _clock(ticket)
    if clock is None:
        return None
    now = timezone.now()
    return {
        "policy": clock.policy.name,
        "state": display.level(clock.state, clock.due_at, clock.warn_at, now),
        "due_at": clock.due_at.isoformat() if clock.due_at else None,
        "targets": [
            {key: target[key] for key in ("target", "minutes", "state", "due", "left", "stopped")}
            for target in clock.targets
        ],
    }


def panel(request: HttpRequest, ticket: Ticket) -> dict | None:
    """Shown to those who work the ticket."""
    if not user_can_work_ticket(request.user, ticket):
        return None
    clock = _clock(ticket)
    if clock is None:
        return None
    return {"clock": clock, "lines": display.panel_lines(clock, timezone.now())}


def register() -> None:
    register_panel("sla", "sla/ticket_panel.html", context=panel, order=5, place="top")
    extensions.register_badge(
        "sla",
        values=("sla_clock__state", "sla_clock__due_at", "sla_clock__warn_at"),
        render=display.badge,
    )
    extensions.register_filter(
        "sla", label=_("Service level"), choices=filter_choices, apply=apply_filter
    )
    extensions.register_sort(
        "sla", label=_("Time left (SLA)"), terms=lambda: (F("sla_clock__due_at"),)
    )
    extensions.register_field("sla", related=("sla_clock__policy",), read=api_value)
