"""Pieces every ticket endpoint uses: tickets named by id or key, reference fields
that take codes (``in_progress``), slugs or ids, and people by id or user name."""

from typing import TYPE_CHECKING, Any, TypeVar, overload

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import Direction, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User, Viewer
from helpdesk.api_fields import NOT_BLANK, FormBlankRefused
from tickets.models import Priority, Queue, Status, Ticket
from tickets.parsing import parse_id
from tickets.search import KEY
from tickets.selectors import get_visible_ticket
from tickets.workflow import workflow

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

# Larger numbers cannot be database ids and would overflow the driver.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1

M = TypeVar("M", bound=Model)


def api_user(request: Request) -> User:
    """The signed-in user of an API request (the API lets nobody else in)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def paginate(view: GenericAPIView, queryset: QuerySet[M]) -> list[M]:
    """One page of ``queryset``: the API pages every list."""
    page = view.paginate_queryset(queryset)
    if page is None:
        raise ImproperlyConfigured("The API's lists need a pagination class.")
    return page


def visible_ticket(user: Viewer, ref: str) -> Ticket:
    """The ticket named by ``ref`` (an id or a key such as HD-42) if ``user`` may see it,
    else Http404 (an invisible ticket and a missing one look the same)."""
    ref = str(ref).strip()
    pk = parse_id(ref)
    if pk is not None:
        return get_visible_ticket(user, pk=pk)
    if KEY.fullmatch(ref):
        return get_visible_ticket(user, key=ref)
    raise Http404


class TicketRefMixin(APIView):
    """For views under ``tickets/<ref>/``: ``self.ticket`` is the visible ticket."""

    ticket_url_kwarg = "ref"

    @property
    def ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._ticket = visible_ticket(self.request.user, self.kwargs[self.ticket_url_kwarg])
        return self._ticket


class WorkflowChoiceField(FormBlankRefused, serializers.Field):
    """A workflow row (from the cached workflow: no query) given by its code, exactly.
    The schema lists the codes there are when it is generated."""

    rows_name = ""
    code_attr = "code"
    accepts_id = False
    default_error_messages = {
        "unknown": _("There is no “{code}”."),
        "invalid": _("Give the code, for example “{example}”."),
    }
    example = ""

    def rows(self) -> list[Any]:
        return getattr(workflow(), self.rows_name)

    def to_internal_value(self, data: object) -> Any:
        ids_too = self.accepts_id and isinstance(data, int) and not isinstance(data, bool)
        if not isinstance(data, str) and not ids_too:
            self.fail("invalid", example=self.example)
        value = str(data)
        for row in self.rows():
            if getattr(row, self.code_attr) == value or (self.accepts_id and str(row.pk) == value):
                return row
        self.fail("unknown", code=value[:50])

    def to_representation(self, value: Any) -> str:
        return getattr(value, self.code_attr)

    def schema(self) -> dict:
        rows = self.rows()
        if not rows:  # nothing set up yet: an enum may not be empty
            return {"type": "string"}
        codes = [getattr(row, self.code_attr) for row in rows]
        if not self.accepts_id:
            return {"type": "string", "enum": codes}
        ids = [row.pk for row in rows]
        return {
            "oneOf": [
                {"type": "string", "enum": codes + [str(pk) for pk in ids if str(pk) not in codes]},
                {"type": "integer", "enum": ids},
            ]
        }


class WorkflowChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = WorkflowChoiceField
    match_subclasses = True

    def map_serializer_field(
        self, auto_schema: "AutoSchema", direction: Direction
    ) -> dict[str, Any]:
        return self.target.schema()


class StatusCodeField(WorkflowChoiceField):
    rows_name = "statuses"
    example = "in_progress"
    default_error_messages = {
        "unknown": _("There is no status “{code}”."),
        "invalid": _("Give the status as its code, for example “in_progress”."),
    }

    def to_internal_value(self, data: object) -> Status:
        return super().to_internal_value(data)


class PriorityCodeField(WorkflowChoiceField):
    rows_name = "priorities"
    example = "high"
    default_error_messages = {
        "unknown": _("There is no priority “{code}”."),
        "invalid": _("Give the priority as its code, for example “high”."),
    }

    def to_internal_value(self, data: object) -> Priority:
        return super().to_internal_value(data)


class QueueSlugField(WorkflowChoiceField):
    """A queue by slug or id; with ``active_only``, one that accepts new tickets."""

    rows_name = "queues"
    code_attr = "slug"
    accepts_id = True
    example = "hd"
    default_error_messages = {
        "unknown": _("There is no queue “{code}”."),
        "invalid": _("Give the queue as its slug, for example “hd”."),
    }

    def __init__(self, *, active_only: bool = False, **kwargs: Any) -> None:
        self.active_only = active_only
        super().__init__(**kwargs)

    def rows(self) -> list[Any]:
        queues = super().rows()
        return [queue for queue in queues if queue.is_active] if self.active_only else queues

    def to_internal_value(self, data: object) -> Queue:
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "A user id."},
            {"type": "string", "maxLength": 150, **NOT_BLANK},
        ]
    }
)
class UserRefField(serializers.Field):
    """An active user given by id or user name; ``null`` where the field allows it."""

    default_error_messages = {
        "unknown": _("There is no active user “{name}”."),
        "invalid": _("Give the user's id or user name."),
    }

    def to_internal_value(self, data: object) -> User:
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 150:
            self.fail("invalid")
        value = str(data).strip()
        if not value:
            self.fail("invalid")
        pk = parse_id(value)
        users = User.objects.filter(is_active=True)
        user = (users.filter(pk=pk) if pk is not None else users.filter(username=value)).first()
        if user is None:
            self.fail("unknown", name=value[:50])
        return user

    def to_representation(self, value: User) -> dict:
        return person(value)


@overload
def person(user: User) -> dict[str, Any]: ...


@overload
def person(user: User | None) -> dict[str, Any] | None: ...


def person(user: User | None) -> dict[str, Any] | None:
    """How the API shows a person."""
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.get_display_name()}


class PersonSerializer(serializers.Serializer):
    """The schema of ``person()`` (read-only)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
