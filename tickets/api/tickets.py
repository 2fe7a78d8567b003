"""``/api/v1/tickets/``: list (the web list's filters, search and sorts), file, read,
change, assign and take tickets; requesters confirm or reopen their resolved ones.

A ticket is named by id or key (``/api/v1/tickets/42/`` or ``/api/v1/tickets/HD-42/``).
Changes must send the ``version`` they were based on; a newer version on the server is a
409 and nothing is saved.
"""

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Viewer
from helpdesk.api_fields import StrictCharField, StrictDateField, StrictIntegerField
from tickets import extensions, services
from tickets.api.common import (
    MAX_VERSION,
    PersonSerializer,
    PriorityCodeField,
    QueueSlugField,
    StatusCodeField,
    TicketRefMixin,
    UserRefField,
    api_user,
    person,
)
from tickets.api.filters import TicketFilterSet
from tickets.filters import MAX_TAGS
from tickets.markdown import render_markdown
from tickets.models import Source, Tag, Ticket
from tickets.selectors import ticket_people, user_can_work_ticket, visible_tickets
from tickets.workflow import workflow

# --- Reading -----------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QueueRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as lists show it. Status, priority and queue come from the cached
    workflow, so a page of tickets costs no joins for them."""

    url = serializers.SerializerMethodField(help_text=_("The ticket's page."))
    queue = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    priority = serializers.SerializerMethodField()
    requester = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields: tuple[str, ...] = (
            "id",
            "key",
            "url",
            "title",
            "queue",
            "status",
            "priority",
            "requester",
            "assignee",
            "due_date",
            "is_overdue",
            "tags",
            "source",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "version",
        )
        read_only_fields = fields

    def get_url(self, ticket: Ticket) -> str:
        return ticket.get_absolute_url()

    @extend_schema_field(QueueRefSerializer)
    def get_queue(self, ticket: Ticket) -> dict:
        queue = workflow().queue(ticket.queue_id) or ticket.queue
        return {"id": queue.pk, "slug": queue.slug, "name": queue.name}

    @extend_schema_field(CodeNameSerializer)
    def get_status(self, ticket: Ticket) -> dict:
        found = workflow().status(ticket.status_id) or ticket.status
        return {"code": found.code, "name": found.name}

    @extend_schema_field(CodeNameSerializer)
    def get_priority(self, ticket: Ticket) -> dict:
        found = workflow().priority(ticket.priority_id) or ticket.priority
        return {"code": found.code, "name": found.name}

    @extend_schema_field(PersonSerializer)
    def get_requester(self, ticket: Ticket) -> dict:
        return person(ticket.requester)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, ticket: Ticket) -> dict | None:
        return person(ticket.assignee)

    def get_tags(self, ticket: Ticket) -> list[str]:
        return sorted(tag.name for tag in ticket.tags.all())

    def get_is_overdue(self, ticket: Ticket) -> bool:
        return Ticket.overdue(ticket.due_date, workflow().status(ticket.status_id) or ticket.status)

    def to_representation(self, instance: Ticket) -> dict:
        data = super().to_representation(instance)
        # Fields other apps add (``tickets.extensions.register_field``).
        for extra in extensions.api_fields():
            data[extra.name] = extra.read(instance)
        return data


class TicketDetailSerializer(TicketSerializer):
    """One ticket: the list's fields, the description and the watchers."""

    description_html = serializers.SerializerMethodField()
    watchers = serializers.SerializerMethodField()
    can_work = serializers.SerializerMethodField(help_text=_("Whether you may change this ticket."))

    class Meta(TicketSerializer.Meta):
        fields = (
            *TicketSerializer.Meta.fields,
            "description",
            "description_html",
            "watchers",
            "can_work",
        )
        read_only_fields = fields

    def get_description_html(self, ticket: Ticket) -> str:
        return str(render_markdown(ticket.description))

    @extend_schema_field(PersonSerializer(many=True))
    def get_watchers(self, ticket: Ticket) -> list[dict]:
        if self.context.get("filed"):
            return []  # filed through the API: nobody watches it yet
        watchers, _people = ticket_people(ticket)
        return [person(user) for user in watchers]

    def get_can_work(self, ticket: Ticket) -> bool:
        return user_can_work_ticket(self.context["request"].user, ticket)


