from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, ERPLoginFailure, ResponsibilityRole, User
from accounts.services import api_token_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
        *DjangoUserAdmin.fieldsets,
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
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

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True))
        for token in active:
            api_token_revoke(user=token.user, token_id=token.pk)
        self.message_user(request, _("Tokens revoked: %(count)d") % {"count": len(active)})
