from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LogoutView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import (
    ApiTokenForm,
    LanguageForm,
    LocalPasswordChangeForm,
    ProfileForm,
    ThemeForm,
)
from accounts.http import AuthenticatedHttpRequest
from accounts.models import ApiToken, User
from accounts.profile_sections import sections_for
from accounts.services import (
    API_TOKENS_PER_USER,
    ERP_OWNED_FIELDS,
    api_token_create,
    api_token_revoke,
    user_set_preferences,
    user_update_profile,
)

# The secret of a token just created, kept for the one page that shows it (never in a URL).
NEW_TOKEN_SESSION_KEY = "accounts.new_api_token"  # noqa: S105 (a key, not a secret)


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
    _set_language_cookie(response, language)
    return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    # The browser keeps the choice too: the sign-in page after signing out speaks it.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        samesite="Lax",
    )


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

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return render(request, "registration/logout_confirm.html")


# --- Profile ------------------------------------------------------------------------------


def can_change_password(user: User) -> bool:
    """Only local accounts with a password have one to change here."""
    return not user.is_erp_account and user.has_usable_password()


def _profile_page(
    request: AuthenticatedHttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    password_form: LocalPasswordChangeForm | None = None,
    token_form: ApiTokenForm | None = None,
) -> HttpResponse:
    """The profile page; a form given here is one posted back with its errors."""
    user = request.user
    if password_form is None and can_change_password(user):
        password_form = LocalPasswordChangeForm(user=user)
    context = {
        "profile_form": profile_form or ProfileForm(user=user, language=request.LANGUAGE_CODE),
        "password_form": password_form,
        "token_form": token_form or ApiTokenForm(),
        "api_tokens": user.api_tokens.active(),
        "api_token_limit": API_TOKENS_PER_USER,
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        "profile_sections": sections_for(request),
    }
    response = render(request, "accounts/profile.html", context)
    # The page may show a new token's secret: keep it out of every cache and history.
    add_never_cache_headers(response)
    return response


def _profile_save(user: User, data: dict) -> None:
    details = {"display_name": data["display_name"]}
    if not user.is_erp_account:
        details.update({name: data[name] for name in ERP_OWNED_FIELDS})
    with transaction.atomic():
        user_update_profile(user=user, **details)
        user_set_preferences(
            user=user,
            language=data["language"],
            theme=data["theme"],
            sound_enabled=data["sound_enabled"],
        )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in person's details, preferences, password and API tokens."""
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST, user=request.user, language=request.LANGUAGE_CODE)
    if form.is_valid():
        try:
            _profile_save(request.user, form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            language = form.cleaned_data["language"]
            # Said in the language just chosen, as the next page will be.
            with translation.override(language):
                messages.success(request, _("Profile saved."))
            response = redirect("accounts:profile")
            _set_language_cookie(response, language)
            return response
    return _profile_page(request, profile_form=form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, for local accounts; its form lives on the profile page.

    ERP accounts sign in with their ERP password, which is changed in the ERP.
    """

    form_class = LocalPasswordChangeForm
    success_url = reverse_lazy("accounts:profile")
    http_method_names = ["get", "post", "options"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not can_change_password(request.user):
            if request.user.is_erp_account:
                messages.info(request, _("Your password is managed in the ERP."))
            else:
                messages.info(
                    request,
                    _("This account has no password here. Ask an administrator to set one."),
                )
            return redirect("accounts:profile")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse("accounts:profile") + "#password")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # saves and keeps this session signed in
        messages.success(self.request, _("Your password was changed."))
        return response

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        # Behind login_required, with form_class above.
        return _profile_page(
            cast(AuthenticatedHttpRequest, self.request),
            password_form=cast(LocalPasswordChangeForm, form),
        )


@login_required
@require_POST
def profile_token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {
                "id": token.pk,
                "name": token.name,
                "secret": secret,
            }
            return HttpResponseRedirect(reverse("accounts:profile") + "#api-tokens")
    return _profile_page(request, token_form=form)


@login_required
@require_POST
def profile_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    try:
        # Another person's token does not exist for this one.
        token = api_token_revoke(user=request.user, token_id=token_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(
        request,
        _("The token “%(name)s” was revoked; programs using it can no longer sign in.")
        % {"name": token.name},
    )
    return HttpResponseRedirect(reverse("accounts:profile") + "#api-tokens")