# --- Writing -----------------------------------------------------------------------------


class TagsField(serializers.ListField):
    child = StrictCharField(max_length=50, allow_blank=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_TAGS, **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        # Counted as sent, as the schema's maxItems counts them, not once merged.
        if isinstance(data, list) and len(data) > MAX_TAGS:
            self.fail("max_length", max_length=MAX_TAGS)
        names = []
        for name in super().to_internal_value(data):
            normal = Tag.normalize(name)
            if not normal:
                raise ValidationError(_("“%(name)s” is not a tag name.") % {"name": name[:50]})
            if normal not in names:
                names.append(normal)
        return names


class TicketCreateSerializer(serializers.Serializer):
    """Filing a ticket. Requesters give queue, title, description and tags; people who
    work tickets may also set the requester, assignee, priority and due date."""

    queue = QueueSlugField(active_only=True, help_text=_("Queue slug or id."))
    title = StrictCharField(max_length=200)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=100_000, default="", trim_whitespace=False
    )
    priority = PriorityCodeField(required=False, help_text=_("Priority code, e.g. high."))
    requester = UserRefField(required=False, help_text=_("User id or user name; you if empty."))
    assignee = UserRefField(required=False, allow_null=True)
    due_date = StrictDateField(required=False, allow_null=True)
    tags = TagsField(required=False)


class TicketUpdateSerializer(serializers.Serializer):
    """A change to a ticket: the fields to change, and the version you based it on."""

    version = StrictIntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("The ticket's version you saw; if it changed since, nothing is saved (409)."),
    )
    title = StrictCharField(max_length=200, required=False)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=100_000, trim_whitespace=False
    )
    queue = QueueSlugField(required=False)
    status = StatusCodeField(required=False)
    priority = PriorityCodeField(required=False)
    requester = UserRefField(required=False)
    assignee = UserRefField(required=False, allow_null=True)
    due_date = StrictDateField(required=False, allow_null=True)
    tags = TagsField(required=False)


class AssignSerializer(serializers.Serializer):
    assignee = UserRefField(allow_null=True, help_text=_("User id or user name; null unassigns."))
    version = StrictIntegerField(min_value=1, max_value=MAX_VERSION, required=False)


class TakeSerializer(serializers.Serializer):
    version = StrictIntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text=_("The ticket's version you saw; if it changed since, nothing is saved (409)."),
    )


def _tickets_queryset(user: Viewer) -> QuerySet[Ticket]:
    return (
        visible_tickets(user)
        .select_related("requester", "assignee", *extensions.api_related())
        .prefetch_related("tags")
    )


def _ticket_response(
    request: Request, ticket: Ticket, code: int = status.HTTP_200_OK, *, filed: bool = False
) -> Response:
    """The ticket as it is now. Visibility was checked before the change: a change may
    take the ticket out of the user's sight (reassigned, filed for someone in another
    queue), and its answer still says what was saved. A ticket ``filed`` by this very
    request is answered as the service returned it (only its tags are read)."""
    if filed:
        prefetch_related_objects([ticket], "tags")
    else:
        ticket = (
            Ticket.objects.select_related("requester", "assignee", *extensions.api_related())
            .prefetch_related("tags")
            .get(pk=ticket.pk)
        )
    context = {"request": request, "filed": filed}
    data = TicketDetailSerializer(ticket, context=context).data
    headers = {"Location": reverse("api-ticket", kwargs={"ref": ticket.pk})}
    return Response(data, status=code, headers=headers if code == 201 else None)


ERRORS = {
    400: OpenApiResponse(description=_("Field errors: {field: [messages]}.")),
    403: OpenApiResponse(description=_("You may see the ticket but not change it.")),
    404: OpenApiResponse(description=_("No such ticket, or you may not see it.")),
    409: OpenApiResponse(description=_("The ticket changed since your version.")),
}


