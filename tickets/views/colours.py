from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tickets.colours import stylesheet


@require_GET
def colours_stylesheet(request: HttpRequest) -> HttpResponse:
    """The colours of statuses and priorities as CSS classes (see tickets.colours)."""
    css, digest = stylesheet()
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    # The address names the digest: that text never changes, any other is asked again.
    fresh = request.GET.get("v") == digest
    response["Cache-Control"] = "public, max-age=31536000, immutable" if fresh else "no-cache"
    return response
