"""Forms of the ticket pages: they parse and check input, the services decide and write.

Choices of statuses, priorities and queues come from the cached ``workflow()`` (no query);
a service's ``ValidationError`` is put back onto these forms with ``add_service_errors``.
"""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from tickets.models import Priority, Queue, Status, Ticket
from tickets.parsing import parse_id
from tickets.selectors import assignable_agents
from tickets.uploads import allowed_extensions, validate_uploads
from tickets.workflow import workflow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_MARKDOWN_LENGTH = 50_000

FieldT = TypeVar("FieldT", bound=forms.Field)
RowT = TypeVar("RowT")


def form_field(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """``form.fields[name]`` as the kind of field it is declared as."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def attachment_hint() -> str:
    """The limits of uploads, shown under every file field."""
    limit = settings.TICKET_ATTACHMENT_MAX_FILES
    return ngettext(
        "Up to %(count)d file of at most %(size)s. Allowed types: %(types)s.",
        "Up to %(count)d files of at most %(size)s each. Allowed types: %(types)s.",
        limit,
    ) % {
        "count": limit,
        "size": filesizeformat(settings.TICKET_ATTACHMENT_MAX_SIZE),
        "types": ", ".join(sorted(allowed_extensions())),
    }


def mark_invalid(form: forms.Form) -> None:
    """Give the widgets of fields with errors Bootstrap's ``is-invalid`` class."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            classes = widget.attrs.get("class", "")
            if "is-invalid" not in classes.split():
                widget.attrs["class"] = f"{classes} is-invalid".strip()


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the fields it names (the rest above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
    else:
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    mark_invalid(form)


class BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on those with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid(self)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the upload limits are checked as the services do."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Files"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault(
            "accept", ",".join(f".{ext}" for ext in sorted(allowed_extensions()))
        )

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = data if isinstance(data, list | tuple) else [data]
        cleaned = [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]
        cleaned = [upload for upload in cleaned if upload]
        if self.required and not cleaned:
            raise ValidationError(self.error_messages["required"], code="required")
        try:
            validate_uploads(cleaned)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("files", exc.messages)) from None
        return cleaned


class UserLookupField(forms.CharField):
    """A person given by user name (as the autocomplete fills it in) or by id."""

    default_error_messages = {"unknown": _("There is no active user “%(value)s”.")}

    # The field cleans to a person, not to the text CharField's signature promises.
    def to_python(self, value: Any) -> User | None:  # type: ignore[override]
        value = (super().to_python(value) or "").strip()
        if not value:
            return None
        match = Q(username__iexact=value)
        if parse_id(value) is not None:
            match |= Q(pk=parse_id(value))
        # A user name wins over an id that happens to look the same.
        found = sorted(
            User.objects.filter(match, is_active=True)[:2],
            key=lambda user: user.username.lower() != value.lower(),
        )
        if not found:
            raise ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": value}
            )
        return found[0]


def _queue_choices(current: Queue | None = None) -> list[tuple[int, str]]:
    queues = [q for q in workflow().queues if q.is_active or (current and q.pk == current.pk)]
    return [(queue.pk, f"{queue.name} ({queue.key_prefix})") for queue in queues]


def _priority_choices() -> list[tuple[int, str]]:
    return [(priority.pk, priority.name) for priority in workflow().priorities]


