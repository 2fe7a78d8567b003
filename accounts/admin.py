from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.lockout import PairState, memory

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from accounts.models import (
    ApiToken,
    ERPLoginFailure,
    FailedSignIn,
    ResponsibilityRole,
    SignInLockout,
    User,
)
from accounts.services import api_token_revoke, sign_in_lockouts_clear


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    count_phrase = ngettext_lazy("%(count)s user", "%(count)s users", "count")
    list_display = (
        "username",
        "display_name",
        "email",
        "erp_username",
        "department",
        "is_active",
        "is_staff",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups", "language")
    search_fields = (
        "username",
        "display_name",
        "first_name",
        "last_name",
        "email",
        "erp_username",
        "employee_number",
    )
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("display_name", "language", "theme", "sound_enabled")}),
        (
            _("Oracle ERP"),
            {
                "fields": (
                    "erp_username",
                    "middle_name",
                    "employee_number",
                    "department",
                    "roles_from_erp",
                    "erp_end_date",
                    "erp_last_login",
                    "erp_synced_at",
                    "erp_deactivated_at",
                )
            },
        ),
    )
    readonly_fields = ("erp_last_login", "erp_synced_at", "erp_deactivated_at", "erp_end_date")


@admin.register(ERPLoginFailure)
class ERPLoginFailureAdmin(admin.ModelAdmin):
    """Wrong EBS passwords counted through Helpdesk. Once an EBS administrator has reset
    a locked-out user's password, deleting that user's rows lets them sign in at once."""

    list_display = ("username", "at")
    search_fields = ("username",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ERPLoginFailure | None = None
    ) -> bool:
        return False


@admin.register(ResponsibilityRole)
class ResponsibilityRoleAdmin(admin.ModelAdmin):
    """Which ERP responsibility gives which role; users with none of these get the
    requester role. Applied at each ERP sign-in and directory sync."""

    list_display = ("responsibility_key", "role", "note", "updated_at")
    list_editable = ("role",)
    list_filter = ("role",)
    search_fields = ("responsibility_key", "note")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see and revoke tokens; only their owners create them (profile page)."""

    list_display = ("name", "user", "lookup", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "lookup", "user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "lookup", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for token in active:
            api_token_revoke(user=token.user, token_id=token.pk)
        self.message_user(request, _("Tokens revoked: %(count)d") % {"count": len(active)})


# --- Sign-in lockouts (django-axes' records, with our labels and rule) ---------------------


def _operator(request: HttpRequest) -> User:
    """Who acts in the admin: the site lets only signed-in staff in."""
    return cast(User, request.user)


class ListTitleMixin(admin.ModelAdmin):
    """The list is titled with the plural name: Django's "Select <name> to view" puts a
    Russian feminine noun in the wrong case."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        title = capfirst(self.model._meta.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})


def _paused(now: datetime) -> Q:
    """Rows whose (user name, address) pair is paused at ``now`` (see accounts.lockout)."""
    steps = settings.LOGIN_PAUSE_MINUTES
    limit = settings.AXES_FAILURE_LIMIT
    paused = Q(pk__in=[])
    for index, minutes in enumerate(steps):
        failures = limit + index
        count = (
            Q(pair_failures__gte=failures) if index == len(steps) - 1 else Q(pair_failures=failures)
        )
        paused |= count & Q(pair_last__gt=now - timedelta(minutes=minutes))
    return paused


class PausedFilter(admin.SimpleListFilter):
    title = _("paused now")
    parameter_name = "paused"

    def lookups(
        self, request: HttpRequest, model_admin: "admin.ModelAdmin[Any]"
    ) -> Iterable[tuple[str, "StrOrPromise"]]:
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SignInLockout]
    ) -> QuerySet[SignInLockout]:
        if self.value() == "yes":
            return queryset.filter(_paused(timezone.now()))
        if self.value() == "no":
            return queryset.exclude(_paused(timezone.now()))
        return queryset


