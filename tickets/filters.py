"""The ticket list's filters, search and sort, read from a query string.

``TicketFilterForm`` validates the GET parameters; ``filter_tickets`` applies whatever was
valid to a queryset of tickets the user may see. A bad value becomes a field error and
that filter is left out, so a mistyped or outdated URL still shows a list. The web list
and the REST API share these, so both understand the same URLs.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User, Viewer
from tickets import extensions
from tickets.forms import form_field
from tickets.models import Priority, Status, Tag, Ticket
from tickets.parsing import parse_id
from tickets.search import KEY
from tickets.selectors import (
    awaiting_answer,
    mentioned_since_answer_q,
    search_visible_tickets,
    user_works_queues,
)
from tickets.workflow import workflow

STATE_OPEN = "open"
STATE_CLOSED = "closed"
STATE_ALL = "all"
DEFAULT_SORT = "-updated"
PER_PAGE_CHOICES = (25, 50, 100)
MAX_TAGS = 10
# Parameters that narrow the list (as opposed to sort, page size and page).
FILTER_FIELDS = (
    "q",
    "state",
    "status",
    "priority",
    "queue",
    "assignee",
    "requester",
    "tag",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "due_from",
    "due_to",
    "overdue",
    "mentioned",
    "awaiting",
)
# "me" is the only value of ``mentioned`` and ``awaiting``: what waits for the viewer.
ME_CHOICES = [("me", _("me"))]
DATE_RANGES = (
    ("created_from", "created_to"),
    ("updated_from", "updated_to"),
    ("due_from", "due_to"),
)


def _key_prefix() -> Substr:
    # "HD-42" -> "HD-": keys sort by prefix, then numerically (HD-9 before HD-10).
    return Substr("key", 1, StrIndex("key", Value("-")))


# Sort name -> ORDER BY terms for ascending order (descending reverses each term).
SORTS = {
    "key": (_key_prefix(), F("number")),
    "title": (F("title"),),
    "status": (F("status__order"),),
    # Priority.order grows with urgency: "-priority" is the most urgent first.
    "priority": (F("priority__order"),),
    "queue": (F("queue__name"),),
    "assignee": (F("assignee__last_name"), F("assignee__first_name"), F("assignee__username")),
    "requester": (F("requester__last_name"), F("requester__first_name"), F("requester__username")),
    "created": (F("created_at"),),
    "updated": (F("updated_at"),),
    "due": (F("due_date"),),
}
# Empty values go last in both directions. Only where they can occur: MySQL emulates
# NULLS LAST with an expression, which would keep it from reading the order off an index.
NULLABLE_SORTS = frozenset({"assignee", "due"})
SORT_CHOICES = [(name, name) for name in SORTS] + [(f"-{name}", f"-{name}") for name in SORTS]


@dataclass(frozen=True)
class PersonFilter:
    """A requester or assignee filter: ``me``, ``none`` (unassigned) or one ``user``."""

    kind: str
    user: User | None = None

    @property
    def param(self) -> str:
        if self.kind in ("me", "none") or self.user is None:
            return self.kind
        return self.user.username


class TagsInput(forms.TextInput):
    """One text box showing every chosen tag; reads repeated ``tag`` parameters too."""

    def value_from_datadict(
        self, data: Mapping[str, Any], files: MultiValueDict[str, Any], name: str
    ) -> Any:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def format_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return " ".join(str(item) for item in value) or None
        return super().format_value(value)


class TagsField(forms.Field):
    """Tag names from repeated parameters and/or one text, separated by commas or spaces."""

    widget = TagsInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        texts = [value] if isinstance(value, str) else list(value)
        names = []
        for text in texts:
            for part in str(text).replace(",", " ").split():
                name = Tag.normalize(part)
                if name and name not in names:
                    names.append(name)
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(
                _("Choose at most %(limit)d tags."), params={"limit": MAX_TAGS}
            )
        return names


class PersonField(forms.CharField):
    """``me``, ``none`` or a user id or user name; resolved to people by the form."""

    def __init__(self, *, allow_none: bool, **kwargs: Any) -> None:
        self.allow_none = allow_none
        super().__init__(required=False, max_length=150, strip=True, **kwargs)

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value.lower() in ("me", "none"):
            value = value.lower()
        if value == "none" and not self.allow_none:
            raise forms.ValidationError(_("Every ticket has a requester."))
        return value


class TicketFilterForm(forms.Form):
    """The list's GET parameters. Build it with ``data=request.GET`` and ``user=``."""

    q = forms.CharField(label=_("Text"), required=False, max_length=200, strip=True)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            (STATE_OPEN, _("Open")),
            (STATE_CLOSED, _("Closed")),
            (STATE_ALL, _("All")),
        ],
        help_text=_("Chosen statuses take the place of this."),
    )
    status = forms.MultipleChoiceField(label=_("Status"), required=False)
    priority = forms.MultipleChoiceField(label=_("Priority"), required=False)
    queue = forms.MultipleChoiceField(label=_("Queue"), required=False)
    assignee = PersonField(label=_("Assignee"), allow_none=True)
    requester = PersonField(label=_("Requester"), allow_none=False)
    tag = TagsField(label=_("Tags"), required=False)
    created_from = forms.DateField(label=_("Created from"), required=False)
    created_to = forms.DateField(label=_("Created to"), required=False)
    updated_from = forms.DateField(label=_("Updated from"), required=False)
    updated_to = forms.DateField(label=_("Updated to"), required=False)
    due_from = forms.DateField(label=_("Due from"), required=False)
    due_to = forms.DateField(label=_("Due to"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mentioned = forms.ChoiceField(
        label=_("Mentioned since my last answer"),
        required=False,
        choices=ME_CHOICES,
        help_text=_("Tickets where a comment named me with @ after my last comment there."),
    )
    awaiting = forms.ChoiceField(
        label=_("Requester replied, waiting for me"),
        required=False,
        choices=ME_CHOICES,
        help_text=_("My tickets whose last public comment is the requester's."),
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    per_page = forms.TypedChoiceField(
        label=_("Per page"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data: QueryDict | None = None, *, user: Viewer, **kwargs: Any) -> None:
        super().__init__(data if data is not None else QueryDict(), **kwargs)
        self.user = user
        flow = workflow()
        statuses = [(s.code, s.name) for s in flow.statuses]
        form_field(self, "status", forms.ChoiceField).choices = statuses
        priorities = [(p.code, p.name) for p in flow.priorities]
        form_field(self, "priority", forms.ChoiceField).choices = priorities
        form_field(self, "queue", forms.ChoiceField).choices = [
            (q.slug, q.name) for q in flow.queues
        ]
        sizes = sorted({*PER_PAGE_CHOICES, settings.TICKETS_PER_PAGE})
        per_page = [(str(size), str(size)) for size in sizes]
        form_field(self, "per_page", forms.ChoiceField).choices = per_page
        # Filters and sorts other apps add (``tickets.extensions``).
        for extra in extensions.list_filters():
            self.fields[extra.name] = forms.ChoiceField(
                label=str(extra.label), required=False, choices=[("", "—"), *extra.choices()]
            )
        extra_sorts = [(name, name) for name in extensions.list_sorts()]
        form_field(self, "sort", forms.ChoiceField).choices = [
            *SORT_CHOICES,
            *extra_sorts,
            *((f"-{name}", f"-{name}") for name, _label in extra_sorts),
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._clean_people(cleaned)
        self._clean_dates(cleaned)
        return cleaned

    def _clean_dates(self, cleaned: dict) -> None:
        """Dates outside EARLIEST_DATE..LATEST_DATE and reversed ranges are errors (and
        left out, or the start of a reversed range is)."""
        for name in (field for pair in DATE_RANGES for field in pair):
            day = cleaned.get(name)
            if day is not None and not (EARLIEST_DATE <= day <= LATEST_DATE):
                self.add_error(
                    name,
                    _("Choose a date between %(start)s and %(end)s.")
                    % {"start": EARLIEST_DATE.year, "end": LATEST_DATE.year},
                )
                cleaned.pop(name, None)
        for start, end in DATE_RANGES:
            if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
                self.add_error(end, _("The end date is before the start date."))
                cleaned.pop(start, None)

    def _clean_people(self, cleaned: dict) -> None:
        """Turn ``assignee``/``requester`` into ``PersonFilter`` (one query for both)."""
        wanted = {name: cleaned.get(name) for name in ("assignee", "requester")}
        if not user_works_queues(self.user):
            # People who do not work tickets may not look others up by id or name.
            for name, value in list(wanted.items()):
                if value and value not in ("me", "none"):
                    message = (
                        _("Choose “me” or “unassigned”.")
                        if name == "assignee"
                        else _("Choose “me”.")
                    )
                    self.add_error(name, message)
                    wanted[name] = None
        lookups = [v for v in wanted.values() if v and v not in ("me", "none")]
        found: list[User] = []
        if lookups:
            condition = Q()
            for value in lookups:
                condition |= Q(username__iexact=value)
                if parse_id(value) is not None:
                    condition |= Q(pk=parse_id(value))
            found = list(User.objects.filter(condition))
        for name, value in wanted.items():
            if not value:
                if name in cleaned:
                    cleaned[name] = None
            elif value in ("me", "none"):
                me = self.user if isinstance(self.user, User) else None
                cleaned[name] = PersonFilter(kind=value, user=me if value == "me" else None)
            else:
                user = next((u for u in found if u.username.lower() == value.lower()), None)
                if user is None and parse_id(value) is not None:
                    user = next((u for u in found if u.pk == parse_id(value)), None)
                if user is None:
                    self.add_error(name, _("There is no user “%(name)s”.") % {"name": value})
                else:
                    cleaned[name] = PersonFilter(kind="user", user=user)

    # --- Reading the valid values ---------------------------------------------------------

    def value(self, name: str, default: Any = None) -> Any:
        """A cleaned value, or ``default`` when it was absent or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "", [], False) else value

    @property
    def searching(self) -> bool:
        return bool(self.value("q"))

    @property
    def current_sort(self) -> str:
        """The applied sort; ``""`` means relevance (a search without a chosen sort)."""
        chosen = self.value("sort")
        if chosen:
            return chosen
        return "" if self.searching else DEFAULT_SORT

    @property
    def current_per_page(self) -> int:
        return self.value("per_page", settings.TICKETS_PER_PAGE)

    @property
    def current_state(self) -> str:
        return self.value("state", self.default_state)

    @property
    def default_state(self) -> str:
        """Open tickets, except when the search is a key: that ticket, open or not."""
        return STATE_ALL if KEY.match(self.value("q") or "") else STATE_OPEN

    @property
    def hides_closed(self) -> bool:
        """Is the list limited to open tickets (the default, or chosen), not to statuses?"""
        return (
            not self.value("status")
            and self.value("state") is None
            and (self.default_state == STATE_OPEN)
        )

    @property
    def extra_filters(self) -> list[forms.BoundField]:
        """The filters other apps added, for the list's filter panel."""
        return [self[extra.name] for extra in extensions.list_filters()]

    @property
    def has_filters(self) -> bool:
        """Does the URL narrow the list beyond the default (open tickets)?"""
        return any(
            self.value(name) is not None
            and not (name == "state" and self.current_state == self.default_state)
            for name in (*FILTER_FIELDS, *(extra.name for extra in extensions.list_filters()))
        )


# Dates outside these cannot be turned into moments in every time zone (and mean a typo).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _person_q(field: str, person: PersonFilter) -> Q:
    if person.kind == "none" or person.user is None:  # only "none" has no user
        return Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}_id": person.user.pk})


def apply_filters(tickets: QuerySet[Ticket], form: TicketFilterForm) -> QuerySet[Ticket]:
    """Narrow ``tickets`` by every valid filter of ``form`` (no search, no order)."""
    flow = workflow()
    statuses = form.value("status")
    if statuses:
        # Chosen statuses say exactly what to show, so they take the place of the state.
        tickets = tickets.filter(status_id__in=[s.pk for s in flow.statuses if s.code in statuses])
    elif form.current_state == STATE_OPEN:
        tickets = tickets.filter(status_id__in=flow.open_status_ids)
    elif form.current_state == STATE_CLOSED:
        tickets = tickets.filter(status_id__in=flow.closed_status_ids)
    priorities = form.value("priority")
    if priorities:
        tickets = tickets.filter(
            priority_id__in=[p.pk for p in flow.priorities if p.code in priorities]
        )
    queues = form.value("queue")
    if queues:
        tickets = tickets.filter(queue_id__in=[q.pk for q in flow.queues if q.slug in queues])
    for name in ("assignee", "requester"):
        person = form.value(name)
        if person is not None:
            tickets = tickets.filter(_person_q(name, person))
    for tag in form.value("tag", []):
        # One join per tag: a ticket must carry every chosen tag.
        tickets = tickets.filter(tags__name=tag)
    for field, name in (("created_at", "created"), ("updated_at", "updated")):
        start, end = form.value(f"{name}_from"), form.value(f"{name}_to")
        if start:
            tickets = tickets.filter(**{f"{field}__gte": _day_start(start)})
        if end:
            tickets = tickets.filter(**{f"{field}__lt": _day_start(end + timedelta(days=1))})
    if form.value("due_from"):
        tickets = tickets.filter(due_date__gte=form.value("due_from"))
    if form.value("due_to"):
        tickets = tickets.filter(due_date__lte=form.value("due_to"))
    if form.value("overdue"):
        tickets = tickets.filter(
            due_date__lt=timezone.localdate(), status_id__in=flow.open_status_ids
        )
    for extra in extensions.list_filters():
        if form.value(extra.name):
            tickets = extra.apply(tickets, form.value(extra.name))
    me = form.user if isinstance(form.user, User) else None
    if form.value("mentioned") and me is not None:
        tickets = tickets.filter(mentioned_since_answer_q(me))
    if form.value("awaiting") and me is not None:
        tickets = awaiting_answer(tickets, me)
    return tickets


def ordering(sort: str) -> list:
    """ORDER BY terms for a sort name (``""`` = relevance), always ending with ``-id``."""
    if not sort:
        return [F("search_rank").desc(), F("id").desc()]
    descending = sort.startswith("-")
    extra = extensions.list_sorts().get(sort.lstrip("-"))
    if extra is not None:
        terms = extra.terms()
        order = [t.desc(nulls_last=True) if descending else t.asc(nulls_last=True) for t in terms]
        return [*order, F("id").desc()]
    name = sort.lstrip("-") if sort.lstrip("-") in SORTS else DEFAULT_SORT.lstrip("-")
    nulls_last = True if name in NULLABLE_SORTS else None
    order = [
        term.desc(nulls_last=nulls_last) if descending else term.asc(nulls_last=nulls_last)
        for term in _sort_terms(name)
    ]
    return [*order, F("id").desc()]


def _sort_terms(name: str) -> tuple:
    """The terms of a sort; by status or priority the ticket's own column when it can.

    When ids grow with ``order`` (as the defaults do), ordering by ``priority_id`` is the
    same as by ``priority.order`` and the database can read it off the ticket's index
    instead of joining and sorting every row.
    """
    flow = workflow()
    columns: dict[str, Sequence[Status | Priority]] = {
        "status": flow.statuses,
        "priority": flow.priorities,
    }
    rows = columns.get(name)
    if rows is not None:
        by_order = [row.pk for row in sorted(rows, key=lambda row: (row.order, row.pk))]
        if by_order == sorted(by_order):
            return (F(f"{name}_id"),)
    return SORTS[name]


def filter_tickets(
    tickets: QuerySet[Ticket], *, form: TicketFilterForm, user: Viewer
) -> QuerySet[Ticket]:
    """Visible ``tickets`` narrowed by the form's filters and search, in the chosen order.

    ``tickets`` must already be limited to what ``user`` may see; the search also uses
    ``user`` to decide whose internal notes it reads.
    """
    form.is_valid()
    tickets = apply_filters(tickets, form)
    if form.searching:
        tickets = search_visible_tickets(user, form.value("q"), tickets)
    return tickets.order_by(*ordering(form.current_sort))


# --- Describing the active filters (chips) ------------------------------------------------


@dataclass(frozen=True)
class HiddenClosed:
    """The default narrowed the list to open tickets: how many the list would show
    without it, and the query string that shows them (from the first page)."""

    total: int
    show_all_query: str


def hidden_closed(
    visible: QuerySet[Ticket],
    params: QueryDict,
    *,
    form: TicketFilterForm,
    user: Viewer,
    shown: int,
) -> HiddenClosed | None:
    """None unless the default (open tickets only) hides some of the ``visible`` tickets
    that the other filters would show: then the list says so, and how to see them all."""
    if not form.hides_closed:
        return None
    everything = params.copy()
    everything.pop("page", None)
    everything["state"] = STATE_ALL
    total = filter_tickets(visible, form=TicketFilterForm(everything, user=user), user=user).count()
    if total <= shown:
        return None
    return HiddenClosed(total=total, show_all_query=f"?{everything.urlencode()}")


@dataclass(frozen=True)
class FilterChip:
    param: str
    label: str
    value: str
    remove_query: str


def _without(params: QueryDict, name: str, value: str | None = None) -> str:
    """The query string without ``name`` (or only its ``value``), on the first page."""
    params = params.copy()
    params.pop("page", None)
    if value is None:
        params.pop(name, None)
    else:
        params.setlist(name, [v for v in params.getlist(name) if v != value])
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def _person_label(person: PersonFilter) -> str:
    if person.kind == "me":
        return gettext("me")
    if person.kind == "none":
        return gettext("unassigned")
    return person.user.get_display_name() if person.user is not None else ""


def filter_chips(form: TicketFilterForm, params: QueryDict) -> list[FilterChip]:
    """The applied filters, each with the query string that removes it."""
    form.is_valid()
    flow = workflow()
    chips: list[FilterChip] = []

    def add(name: str, value: str, raw: str | None = None) -> None:
        label = form.fields[name].label
        chips.append(FilterChip(name, str(label), value, _without(params, name, raw)))

    if form.value("q"):
        add("q", form.value("q"))
    statuses = form.value("status", [])
    if statuses:
        for status in flow.statuses:
            if status.code in statuses:
                add("status", status.name, status.code)
    elif form.current_state != form.default_state:
        # Read back, choices are the (value, label) pairs (the stubs type what may be set).
        choices = form_field(form, "state", forms.ChoiceField).choices
        states = dict(cast("list[tuple[str, str]]", choices))
        add("state", str(states[form.current_state]))
    for priority in flow.priorities:
        if priority.code in form.value("priority", []):
            add("priority", priority.name, priority.code)
    for queue in flow.queues:
        if queue.slug in form.value("queue", []):
            add("queue", queue.name, queue.slug)
    for name in ("assignee", "requester"):
        person = form.value(name)
        if person is not None:
            add(name, _person_label(person))
    for tag in form.value("tag", []):
        # Tags may come as one "a, b" text: removing one rewrites the whole parameter.
        rest = [t for t in form.value("tag", []) if t != tag]
        remaining = params.copy()
        remaining.pop("page", None)
        remaining.setlist("tag", rest)
        encoded = remaining.urlencode()
        label = str(form.fields["tag"].label)
        chips.append(FilterChip("tag", label, tag, f"?{encoded}" if encoded else "?"))
    for start, end in DATE_RANGES:
        for name in (start, end):
            if form.value(name):
                add(name, date_format(form.value(name), "SHORT_DATE_FORMAT"))
    if form.value("overdue"):
        add("overdue", gettext("yes"))
    for extra in extensions.list_filters():
        chosen = form.value(extra.name)
        if chosen:
            add(extra.name, str(dict(extra.choices()).get(chosen, chosen)))
    for name in ("mentioned", "awaiting"):
        if form.value(name):
            add(name, gettext("yes"))
    return chips