def _tag_names(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


class TicketCreateForm(BootstrapForm):
    """Filing a ticket. Agents and managers get the extra fields; others never see them."""

    AGENT_FIELDS = ("priority", "assignee", "requester", "due_date", "tags")

    queue = forms.TypedChoiceField(label=_("Queue"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_MARKDOWN_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # The form's metaclass takes declared fields off the class, so this does not shadow
    # ``BaseForm.files`` (the uploads); the stubs cannot tell.
    files = MultipleFileField()  # type: ignore[assignment]
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The queue's default assignee"),
    )
    requester = UserLookupField(
        label=_("Requester"),
        required=False,
        help_text=_("Leave empty to file the ticket for yourself."),
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas, for example: printer, vpn."),
    )

    def __init__(self, *args: Any, user: User, is_agent: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.is_agent = is_agent
        queues: list[tuple[int | str, StrOrPromise]] = list(_queue_choices())
        if len(queues) > 1:
            queues.insert(0, ("", _("Choose a queue")))
        form_field(self, "queue", forms.ChoiceField).choices = queues
        self.fields["files"].help_text = attachment_hint()
        if is_agent:
            form_field(self, "priority", forms.ChoiceField).choices = _priority_choices()
            self.fields["priority"].initial = workflow().default_priority.pk
            form_field(self, "assignee", forms.ModelChoiceField).queryset = assignable_agents()
            self.fields["requester"].widget.attrs.update(
                {
                    "data-people-url": reverse("tickets:people_lookup"),
                    "autocomplete": "off",
                    "autocapitalize": "none",
                }
            )
        else:
            for name in self.AGENT_FIELDS:
                del self.fields[name]

    def clean_queue(self) -> Queue:
        queue = workflow().queue(self.cleaned_data["queue"])
        if queue is None:  # gone since the form was shown
            raise ValidationError(_("Choose a queue from the list."))
        return queue

    def clean_priority(self) -> Priority:
        priority = workflow().priority(self.cleaned_data["priority"])
        if priority is None:  # gone since the form was shown
            raise ValidationError(_("Choose a priority from the list."))
        return priority

    def clean_tags(self) -> list[str]:
        return _tag_names(self.cleaned_data.get("tags", ""))

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``services.ticket_create`` (without actor and files)."""
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "queue": data["queue"],
            "title": data["title"],
            "description": data.get("description", ""),
        }
        if self.is_agent:
            arguments.update(
                priority=data.get("priority"),
                assignee=data.get("assignee"),
                requester=data.get("requester") or self.user,
                due_date=data.get("due_date"),
                tags=data.get("tags") or [],
            )
        return arguments


class TicketFieldForm(forms.Form):
    """One field of the side panel changed in place: ``field``, ``value`` and ``version``."""

    FIELDS = ("status", "priority", "assignee", "queue", "due_date", "tags", "requester")

    field = forms.ChoiceField(choices=[(name, name) for name in FIELDS])
    value = forms.CharField(required=False, max_length=500, strip=True)
    version = forms.IntegerField(min_value=1)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        name = data.get("field")
        if name is None or "value" not in data:
            return data
        parse = getattr(self, f"_parse_{name}")
        try:
            data["parsed"] = parse(data["value"])
        except ValidationError as exc:
            self.add_error("value", exc)
        return data

    def _from_workflow(
        self, value: str, lookup: Callable[[int], RowT | None], message: "StrOrPromise"
    ) -> RowT:
        pk = parse_id(value)
        found = lookup(pk) if pk is not None else None
        if found is None:
            raise ValidationError(message)
        return found

    def _parse_status(self, value: str) -> Status:
        return self._from_workflow(value, workflow().status, _("Choose a status from the list."))

    def _parse_priority(self, value: str) -> Priority:
        return self._from_workflow(
            value, workflow().priority, _("Choose a priority from the list.")
        )

    def _parse_queue(self, value: str) -> Queue:
        return self._from_workflow(value, workflow().queue, _("Choose a queue from the list."))

    def _parse_assignee(self, value: str) -> User | None:
        if not value:
            return None
        return UserLookupField().clean(value)

    def _parse_requester(self, value: str) -> User:
        requester = UserLookupField().clean(value)
        if requester is None:
            raise ValidationError(_("Choose who the ticket is for."))
        return requester

    def _parse_due_date(self, value: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None

    def _parse_tags(self, value: str) -> list[str]:
        return _tag_names(value)


class CommentForm(BootstrapForm):
    """A reply or internal note, optionally changing the status in the same step."""

    body = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_MARKDOWN_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    is_internal = forms.BooleanField(label=_("Internal note"), required=False)
    files = MultipleFileField()  # type: ignore[assignment]  # see TicketCreateForm
    status = forms.TypedChoiceField(
        label=_("Change the status"), required=False, coerce=int, empty_value=None
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ticket: Ticket, can_work: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = attachment_hint()
        self.fields["version"].initial = ticket.version
        if can_work:
            flow = workflow()
            targets = flow.allowed_targets(ticket.queue_id, ticket.status_id)
            choices: list[tuple[int | str, StrOrPromise]] = [("", _("Keep the status"))]
            choices += [
                (pk, status.name)
                for pk in targets
                if pk != ticket.status_id and (status := flow.status(pk)) is not None
            ]
            form_field(self, "status", forms.ChoiceField).choices = choices
        else:
            del self.fields["is_internal"]
            del self.fields["status"]

    def clean_status(self) -> Status | None:
        status_id = self.cleaned_data.get("status")
        return workflow().status(status_id) if status_id else None


class CommentEditForm(BootstrapForm):
    body = forms.CharField(label=_("Comment"), max_length=MAX_MARKDOWN_LENGTH)
    # Required of staff redacting someone's comment; the service decides who that is.
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class RequesterDecisionForm(forms.Form):
    """“The problem is solved” or “Open again”, with the version the page showed."""

    version = forms.IntegerField(min_value=1, required=False)


class AttachmentForm(BootstrapForm):
    files = MultipleFileField(required=True)  # type: ignore[assignment]  # see TicketCreateForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = attachment_hint()


class TakeForm(forms.Form):
    """“Take it” with the version the page was rendered with (none: taken whatever it is)."""

    version = forms.IntegerField(min_value=1, required=False)


class WatchForm(forms.Form):
    """Start or stop watching; agents may name someone else."""

    watching = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )
    username = UserLookupField(required=False)


class MarkdownPreviewForm(forms.Form):
    text = forms.CharField(required=False, max_length=MAX_MARKDOWN_LENGTH, strip=False)


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for a one-line flash message."""
    for errors in form.errors.values():
        for message in errors:
            return str(message)
    return ""
