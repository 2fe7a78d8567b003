from django.conf import settings
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import LanguageForm, ThemeForm
from accounts.services import user_set_preferences


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("referer") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: on the account when signed in, and in a cookie."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        user_set_preferences(user=request.user, language=language)
    response = HttpResponseRedirect(_safe_next(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        samesite="Lax",
    )
    return response


@require_POST
def set_theme(request: HttpRequest) -> JsonResponse:
    """Remember the theme on the account (the browser keeps its own copy too)."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Sign in to save the theme on your account.")}, status=401)
    form = ThemeForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    user_set_preferences(user=request.user, theme=form.cleaned_data["theme"])
    return JsonResponse({"theme": request.user.theme})


class SignOutView(LogoutView):
    """POST signs out (CSRF-protected); GET, e.g. a typed URL, asks for confirmation."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return render(request, "registration/logout_confirm.html")
