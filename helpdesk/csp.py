"""The Content-Security-Policy header (django-csp), with this host's WebSocket address.

``connect-src 'self'`` covers ws: and wss: of the page's own host in current browsers,
but not in every browser people still run; naming the address keeps the live connection
(/ws/) working everywhere, without opening WebSockets to any other host.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


def websocket_sources(request: HttpRequest) -> list[str]:
    """``wss://host`` (and ``ws://host`` on plain HTTP) for the request's own host."""
    try:
        host = request.get_host()  # checked against ALLOWED_HOSTS
    except DisallowedHost:
        return []
    if request.is_secure():
        return [f"wss://{host}"]
    return [f"ws://{host}", f"wss://{host}"]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        sockets = websocket_sources(request)
        if sockets:
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", ()), *sockets]
            parts.update = update
        return parts
