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
    return {"script_urls": urls}
