"""The operators' view of notifications and their deliveries: read-only, except that
failed deliveries can be sent again (``notifications.services.deliveries_retry``)."""

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from notifications import services
from notifications.models import Delivery, Notification
from notifications.text import render

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, "StrOrPromise"]]:
        return [("yes", _("Read")), ("no", _("Unread"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Notification]
    ) -> QuerySet[Notification]:
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "state", "attempts", "last_error", "created_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False


def _ticket_key(notification: Notification) -> str:
    return notification.params.get("key", "")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    count_phrase = ngettext_lazy("%(count)s notification", "%(count)s notifications", "count")
    list_display = ("id", "recipient", "event", "ticket_key", "created_at", "is_read")
    list_filter = ("event", ReadFilter, "created_at")
    list_select_related = ("recipient",)
    search_fields = ("ticket__key", "recipient__username")
    # No date_hierarchy: on MySQL/MariaDB it needs the server's time zone tables loaded.
    inlines = (DeliveryInline,)
    fields = (
        "recipient",
        "event",
        "ticket",
        "actor",
        "text",
        "params",
        "once_key",
        "created_at",
        "read_at",
    )
    readonly_fields = fields

    @admin.display(description=_("ticket"), ordering="ticket__key")
    def ticket_key(self, notification: Notification) -> str:
        return _ticket_key(notification)

    @admin.display(description=_("read"), boolean=True, ordering="read_at")
    def is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None

    @admin.display(description=_("text"))
    def text(self, notification: Notification) -> str:
        return render(notification, language=translation.get_language())["title"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    count_phrase = ngettext_lazy("%(count)s delivery", "%(count)s deliveries", "count")
    list_display = (
        "id",
        "notification_link",
        "channel",
        "state",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    )
    list_filter = ("state", "channel", "created_at")
    list_select_related = ("notification__recipient",)
    search_fields = ("notification__ticket__key", "notification__recipient__username")
    actions = ("retry_selected",)
    fields = (
        "notification",
        "channel",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_until",
        "sent_at",
    )
    readonly_fields = fields

    @admin.display(description=_("notification"), ordering="notification")
    def notification_link(self, row: Delivery) -> str:
        notification = row.notification
        return f"{_ticket_key(notification)} → {notification.recipient}"

    @admin.display(description=_("last error"))
    def error(self, row: Delivery) -> str:
        return Truncator(row.last_error).chars(80)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Retry the selected failed deliveries"), permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        retried = services.deliveries_retry(delivery_ids=ids)
        skipped = len(ids) - retried
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery will be sent again.",
                    "%(count)d deliveries will be sent again.",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery was not retried: only failed ones are.",
                    "%(count)d deliveries were not retried: only failed ones are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
