"""The operator console for tickets. Ticket edits go through ``tickets.services``.

Queues, statuses, priorities and tags are configuration and are saved directly; tickets,
their comments and watchers are changed by the same service functions as the web UI,
so every admin edit has its history entry (source ``admin``) and its signal.
"""

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.roles import user_is_manager
from tickets import services
from tickets.models import (
    CannedReply,
    Comment,
    Macro,
    Priority,
    Queue,
    SavedView,
    Source,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    Transition,
    WipLimit,
)
from tickets.selectors import assignable_agents, user_can_work_ticket, visible_tickets
from tickets.workflow import workflow

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts, _FieldsetSpec
    from django.db.models import ForeignKey, ManyToManyField
    from django_stubs_ext import StrOrPromise, WithAnnotations


class _AgentCount(TypedDict):
    agents: int


def _operator(request: HttpRequest) -> User:
    """The staff member making the change: the admin site lets no one else in."""
    return cast(User, request.user)


def _swatch(colour: str) -> SafeString:
    # An SVG fill, not an inline style: the Content-Security-Policy forbids those.
    return format_html(
        '<svg class="hd-swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">'
        '<rect width="14" height="14" rx="3" fill="{}"/></svg> {}',
        colour,
        colour,
    )


class WipLimitInline(admin.TabularInline):
    model = WipLimit
    extra = 0


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    verbose_name_plural = _("allowed transitions (none: every change is allowed)")


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    count_phrase = ngettext_lazy("%(count)s queue", "%(count)s queues", "count")
    list_display = ("name", "key_prefix", "slug", "default_assignee", "agent_count", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "key_prefix", "slug")
    prepopulated_fields = {"slug": ("key_prefix",)}
    filter_horizontal = ("members",)
    inlines = [WipLimitInline, TransitionInline]

    # Only active agents (managers, administrators) work queues: requesters are not offered.
    def formfield_for_manytomany(
        self, db_field: "ManyToManyField[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "members":
            kwargs["queryset"] = assignable_agents()
        if db_field.name == "board_statuses":
            # A handful of statuses, in board order: ticks read better than a picker.
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(
        self, db_field: "ForeignKey[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "default_assignee":
            kwargs["queryset"] = assignable_agents()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> "QuerySet[Queue]":
        return (
            super()
            .get_queryset(request)
            .select_related("default_assignee")
            .annotate(agents=Count("members"))
        )

    @admin.display(description=_("agents"), ordering="agents")
    def agent_count(self, queue: "WithAnnotations[Queue, _AgentCount]") -> int:
        return queue.agents


class WorkflowAdmin(admin.ModelAdmin):
    """Statuses and priorities: rows are put in order by dragging them (or with the
    arrow buttons, from the keyboard); ``reorder_view`` saves the whole order at once."""

    list_display: tuple[str, ...] = ("name_ru", "name_en", "code", "order", "colour_swatch")
    # Not the first column (the handle): its buttons must not sit inside a link.
    list_display_links = ("name_ru",)
    search_fields = ("code", "name_ru", "name_en")
    # The rows are shown in their order, the one being edited: no sorting by other columns.
    sortable_by = ()
    change_list_template = "admin/tickets/workflow_change_list.html"

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if self.has_change_permission(request):
            return ("reorder_handle", *self.list_display)
        return self.list_display

    @admin.display(description=_("colour"), ordering="colour")
    def colour_swatch(self, item: Status | Priority) -> SafeString:
        return _swatch(item.colour)

    @admin.display(description=_("move"))
    def reorder_handle(self, item: Status | Priority) -> SafeString:
        return format_html(
            '<span class="hd-reorder" data-id="{}">'
            '<span class="hd-reorder-grip" aria-hidden="true" title="{}">⠿</span>'
            '<button type="button" class="hd-reorder-button" data-step="-1" aria-label="{}">'
            "▲</button>"
            '<button type="button" class="hd-reorder-button" data-step="1" aria-label="{}">'
            "▼</button></span>",
            item.pk,
            gettext("Drag to change the order"),
            gettext("Move “%(name)s” up") % {"name": item.name},
            gettext("Move “%(name)s” down") % {"name": item.name},
        )

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_reorder"
        reorder = path("reorder/", self.admin_site.admin_view(self.reorder_view), name=name)
        return [reorder, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_reorder")
        return super().changelist_view(request, {**(extra_context or {}), "reorder_url": url})

    @method_decorator(require_POST)
    def reorder_view(self, request: HttpRequest) -> JsonResponse:
        """Save the order of the rows posted as ``ids`` (all of them, or a filtered page's)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            ids = [int(value) for value in request.POST.getlist("ids")]
            services.workflow_reorder(model=self.model, ids=ids)
        except ValueError:
            return JsonResponse({"error": gettext("The order could not be read.")}, status=400)
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages)}, status=409)
        orders = dict(self.model._default_manager.values_list("pk", "order"))
        return JsonResponse({"order": {str(pk): order for pk, order in orders.items()}})


@admin.register(Status)
class StatusAdmin(WorkflowAdmin):
    count_phrase = ngettext_lazy("%(count)s status", "%(count)s statuses", "count")
    list_display = (*WorkflowAdmin.list_display, "is_closed")


@admin.register(Priority)
class PriorityAdmin(WorkflowAdmin):
    count_phrase = ngettext_lazy("%(count)s priority", "%(count)s priorities", "count")
    list_display = (*WorkflowAdmin.list_display, "is_default", "is_high")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    count_phrase = ngettext_lazy("%(count)s tag", "%(count)s tags", "count")
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Shared (a queue's) and personal replies; the model's ``clean`` refuses unknown
    placeholders with the list of known ones."""

    list_display = ("title", "queue", "owner", "usage_count", "updated_at")
    list_filter = ("queue",)
    list_select_related = ("queue", "owner")
    search_fields = ("title", "body", "owner__username")
    autocomplete_fields = ("owner",)
    readonly_fields = ("usage_count",)

    def save_model(self, request: HttpRequest, obj: CannedReply, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "queue", "status", "priority", "assignee_mode", "reply", "is_active")
    list_filter = ("is_active", "queue")
    list_select_related = ("queue", "status", "priority", "reply")
    search_fields = ("name",)
    autocomplete_fields = ("assignee",)
    fieldsets = (
        (None, {"fields": ("name", "queue", "order", "is_active")}),
        (
            _("changes"),
            {
                "fields": (
                    "status",
                    "priority",
                    "assignee_mode",
                    "assignee",
                    "tags_add",
                    "tags_remove",
                    "reply",
                    "reply_is_internal",
                )
            },
        ),
    )


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "query", "created_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)


class TicketAdminForm(forms.ModelForm):
    """Checks the rules the services enforce, so the admin shows them as form errors."""

    seen_version = forms.IntegerField(
        label=_("version you saw"), widget=forms.HiddenInput, required=False
    )

    class Meta:
        model = Ticket
        fields = (
            "queue",
            "title",
            "description",
            "requester",
            "assignee",
            "status",
            "priority",
            "due_date",
            "tags",
            "watchers",
        )

    # Set by TicketAdmin.get_form: the operator making the change.
    actor: User | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version
        # Empty means the defaults: the initial status and the default priority.
        self.fields["status"].required = False
        self.fields["priority"].required = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        ticket = self.instance
        if ticket.pk and self.actor is not None and not user_can_work_ticket(self.actor, ticket):
            raise ValidationError(_("You cannot change this ticket."))
        if ticket.pk:
            current = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first()
            seen = cleaned.get("seen_version")
            if seen is not None and current is not None and seen != current:
                raise ValidationError(
                    _("Someone changed this ticket while you were editing it. Reload the page.")
                )
            status = cleaned.get("status")
            queue = cleaned.get("queue") or ticket.queue
            if status and not workflow().transition_allowed(queue.pk, ticket.status_id, status.pk):
                self.add_error("status", _("The queue's rules do not allow this status change."))
        assignee = cleaned.get("assignee")
        try:
            services.validate_assignee(assignee)
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class CommentAdminForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Internal or not is decided when writing; the text stays editable.
        if self.instance.pk:
            self.fields["is_internal"].disabled = True


class CommentInline(admin.StackedInline):
    model = Comment
    form = CommentAdminForm
    extra = 0
    fields = (
        "author",
        "created_at",
        "is_internal",
        "body",
        "edit_reason",
        "edited_at",
        "edited_by",
        "source",
    )
    readonly_fields = ("author", "created_at", "edited_at", "edited_by", "source")
    can_delete = False
    show_change_link = False
    # Folded (a <details>): the ticket's own fields come first; a long thread is one click.
    classes = ("collapse",)

    def get_queryset(self, request: HttpRequest) -> "QuerySet[Comment]":
        comments = super().get_queryset(request).select_related("author")
        # Staff who are not managers only see what the web UI would show them.
        return comments if user_is_manager(request.user) else comments.filter(is_internal=False)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ("created_at", "actor", "source", "kind", "field", "old_value", "new_value")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("history")
    classes = ("collapse",)

    def has_add_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> "QuerySet[TicketEvent]":
        events = super().get_queryset(request).select_related("actor")
        return events if user_is_manager(request.user) else events.filter(is_internal=False)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    count_phrase = ngettext_lazy("%(count)s ticket", "%(count)s tickets", "count")
    form = TicketAdminForm
    list_display = (
        "key",
        "title",
        "status",
        "priority",
        "queue",
        "requester",
        "assignee",
        "due_date",
        "updated_at",
    )
    list_display_links = ("key", "title")
    list_filter = ("status", "priority", "queue", "source", "created_at", "due_date")
    list_select_related = ("status", "priority", "queue", "requester", "assignee")
    search_fields = ("=key", "title", "requester__username", "assignee__username")
    autocomplete_fields = ("requester", "assignee", "watchers", "tags")
    readonly_fields = (
        "key",
        "source",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
        "version",
    )
    # No date_hierarchy: on MySQL/MariaDB it needs the server's time zone tables loaded.
    inlines = [CommentInline, TicketEventInline]
    actions = ["close_tickets", "assign_to_me"]
    list_per_page = 50

    def get_fieldsets(self, request: HttpRequest, obj: Ticket | None = None) -> "_FieldsetSpec":
        main = (
            "queue",
            "title",
            "description",
            ("requester", "assignee"),
            ("status", "priority", "due_date"),
            "tags",
            "watchers",
            "seen_version",
        )
        fieldsets: list[tuple[StrOrPromise | None, _FieldOpts]] = [(None, {"fields": main})]
        if obj is not None:
            fieldsets.append(
                (_("Record"), {"fields": self.readonly_fields, "classes": ("collapse",)})
            )
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> "QuerySet[Ticket]":
        # The same visibility as everywhere else (tickets.selectors).
        return (
            super().get_queryset(request).filter(pk__in=visible_tickets(request.user).values("pk"))
        )

    def get_form(
        self, request: HttpRequest, obj: Ticket | None = None, change: bool = False, **kwargs: Any
    ) -> "type[forms.ModelForm[Ticket]]":
        form = super().get_form(request, obj, change=change, **kwargs)
        if issubclass(form, TicketAdminForm):  # always: built from ``self.form``
            form.actor = _operator(request)
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        # History must stay: only superusers delete tickets (e.g. spam, test data).
        return request.user.is_superuser

    # --- Saving through the services -------------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: Ticket, form: TicketAdminForm, change: bool
    ) -> None:
        data = form.cleaned_data
        tags = [tag.name for tag in data.get("tags") or []]
        if not change:
            ticket = services.ticket_create(
                actor=_operator(request),
                queue=data["queue"],
                title=data["title"],
                description=data.get("description", ""),
                requester=data["requester"],
                assignee=data.get("assignee"),
                priority=data.get("priority"),
                status=data.get("status"),
                due_date=data.get("due_date"),
                tags=tags,
                watchers=data.get("watchers") or [],
                source=Source.ADMIN,
            )
            obj.pk = ticket.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        changes = {
            name: data[name]
            for name in form.changed_data
            if name in services.UPDATABLE_FIELDS and name != "tags"
        }
        if "tags" in form.changed_data:
            changes["tags"] = tags
        if changes.get("status") is None:
            changes.pop("status", None)
        if changes.get("priority") is None:
            changes.pop("priority", None)
        if changes:
            try:
                services.ticket_update(
                    actor=_operator(request),
                    ticket=obj,
                    source=Source.ADMIN,
                    version=data.get("seen_version"),
                    **changes,
                )
            except services.TicketError as exc:  # changed between the form check and now
                self.message_user(request, exc.message, messages.ERROR)
        if "watchers" in form.changed_data:
            wanted = set(data.get("watchers") or [])
            current = set(obj.watchers.all())
            for user, watching in [(u, True) for u in wanted - current] + [
                (u, False) for u in current - wanted
            ]:
                services.ticket_watch(
                    actor=_operator(request),
                    ticket=obj,
                    user=user,
                    watching=watching,
                    source=Source.ADMIN,
                )
        obj.refresh_from_db()

    def save_related(
        self,
        request: HttpRequest,
        form: TicketAdminForm,
        formsets: "list[BaseInlineFormSet[Any, Ticket, Any]]",
        change: bool,
    ) -> None:
        # Tags and watchers were saved by the services in save_model, not by the form.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self,
        request: HttpRequest,
        form: TicketAdminForm,
        formset: "BaseInlineFormSet[Any, Ticket, Any]",
        change: bool,
    ) -> None:
        # The admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not Comment:
            return
        ticket = form.instance
        for comment_form in formset.forms:
            if not comment_form.has_changed() or not comment_form.is_valid():
                continue
            data = comment_form.cleaned_data
            if comment_form.instance.pk:
                try:
                    edited = services.comment_edit(
                        actor=_operator(request),
                        comment=comment_form.instance,
                        body=data["body"],
                        reason=data.get("edit_reason", ""),
                        source=Source.ADMIN,
                    )
                except (PermissionDenied, ValidationError) as exc:
                    # The rule of the ticket page: a reason to redact, authors for a while.
                    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                    continue
                formset.changed_objects.append((edited, comment_form.changed_data))
            else:
                added = services.comment_add(
                    actor=_operator(request),
                    ticket=ticket,
                    body=data["body"],
                    is_internal=data.get("is_internal", False),
                    source=Source.ADMIN,
                )
                formset.new_objects.append(added)

    # --- Actions ----------------------------------------------------------------------

    def _bulk(self, request: HttpRequest, queryset: "QuerySet[Ticket]", **changes: Any) -> None:
        try:
            result = services.tickets_bulk_update(
                actor=_operator(request), tickets=list(queryset), source=Source.ADMIN, **changes
            )
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, "; ".join(getattr(exc, "messages", [str(exc)])),
                              messages.ERROR)  # fmt: skip
            return
        count = len(result.updated)
        self.message_user(
            request,
            ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        for ticket, reason in result.skipped:
            self.message_user(request, f"{ticket.key}: {reason}", messages.WARNING)

    @admin.action(description=_("Close the selected tickets"))
    def close_tickets(self, request: HttpRequest, queryset: "QuerySet[Ticket]") -> None:
        close = workflow().close_status
        if close is None:
            self.message_user(request, _("There is no closed status."), messages.ERROR)
            return
        self._bulk(request, queryset, status=close)

    @admin.action(description=_("Assign the selected tickets to me"))
    def assign_to_me(self, request: HttpRequest, queryset: "QuerySet[Ticket]") -> None:
        self._bulk(request, queryset, assignee=request.user)
