"""URLs the page scripts need, rendered into every page as one JSON block (``json_script``
in ``base.html``, read by ``static/js/common.js``), so no script carries a path."""

from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse


def script_urls(request: HttpRequest) -> dict[str, Any]:
    urls: dict[str, str] = {}
    if apps.is_installed("notifications"):
        from notifications.routing import LIVE_ROUTE

        urls |= {
            "live": f"/{LIVE_ROUTE}",
            "pushWorker": reverse("push_service_worker"),
            "pushKey": reverse("push_key"),
            "pushSubscribe": reverse("push_subscribe"),
            "pushUnsubscribe": reverse("push_unsubscribe"),
        }
    context: dict[str, Any] = {"script_urls": urls, "app_scripts": []}
    if apps.is_installed("sla"):
        # Turns the SLA badges of list rows and board cards amber and red on time.
        context["app_scripts"].append("sla/badges.js")
    if apps.is_installed("reports"):
        from accounts.roles import user_is_agent

        # The navigation's dashboard link, for those who have one (agents and up).
        user = getattr(request, "user", None)
        context["dashboard_url"] = reverse("reports:dashboard") if user_is_agent(user) else ""
    return context
