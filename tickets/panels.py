"""Panels other apps add to a ticket's page, so tickets imports none of them.

An app registers its panel once, from its ``AppConfig.ready()``::

    register_panel(
        "redmine",
        "integrations/redmine/ticket_panel.html",
        context=lambda request, ticket: {"link": ...},  # or None to leave it out
        order=10,
    )

The ticket page renders the registered panels in its side column, lowest ``order``
first (``place="top"``: above the ticket's fields, for what an agent must see first;
otherwise below its files), each from its own template with what
``context(request, ticket)`` returns plus ``ticket`` and the usual request context. A
panel's template draws its own card.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from tickets.models import Ticket

PanelContext = Callable[[HttpRequest, "Ticket"], dict | None]


@dataclass(frozen=True)
class TicketPanel:
    name: str
    template_name: str
    context: PanelContext
    order: int = 100
    place: str = "bottom"


_panels: dict[str, TicketPanel] = {}


def register_panel(
    name: str,
    template_name: str,
    *,
    context: PanelContext,
    order: int = 100,
    place: str = "bottom",
) -> TicketPanel:
    """Add (or replace) the panel called ``name`` (``place``: "top" or "bottom")."""
    panel = TicketPanel(
        name=name, template_name=template_name, context=context, order=order, place=place
    )
    _panels[name] = panel
    return panel


def unregister_panel(name: str) -> None:
    _panels.pop(name, None)


def panels_for(
    request: HttpRequest, ticket: "Ticket", *, place: str = "bottom"
) -> list[SafeString]:
    """The registered panels of ``place`` this request's user sees on ``ticket``,
    rendered, in order."""
    rendered = []
    chosen = [panel for panel in _panels.values() if panel.place == place]
    for panel in sorted(chosen, key=lambda p: (p.order, p.name)):
        context = panel.context(request, ticket)
        if context is not None:
            context = {"ticket": ticket, **context}
            rendered.append(render_to_string(panel.template_name, context, request=request))
    return rendered
