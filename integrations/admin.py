import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.erp import ERPError, get_gateway
from integrations.connection_advice import as_message, erp_advice, mail_advice, redmine_advice
from integrations.mail import client as mail_client
from integrations.models import (
    InboundMail,
    Mailbox,
    RedmineLink,
    RedminePriority,
    RedmineProject,
    RedminePush,
    RedmineStatus,
    RedmineUser,
    SyncRun,
)
from integrations.redmine import client as redmine_client
from integrations.redmine import mapping
from integrations.redmine.check import check as redmine_check
from integrations.redmine.client import RedmineError
from integrations.tasks import erp_directory_sync, mail_fetch, redmine_pull


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    """The run log of every integration job, and the operators' buttons."""

    count_phrase = ngettext_lazy("%(count)s sync run", "%(count)s sync runs", "count")

    list_display = (
        "started_at",
        "kind",
        "outcome",
        "trigger",
        "created",
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SyncRun | None = None) -> bool:
        return False

    @admin.display(description=_("duration"))
    def duration(self, run: SyncRun) -> dt.timedelta | None:
        return run.duration

    @admin.display(description=_("errors"))
    def error_list(self, run: SyncRun) -> SafeString:
        return format_html_join(
            "", "<div><b>{}</b>: {}</div>", ((e["item"], e["error"]) for e in run.errors)
        )

    def get_urls(self) -> list[URLPattern]:
        def tool(route: str, view: Callable[[HttpRequest], HttpResponse], name: str) -> URLPattern:
            return path(
                route, self.admin_site.admin_view(view), name=f"integrations_syncrun_{name}"
            )

        tools = [
            tool("erp-test/", self.erp_test, "erp_test"),
            tool("erp-sync/", self.erp_sync, "erp_sync"),
            tool("redmine-test/", self.redmine_test, "redmine_test"),
            tool("redmine-sync/", self.redmine_sync, "redmine_sync"),
            tool("redmine-suggest/", self.redmine_suggest, "redmine_suggest"),
        ]
        return tools + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "erp_tools": settings.ERP_AUTH_ENABLED,
            "redmine_tools": bool(settings.REDMINE_URL and settings.REDMINE_API_KEY),
        }
        return super().changelist_view(request, extra_context)

    def _back(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:integrations_syncrun_changelist"))

    def _refused(self, request: HttpRequest) -> HttpResponse | None:
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

    def erp_test(self, request: HttpRequest) -> HttpResponse:
        if refused := self._refused(request):
            return refused
        try:
            facts = get_gateway().check()
        except ERPError as exc:
            detail = f"{exc} ({exc.code})" if exc.code else str(exc)
            self.message_user(request, as_message(erp_advice(exc), detail), messages.ERROR)
            return self._back()
        missing = facts.pop("missing", [])
        warnings = facts.pop("warnings", [])
        facts.pop("grants", None)
        self.message_user(request, _("The ERP answers: %(facts)s") % {"facts": self._facts(facts)})
        if missing:
            self.message_user(
                request,
                _("Grants missing (manage.py erp_check shows how to add them): %(grants)s")
                % {"grants": "; ".join(missing)},
                messages.ERROR,
            )
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)
        return self._back()

    def erp_sync(self, request: HttpRequest) -> HttpResponse:
        if refused := self._refused(request):
            return refused
        erp_directory_sync.delay()
        self.message_user(
            request, _("The ERP directory sync was started; its run appears in this log.")
        )
        return self._back()

    def _redmine_failed(self, request: HttpRequest, exc: RedmineError) -> None:
        self.message_user(request, as_message(redmine_advice(exc), exc.message), messages.ERROR)

    def redmine_test(self, request: HttpRequest) -> HttpResponse:
        if refused := self._refused(request):
            return refused
        try:
            report = redmine_check()
        except RedmineError as exc:
            self._redmine_failed(request, exc)
            return self._back()
        for line in report.lines:
            self.message_user(request, line)
        for problem in report.problems:
            self.message_user(request, problem, messages.WARNING)
        return self._back()

    def redmine_sync(self, request: HttpRequest) -> HttpResponse:
        if refused := self._refused(request):
            return refused
        redmine_pull.delay(full=request.POST.get("full") == "1")
        self.message_user(request, _("The Redmine sync was started; its run appears in this log."))
        return self._back()

    def redmine_suggest(self, request: HttpRequest) -> HttpResponse:
        if refused := self._refused(request):
            return refused
        try:
            client = redmine_client.get_client()
            mapping.suggest_reference(client)
            projects = mapping.suggest_projects(client)
            users = mapping.suggest_users(client)
        except RedmineError as exc:
            self._redmine_failed(request, exc)
        else:
            self.message_user(
                request,
                _(
                    "Mappings suggested: %(projects)s new project mappings, %(users)s Redmine "
                    "users matched. Check them in the mapping lists."
                )
                % {"projects": len(projects), "users": users},
            )
        return self._back()


@admin.register(RedmineProject)
class RedmineProjectAdmin(admin.ModelAdmin):
    list_display = (
        "redmine_id", "name", "queue", "direction", "private_issues", "is_active", "cursor"
    )  # fmt: skip
    list_filter = ("direction", "private_issues", "is_active", "queue")
    list_editable = ("queue", "direction", "private_issues", "is_active")
    search_fields = ("name", "redmine_id")
    readonly_fields = ("cursor", "ids_checked_at", "assignable_ids")


class _ReferenceMappingAdmin(admin.ModelAdmin):
    list_display_links = ("redmine_id",)
    search_fields = ("name", "redmine_id")


