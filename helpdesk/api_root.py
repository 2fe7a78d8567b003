"""``/api/v1/``: the API's root, a link to each endpoint that needs no id, in the style of
DRF's router root (JSON for clients, the browsable page in a browser). Endpoints of an
app that is not installed (notifications) are left out."""

from typing import Any

from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# Key in the answer -> URL name, in the order the browsable page shows them.
ENDPOINTS = {
    "tickets": "api-tickets",
    "queues": "api-queues",
    "statuses": "api-statuses",
    "priorities": "api-priorities",
    "tags": "api-tags",
    "saved-views": "api-saved-views",
    "notifications": "api-notifications",
    "notification-preferences": "api-notification-preferences",
    "me": "api-users-me",
    "schema": "api-schema",
    "docs": "api-docs",
}
# Always there; the others come with their apps.
CORE_ENDPOINTS = [key for key in ENDPOINTS if not key.startswith("notification")]
LINK = {"type": "string", "format": "uri"}
ROOT_SCHEMA = {
    "type": "object",
    "description": "The address of each endpoint that needs no id, by name.",
    "properties": {key: {**LINK} for key in ENDPOINTS},  # copies: no YAML aliases
    "required": CORE_ENDPOINTS,
    "additionalProperties": False,
}


class ApiRootView(APIView):
    name = _("Helpdesk API")
    description = _(
        "The endpoints of the REST API. Open a link to see and try one; "
        "the documentation of every operation is under “docs”."
    )

    @extend_schema(
        operation_id="api_root",
        summary="Links to the endpoints",
        responses={200: ROOT_SCHEMA},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        links = {}
        for key, url_name in ENDPOINTS.items():
            try:
                links[key] = reverse(url_name, request=request)
            except NoReverseMatch:  # its app is not installed
                continue
        return Response(links)
