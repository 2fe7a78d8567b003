from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from accounts.roles import user_role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"role": user_role(request.user)})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page; under ``/api/`` a JSON answer like the API's own 404s, for URLs
    that match no endpoint (``/api/v1/saved-views/abc/``)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