@admin.register(RedmineStatus)
class RedmineStatusAdmin(_ReferenceMappingAdmin):
    list_display = ("redmine_id", "name", "status", "push_default")
    list_editable = ("status", "push_default")


@admin.register(RedminePriority)
class RedminePriorityAdmin(_ReferenceMappingAdmin):
    list_display = ("redmine_id", "name", "priority", "push_default")
    list_editable = ("priority", "push_default")


@admin.register(RedmineUser)
class RedmineUserAdmin(admin.ModelAdmin):
    list_display = ("redmine_id", "login", "name", "email", "user")
    list_editable = ("user",)
    list_filter = (("user", admin.EmptyFieldListFilter),)
    search_fields = ("login", "name", "email", "user__username")
    raw_id_fields = ("user",)


@admin.register(RedmineLink)
class RedmineLinkAdmin(admin.ModelAdmin):
    count_phrase = ngettext_lazy("%(count)s Redmine link", "%(count)s Redmine links", "count")
    list_display = (
        "issue_id",
        "ticket",
        "project_id",
        "remote_updated_on",
        "synced_at",
        "unlinked_at",
    )
    search_fields = ("issue_id", "ticket__key")
    list_select_related = ("ticket",)
    readonly_fields = (
        "ticket",
        "issue_id",
        "project_id",
        "remote_updated_on",
        "last_journal_id",
        "synced_state",
        "own_journal_ids",
        "synced_at",
        "unlinked_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RedmineLink | None = None) -> bool:
        # A link is a tombstone once broken: deleting it would import the issue again.
        return False


@admin.register(RedminePush)
class RedminePushAdmin(admin.ModelAdmin):
    count_phrase = ngettext_lazy(
        "%(count)s push to Redmine", "%(count)s pushes to Redmine", "count"
    )
    list_display = ("created_at", "link", "fields", "comment", "state", "attempts", "last_error")
    list_filter = ("state",)
    list_select_related = ("link", "comment")
    search_fields = ("link__issue_id", "last_error")
    readonly_fields = (
        "link",
        "fields",
        "comment",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    exclude = ("claimed_until",)
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[RedminePush]) -> None:
        from integrations.redmine.push import retry

        ids = retry(queryset)
        self.message_user(request, _("%(count)s pushes queued again.") % {"count": len(ids)})


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """Mailboxes per queue, with "Test connection" and "Fetch now" (superusers, POST)."""

    list_display = ("address", "queue", "host", "is_active", "last_polled_at", "last_error")
    list_filter = ("is_active", "queue")
    search_fields = ("address", "host", "username")
    readonly_fields = ("last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("queue", "address", "is_active")}),
        (
            _("Server"),
            {
                "fields": (
                    "host",
                    "port",
                    "security",
                    "username",
                    "password_env",
                    "password_file",
                    "folder",
                )
            },
        ),
        (
            _("Processing"),
            {"fields": ("processed", "processed_folder", "allowed_domains", "answer_refused")},
        ),
        (_("State"), {"fields": ("last_polled_at", "last_error")}),
    )

    def get_urls(self) -> list[URLPattern]:
        def tool(route: str, view: Callable[..., HttpResponse], name: str) -> URLPattern:
            return path(
                route, self.admin_site.admin_view(view), name=f"integrations_mailbox_{name}"
            )

        return [
            tool("<int:pk>/test/", self.test_connection, "test"),
            tool("<int:pk>/fetch/", self.fetch_now, "fetch"),
            *super().get_urls(),
        ]

    def _tool(self, request: HttpRequest, pk: int) -> tuple[Mailbox | None, HttpResponse]:
        back = HttpResponseRedirect(reverse("admin:integrations_mailbox_change", args=[pk]))
        if request.method != "POST":
            return None, HttpResponseNotAllowed(["POST"])
        if not request.user.is_superuser:
            self.message_user(request, _("Only superusers run integration tools."), messages.ERROR)
            return None, back
        mailbox = Mailbox.objects.filter(pk=pk).first()
        if mailbox is None:
            return None, HttpResponseRedirect(reverse("admin:integrations_mailbox_changelist"))
        return mailbox, back

    def test_connection(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox, back = self._tool(request, pk)
        if mailbox is None:
            return back
        try:
            with mail_client.connect(mailbox) as imap:
                waiting = len(imap.new_uids())
        except mail_client.MailError as exc:
            advice = mail_advice(exc, server=f"{mailbox.host}:{mailbox.port}")
            self.message_user(request, as_message(advice, str(exc)), messages.ERROR)
            return back
        self.message_user(
            request,
            ngettext_lazy(
                "The mail server answers; %(count)s new mail waits in %(folder)s.",
                "The mail server answers; %(count)s new mails wait in %(folder)s.",
                waiting,
            )
            % {"count": waiting, "folder": mailbox.folder},
        )
        return back

    def fetch_now(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox, back = self._tool(request, pk)
        if mailbox is None:
            return back
        mail_fetch.delay(mailbox_id=mailbox.pk, trigger=f"admin: {request.user.get_username()}")
        self.message_user(request, _("Fetching was started; its run appears in the sync run log."))
        return back


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """Every fetched mail and what became of it (read only)."""

    count_phrase = ngettext_lazy("%(count)s incoming mail", "%(count)s incoming mails", "count")
    list_display = ("received_at", "sender", "subject", "outcome", "ticket", "reason")
    # A date filter, not date_hierarchy: that needs MariaDB's time zone tables.
    list_filter = ("outcome", "received_at", "mailbox", "answered")
    search_fields = ("sender", "subject", "message_id", "reason")
    list_select_related = ("ticket",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InboundMail | None = None) -> bool:
        return False
