"""Buttons other apps add to the ticket list's header, so tickets imports none of them.

An app registers its action once, from its ``AppConfig.ready()``::

    register_list_action(
        "export",
        "reports/includes/list_export.html",
        context=lambda request: {"query": request.GET.urlencode()},  # or None: left out
        order=10,
    )

The list renders the registered actions next to its "New ticket" button, lowest
``order`` first, each from its own template with what ``context(request)`` returns plus
the usual request context. The list's current view is in ``request.GET``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

ActionContext = Callable[[HttpRequest], dict | None]


@dataclass(frozen=True)
class ListAction:
    name: str
    template_name: str
    context: ActionContext
    order: int = 100


_actions: dict[str, ListAction] = {}


def register_list_action(
    name: str, template_name: str, *, context: ActionContext, order: int = 100
) -> ListAction:
    """Add (or replace) the action called ``name``."""
    action = ListAction(name=name, template_name=template_name, context=context, order=order)
    _actions[name] = action
    return action


def unregister_list_action(name: str) -> None:
    _actions.pop(name, None)


def list_actions_for(request: HttpRequest) -> list[SafeString]:
    """The registered actions this request's user gets on the list, rendered, in order."""
    rendered = []
    for action in sorted(_actions.values(), key=lambda a: (a.order, a.name)):
        context = action.context(request)
        if context is not None:
            rendered.append(render_to_string(action.template_name, context, request=request))
    return rendered
