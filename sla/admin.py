"""Policies and business calendars for operators; clocks and warnings to look at."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sla.models import BusinessCalendar, CalendarException, Clock, Policy, Warning
from sla.services import calendar_fill_holidays


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0
    fields = ("date", "name", "is_working", "start", "end")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "work_start", "work_end", "country")
    inlines = [CalendarExceptionInline]
    actions = ["fill_holidays"]
    fieldsets = (
        (None, {"fields": ("name", "time_zone", ("work_start", "work_end"), "country")}),
        (
            _("Working days"),
            {
                "fields": (
                    ("monday", "tuesday", "wednesday", "thursday", "friday"),
                    ("saturday", "sunday"),
                )
            },
        ),
    )

    @admin.action(description=_("Add the public holidays of this and next year"))
    def fill_holidays(self, request: HttpRequest, queryset: QuerySet[BusinessCalendar]) -> None:
        year = timezone.localdate().year
        added = 0
        for calendar in queryset:
            try:
                added += calendar_fill_holidays(calendar=calendar, years=[year, year + 1])
            except NotImplementedError:
                self.message_user(
                    request,
                    _("No holidays are known for the country %(country)s.")
                    % {"country": calendar.country},
                    messages.ERROR,
                )
        self.message_user(
            request,
            ngettext("%(count)d day added.", "%(count)d days added.", added) % {"count": added},
        )


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "order",
        "is_active",
        "queue",
        "priority",
        "tag",
        "first_response_minutes",
        "resolution_minutes",
        "calendar",
    )
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "queue", "priority")
    filter_horizontal = ("pause_statuses",)
    fieldsets = (
        (None, {"fields": ("name", "order", "is_active")}),
        (_("Which tickets"), {"fields": ("queue", "priority", "tag")}),
        (
            _("Targets"),
            {
                "fields": (
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    "calendar",
                    "pause_statuses",
                    "warn_percent",
                )
            },
        ),
        (_("On breach"), {"fields": ("breach_priority", "breach_assignee")}),
    )

    def save_related(
        self, request: HttpRequest, form: object, formsets: object, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        self.message_user(
            request,
            _("Run “manage.py sla_recompute” to apply the change to existing tickets."),
            messages.WARNING,
        )


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ("ticket", "policy", "state", "due_at", "breached", "computed_at")
    list_filter = ("state", "breached", "policy")
    list_select_related = ("ticket", "policy")
    search_fields = ("ticket__key",)
    readonly_fields = [f.name for f in Clock._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ("ticket", "target", "cycle", "level", "created_at")
    list_filter = ("level", "target")
    list_select_related = ("ticket",)
    search_fields = ("ticket__key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
