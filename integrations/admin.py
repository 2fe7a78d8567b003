from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.erp import ERPError, get_gateway
from integrations.models import SyncRun
from integrations.tasks import erp_directory_sync


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    """The run log of every integration job, and the operators' buttons."""

    list_display = (
        "started_at",
        "kind",
        "outcome",
        "trigger",
        "updated",
        "unchanged",
        "deactivated",
        "failed",
        "duration",
    )
    list_filter = ("kind", "outcome")
    search_fields = ("trigger", "message")
    readonly_fields = (
        "kind",
        "trigger",
        "started_at",
        "finished_at",
        "duration",
        "outcome",
        "created",
        "updated",
        "unchanged",
        "deactivated",
        "failed",
        "message",
        "error_list",
    )
    exclude = ("errors",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("duration"))
    def duration(self, run: SyncRun):
        return run.duration

    @admin.display(description=_("errors"))
    def error_list(self, run: SyncRun):
        return format_html_join(
            "", "<div><b>{}</b>: {}</div>", ((e["item"], e["error"]) for e in run.errors)
        )

    def get_urls(self):
        def tool(route, view, name):
            return path(
                route, self.admin_site.admin_view(view), name=f"integrations_syncrun_{name}"
            )

        tools = [
            tool("erp-test/", self.erp_test, "erp_test"),
            tool("erp-sync/", self.erp_sync, "erp_sync"),
        ]
        return tools + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "erp_tools": settings.ERP_AUTH_ENABLED}
        return super().changelist_view(request, extra_context)

    def _back(self):
        return HttpResponseRedirect(reverse("admin:integrations_syncrun_changelist"))

    def _refused(self, request):
        """Tools change things: POST only, superusers only."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.is_superuser:
            self.message_user(request, _("Only superusers run integration tools."), messages.ERROR)
            return self._back()
        return None

    @staticmethod
    def _facts(facts: dict) -> str:
        return ", ".join(f"{key}: {value}" for key, value in facts.items())

    def erp_test(self, request):
        if refused := self._refused(request):
            return refused
        try:
            facts = get_gateway().check()
        except ERPError as exc:
            self.message_user(
                request,
                _("The ERP did not answer: %(error)s (%(code)s)")
                % {"error": exc, "code": exc.code or "-"},
                messages.ERROR,
            )
        else:
            self.message_user(
                request, _("The ERP answers: %(facts)s") % {"facts": self._facts(facts)}
            )
        return self._back()

    def erp_sync(self, request):
        if refused := self._refused(request):
            return refused
        erp_directory_sync.delay()
        self.message_user(
            request, _("The ERP directory sync was started; its run appears in this log.")
        )
        return self._back()
