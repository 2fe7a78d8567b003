"""The ticket list's filters in the REST API: the web list's URL parameters, read as
strictly as the OpenAPI schema describes them.

The filtering itself is ``tickets.filters``, shared with the web list; this declares the
parameters for the browsable API and the schema, and reads them the API's way: dates as
``YYYY-MM-DD``, ``overdue`` as ``true``/``false``, one tag per ``tag``, and a bad value is
a 400 with the field's message instead of a filter silently left out.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import Viewer
from helpdesk.api import StrictBooleanFilter, StrictBooleanFormField
from helpdesk.api_fields import ISO_DATE
from tickets.filters import (
    DATE_RANGES,
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_TAGS,
    ME_CHOICES,
    SORT_CHOICES,
    STATE_ALL,
    STATE_CLOSED,
    STATE_OPEN,
    TagsInput,
    TicketFilterForm,
    filter_tickets,
)
from tickets.models import Tag, Ticket
from tickets.workflow import workflow


def _codes(rows_name: str, attr: str = "code") -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(getattr(row, attr), row.name) for row in getattr(workflow(), rows_name)]


class IsoDateFormField(forms.DateField):
    """A date as ``YYYY-MM-DD`` only, the schema's ``date`` (the web list also reads the
    local ways of writing one)."""

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if not ISO_DATE.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class ApiTagsField(forms.Field):
    """Each ``tag`` parameter is one tag name, read as tags are stored ("VPN Client" is
    ``vpn-client``); at most ``MAX_TAGS`` parameters."""

    widget = TagsInput

    def to_python(self, value: Any) -> list[str]:
        values = [value] if isinstance(value, str) else list(value or [])
        if len(values) > MAX_TAGS:
            raise forms.ValidationError(
                _("Choose at most %(limit)d tags."), params={"limit": MAX_TAGS}
            )
        names = []
        for text in values:
            name = Tag.normalize(text)
            if name and name not in names:
                names.append(name)
        return names


class ApiTicketFilterForm(TicketFilterForm):
    """The web list's form, read as the API's schema describes it: dates as ``YYYY-MM-DD``,
    ``overdue`` as ``true``/``false``, one tag per ``tag``. Any date is a valid filter
    (one before 1900 or after 2999 filters as those years would), and a range that ends
    before it starts matches no ticket instead of being an error."""

    def __init__(self, data: QueryDict | None = None, *, user: Viewer, **kwargs: Any) -> None:
        super().__init__(data, user=user, **kwargs)
        for name in (field for pair in DATE_RANGES for field in pair):
            self.fields[name] = IsoDateFormField(label=self.fields[name].label, required=False)
        self.fields["overdue"] = StrictBooleanFormField(
            label=self.fields["overdue"].label, required=False
        )
        self.fields["tag"] = ApiTagsField(label=self.fields["tag"].label, required=False)

    def _clean_dates(self, cleaned: dict) -> None:
        for name in (field for pair in DATE_RANGES for field in pair):
            if cleaned.get(name) is not None:
                cleaned[name] = min(max(cleaned[name], EARLIEST_DATE), LATEST_DATE)


class TagsFilter(django_filters.CharFilter):
    """``tag``, repeated for several tags (see ``ApiTagsField``)."""

    several = True
    max_values = MAX_TAGS


class TicketFilterSet(django_filters.FilterSet):
    """The API's filters, with the same names and meaning as the web list's URL.

    Declared here for the browsable API and the OpenAPI schema; the filtering itself is
    ``tickets.filters``, shared with the web list. Unlike the web list, a bad value is
    a 400 with the field's message, not a filter silently left out.
    """

    q = django_filters.CharFilter(
        label=_("Text"),
        help_text=_("Full text, Russian word forms included, or a key."),
        max_length=200,
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[(STATE_OPEN, _("Open")), (STATE_CLOSED, _("Closed")), (STATE_ALL, _("All"))],
        help_text=_("open (default), closed or all; chosen statuses take its place."),
    )
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=_codes("statuses"))
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"), choices=_codes("priorities")
    )
    queue = django_filters.MultipleChoiceFilter(label=_("Queue"), choices=_codes("queues", "slug"))
    assignee = django_filters.CharFilter(
        label=_("Assignee"),
        help_text=_("me, none (unassigned), a user id or user name."),
        max_length=150,
    )
    requester = django_filters.CharFilter(
        label=_("Requester"), help_text=_("me, a user id or user name."), max_length=150
    )
    tag = TagsFilter(
        label=_("Tags"), help_text=_("Tickets carrying every tag given (repeat the parameter).")
    )
    created_from = django_filters.DateFilter(label=_("Created from"))
    created_to = django_filters.DateFilter(label=_("Created to"))
    updated_from = django_filters.DateFilter(label=_("Updated from"))
    updated_to = django_filters.DateFilter(label=_("Updated to"))
    due_from = django_filters.DateFilter(label=_("Due from"))
    due_to = django_filters.DateFilter(label=_("Due to"))
    overdue = StrictBooleanFilter(label=_("Overdue only"))
    mentioned = django_filters.ChoiceFilter(
        label=_("Mentioned since my last answer"),
        choices=ME_CHOICES,
        help_text=_("Tickets where a comment named me with @ after my last comment there."),
    )
    awaiting = django_filters.ChoiceFilter(
        label=_("Requester replied, waiting for me"),
        choices=ME_CHOICES,
        help_text=_("My tickets whose last public comment is the requester's."),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=SORT_CHOICES,
        help_text=_("A field, or -field for descending; relevance when searching."),
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    @property
    def form(self) -> TicketFilterForm:
        # The web list's form: the same validation and the same error messages.
        if not hasattr(self, "_form"):
            self._form = ApiTicketFilterForm(self.data, user=self.request.user)
        return self._form

    def filter_queryset(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        return filter_tickets(queryset, form=self.form, user=self.request.user)