class TicketListView(generics.ListCreateAPIView):
    """Tickets you may see, filtered like the web list (open ones unless ``state`` or
    ``status`` says otherwise), newest change first; file a new ticket with POST."""

    filterset_class = TicketFilterSet

    def get_queryset(self) -> QuerySet[Ticket]:
        return _tickets_queryset(self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return TicketCreateSerializer if self.request.method == "POST" else TicketSerializer

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TicketCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.ticket_create(
            actor=api_user(request),
            queue=data["queue"],
            title=data["title"],
            description=data.get("description", ""),
            requester=data.get("requester"),
            assignee=data.get("assignee"),
            priority=data.get("priority"),
            due_date=data.get("due_date"),
            tags=data.get("tags", ()),
            source=Source.API,
        )
        return _ticket_response(request, ticket, status.HTTP_201_CREATED, filed=True)


class TicketDetailView(TicketRefMixin, APIView):
    """One ticket; PATCH changes fields (send the ``version`` you saw)."""

    serializer_class = TicketUpdateSerializer

    @extend_schema(responses={200: TicketDetailSerializer, 404: ERRORS[404]})
    def get(self, request: Request, ref: str) -> Response:
        return _ticket_response(request, self.ticket)

    @extend_schema(
        request=TicketUpdateSerializer,
        responses={200: TicketDetailSerializer, **ERRORS},
    )
    def patch(self, request: Request, ref: str) -> Response:
        serializer = TicketUpdateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        ticket = services.ticket_update(
            actor=api_user(request),
            ticket=self.ticket,
            source=Source.API,
            version=version,
            **changes,
        )
        return _ticket_response(request, ticket)


class TicketAssignView(TicketRefMixin, generics.GenericAPIView):
    """Give the ticket to someone who works its queue, or unassign it (``null``)."""

    serializer_class = AssignSerializer

    @extend_schema(request=AssignSerializer, responses={200: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request, ref: str) -> Response:
        serializer = AssignSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_assign(
            actor=api_user(request),
            ticket=self.ticket,
            assignee=serializer.validated_data["assignee"],
            version=serializer.validated_data.get("version"),
            source=Source.API,
        )
        return _ticket_response(request, ticket)


class _VersionedActionView(TicketRefMixin, generics.GenericAPIView):
    """A one-click action on the ticket: the body carries only the ``version`` the client
    saw, and ``service`` names the service that does it."""

    serializer_class = TakeSerializer
    service: str

    @extend_schema(request=TakeSerializer, responses={200: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request, ref: str) -> Response:
        serializer = TakeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = getattr(services, self.service)(
            actor=api_user(request),
            ticket=self.ticket,
            version=serializer.validated_data.get("version"),
            source=Source.API,
        )
        return _ticket_response(request, ticket)


class TicketTakeView(_VersionedActionView):
    """“Take it”: you become the assignee. Send the ``version`` you saw so that a ticket
    someone took or changed since is refused (409) rather than taken over."""

    service = "ticket_take"


class TicketConfirmView(_VersionedActionView):
    """“The problem is solved”: the requester confirms a resolved ticket, which is closed.
    A ticket that is not resolved is 409; someone else's ticket 403."""

    service = "ticket_confirm_resolved"


class TicketReopenView(_VersionedActionView):
    """“Open again”: the requester says a resolved or closed ticket is not done; it goes
    back to the first open status its queue allows. An open ticket is 409."""

    service = "ticket_reopen"


urlpatterns = [
    path("tickets/", TicketListView.as_view(), name="api-tickets"),
    path("tickets/<str:ref>/confirm/", TicketConfirmView.as_view(), name="api-ticket-confirm"),
    path("tickets/<str:ref>/reopen/", TicketReopenView.as_view(), name="api-ticket-reopen"),
    path("tickets/<str:ref>/", TicketDetailView.as_view(), name="api-ticket"),
    path("tickets/<str:ref>/assign/", TicketAssignView.as_view(), name="api-ticket-assign"),
    path("tickets/<str:ref>/take/", TicketTakeView.as_view(), name="api-ticket-take"),
]
