from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
        (_("Preferences"), {"fields": ("display_name", "language", "theme")}),
        (_("Oracle ERP"), {"fields": ("erp_username", "employee_number", "department")}),
    )