@admin.register(SignInLockout)
class SignInLockoutAdmin(ListTitleMixin, admin.ModelAdmin):
    """Wrong passwords per user name and address: who is paused, until when; "clear"
    forgets the pair's failures (from every browser), which lifts the pause."""

    list_display = (
        "user_name",
        "address",
        "failures",
        "last_failure",
        "state",
        "browser",
    )
    list_filter = (PausedFilter,)
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    actions = ("clear_lockouts",)
    fields = ("user_name", "address", "failures", "last_failure", "state", "browser", "path")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[SignInLockout]:
        pair = SignInLockout.objects.filter(
            username=OuterRef("username"),
            ip_address=OuterRef("ip_address"),
            attempt_time__gte=timezone.now() - memory(),
        )
        totals = pair.order_by().values("username").annotate(total=Sum("failures_since_start"))
        return (
            super()
            .get_queryset(request)
            .filter(attempt_time__gte=timezone.now() - memory())
            .annotate(
                pair_failures=Coalesce(
                    Subquery(totals.values("total")[:1]), F("failures_since_start")
                ),
                pair_last=Coalesce(
                    Subquery(pair.order_by("-attempt_time").values("attempt_time")[:1]),
                    F("attempt_time"),
                ),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignInLockout | None = None) -> bool:
        return False

    def get_actions(
        self, request: HttpRequest
    ) -> dict[str, tuple[Callable[..., str], str, str] | None]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would clear only the browser's row
        return actions

    @admin.display(description=_("user name"), ordering="username")
    def user_name(self, attempt: SignInLockout) -> str:
        return attempt.username or ""

    @admin.display(description=_("address"), ordering="ip_address")
    def address(self, attempt: SignInLockout) -> str:
        return attempt.ip_address or ""

    @admin.display(description=_("wrong passwords"), ordering="pair_failures")
    def failures(self, attempt: SignInLockout) -> int:
        return attempt.pair_failures

    @admin.display(description=_("last wrong password"), ordering="pair_last")
    def last_failure(self, attempt: SignInLockout) -> str:
        return date_format(timezone.localtime(attempt.pair_last), "DATETIME_FORMAT")

    @admin.display(description=_("state"))
    def state(self, attempt: SignInLockout) -> "StrOrPromise":
        pair = PairState(failures=attempt.pair_failures, last_failure=attempt.pair_last)
        if pair.remaining() > timedelta(0):
            until = date_format(timezone.localtime(pair.paused_until), "TIME_FORMAT")
            return _("paused until %(time)s") % {"time": until}
        left = settings.AXES_FAILURE_LIMIT - attempt.pair_failures
        if left > 0:
            return ngettext(
                "%(count)d wrong password left before a pause",
                "%(count)d wrong passwords left before a pause",
                left,
            ) % {"count": left}
        return _("the next wrong password pauses it again")

    @admin.display(description=_("browser"))
    def browser(self, attempt: SignInLockout) -> str:
        return attempt.user_agent

    @admin.display(description=_("page"))
    def path(self, attempt: SignInLockout) -> str:
        return attempt.path_info

    def delete_model(self, request: HttpRequest, obj: SignInLockout) -> None:
        sign_in_lockouts_clear(pairs=[(obj.username, obj.ip_address)], by=_operator(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SignInLockout]) -> None:
        pairs = queryset.values_list("username", "ip_address")
        sign_in_lockouts_clear(pairs=list(pairs), by=_operator(request))

    @admin.action(
        description=_("Clear the selected lockouts (forget the wrong passwords)"),
        permissions=["delete"],
    )
    def clear_lockouts(self, request: HttpRequest, queryset: QuerySet[SignInLockout]) -> None:
        pairs = list(queryset.values_list("username", "ip_address"))
        count = sign_in_lockouts_clear(pairs=pairs, by=_operator(request))
        self.message_user(
            request,
            ngettext("%(count)d lockout cleared.", "%(count)d lockouts cleared.", count)
            % {"count": count},
        )


@admin.register(FailedSignIn)
class FailedSignInAdmin(ListTitleMixin, admin.ModelAdmin):
    """Every wrong password, as a record (kept when a lockout is cleared)."""

    list_display = ("attempt_time", "user_name", "address", "refused", "browser")
    list_filter = ("locked_out",)
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    fields = ("attempt_time", "user_name", "address", "refused", "browser", "path")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FailedSignIn | None = None) -> bool:
        return False

    @admin.display(description=_("user name"), ordering="username")
    def user_name(self, failure: FailedSignIn) -> str:
        return failure.username or ""

    @admin.display(description=_("address"), ordering="ip_address")
    def address(self, failure: FailedSignIn) -> str:
        return failure.ip_address or ""

    @admin.display(description=_("started a pause"), boolean=True, ordering="locked_out")
    def refused(self, failure: FailedSignIn) -> bool:
        return failure.locked_out

    @admin.display(description=_("browser"))
    def browser(self, failure: FailedSignIn) -> str:
        return failure.user_agent

    @admin.display(description=_("page"))
    def path(self, failure: FailedSignIn) -> str:
        return failure.path_info
