"""Reference data of the REST API (``/api/v1/``): queues, statuses, priorities, tags, and
the signed-in user's saved ticket-list views.

Queues, statuses and priorities come from the cached workflow (``tickets.workflow``), so
they cost no query beyond signing in; tags are those of the tickets the user may see;
saved views are the user's own (another user's view does not exist: 404) and change only
through ``tickets.services``.
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from helpdesk.api import JSONParser
from helpdesk.api_fields import StrictCharField
from tickets import services
from tickets.api.common import MAX_ID, PersonSerializer, api_user, person
from tickets.models import Priority, Queue, SavedView, Status, Tag
from tickets.selectors import user_works_queues, visible_tags
from tickets.workflow import agents, workflow

TAG_QUERY_MAX_LENGTH = 50


# --- Queues -------------------------------------------------------------------------------


class QueueSerializer(serializers.Serializer):
    """A queue. ``members`` and ``i_work_here`` are filled for people who work tickets;
    requesters get an empty list and false."""

    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    key_prefix = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Only active queues accept new tickets.")
    )
    members = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The queue's agents, ordered by name (empty for people who do not work tickets)."
        ),
    )
    i_work_here = serializers.SerializerMethodField(
        help_text=gettext_lazy("Whether you are one of the queue's agents."),
    )

    @extend_schema_field(PersonSerializer(many=True))
    def get_members(self, queue: Queue) -> list[dict[str, Any]]:
        return self.context.get("members", {}).get(queue.pk, [])

    def get_i_work_here(self, queue: Queue) -> bool:
        return queue.pk in self.context.get("my_queue_ids", ())


@extend_schema_view(
    get=extend_schema(
        summary="Queues",
        description=(
            "Requesters get the active queues (those that accept tickets); people who work "
            "tickets get every queue with its agents (`members`) and `i_work_here`."
        ),
    )
)
class QueueListView(generics.ListAPIView):
    filter_backends = ()
    serializer_class = QueueSerializer

    def works_tickets(self) -> bool:
        return user_works_queues(self.request.user)

    # Lists from the cached workflow, not querysets: ListAPIView pages and serialises any
    # sequence (the stubs ask for a queryset).
    def get_queryset(self) -> list[Queue]:  # type: ignore[override]
        queues = workflow().queues
        if self.works_tickets():
            return queues
        return [queue for queue in queues if queue.is_active]

    def get_serializer_context(self) -> Mapping[str, Any]:
        context = super().get_serializer_context()
        if not self.works_tickets():
            return context
        # Members from the cached agents, so the list costs no query per queue.
        members: dict[int, list[dict[str, Any]]] = {}
        my_queue_ids: frozenset[int] = frozenset()
        for entry in agents():
            if entry.pk == self.request.user.pk:
                my_queue_ids = entry.queue_ids
            shown = person(
                User.name_only(
                    entry.pk, entry.username, entry.first_name, entry.last_name, entry.display_name
                )
            )
            for queue_id in entry.queue_ids:
                members.setdefault(queue_id, []).append(shown)
        return {**context, "members": members, "my_queue_ids": my_queue_ids}


# --- Statuses and priorities --------------------------------------------------------------


class StatusSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(
        read_only=True, help_text=gettext_lazy("In the language of the request.")
    )
    order = serializers.IntegerField(read_only=True)
    colour = serializers.CharField(read_only=True, help_text="#rrggbb")
    is_closed = serializers.BooleanField(read_only=True)


class PrioritySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(
        read_only=True, help_text=gettext_lazy("In the language of the request.")
    )
    order = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Higher means more urgent.")
    )
    colour = serializers.CharField(read_only=True, help_text="#rrggbb")
    is_default = serializers.BooleanField(read_only=True)
    is_high = serializers.BooleanField(read_only=True)


@extend_schema_view(get=extend_schema(summary="Statuses (the board's columns), in workflow order"))
class StatusListView(generics.ListAPIView):
    serializer_class = StatusSerializer
    filter_backends = ()

    def get_queryset(self) -> list[Status]:  # type: ignore[override]  # see QueueListView
        return workflow().statuses


@extend_schema_view(get=extend_schema(summary="Priorities, from the least urgent"))
class PriorityListView(generics.ListAPIView):
    serializer_class = PrioritySerializer
    filter_backends = ()

    def get_queryset(self) -> list[Priority]:  # type: ignore[override]  # see QueueListView
        return workflow().priorities


# --- Tags ---------------------------------------------------------------------------------


class TagFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        max_length=TAG_QUERY_MAX_LENGTH,
        label=gettext_lazy("Name contains"),
        help_text=gettext_lazy("Part of the tag's name, in any case."),
    )

    class Meta:
        model = Tag
        fields = ()

    def filter_q(self, queryset: QuerySet[Tag], name: str, value: str) -> QuerySet[Tag]:
        # Tags are stored normalised (lower case, words joined by "-"): search the same
        # way, which also spares SQLite its ASCII-only case folding.
        text = Tag.normalize(value)
        return queryset.filter(name__contains=text) if text else queryset


class TagSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    ticket_count = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("How many of the tickets you can see carry it.")
    )


@extend_schema_view(
    get=extend_schema(
        summary="Tags of the tickets you can see",
        description="Ordered by name; `q` keeps the tags whose name contains it.",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": TAG_QUERY_MAX_LENGTH},
                description="Part of the tag's name, in any case; 400 when longer.",
            )
        ],
    )
)
class TagListView(generics.ListAPIView):
    serializer_class = TagSerializer
    filterset_class = TagFilter

    def get_queryset(self) -> QuerySet[Tag]:
        return visible_tags(api_user(self.request))


# --- Saved views --------------------------------------------------------------------------


class SavedViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = StrictCharField(
        max_length=100,
        help_text=gettext_lazy("An existing view of yours with this name is replaced."),
        error_messages={"blank": gettext_lazy("Give the view a name.")},
    )
    query = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "The ticket list's URL parameters, for example “status=new&sort=-updated”."
        ),
    )
    url = serializers.SerializerMethodField(help_text=gettext_lazy("The ticket list it shows."))
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, view: SavedView) -> str:
        url = view.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class OwnSavedViewsMixin(generics.GenericAPIView):
    serializer_class = SavedViewSerializer
    filter_backends = ()
    # Text only, so a form can say all of it too.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[SavedView]:
        return SavedView.objects.filter(user=api_user(self.request)).order_by("name", "pk")


@extend_schema_view(
    get=extend_schema(summary="Your saved ticket-list views, by name"),
    post=extend_schema(
        summary="Save a ticket-list view",
        description="201 with the new view; 200 when it replaced your view of that name.",
        responses={201: SavedViewSerializer, 200: SavedViewSerializer},
    ),
)
class SavedViewListView(OwnSavedViewsMixin, generics.ListCreateAPIView):
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data["name"].strip()
        query = services.normalised_query(serializer.validated_data["query"])
        replacing = bool(name) and self.get_queryset().filter(name=name).exists()
        view = services.saved_view_save(user=api_user(request), name=name, query=query)
        body = self.get_serializer(view).data
        if replacing:
            return Response(body, status=status.HTTP_200_OK)
        location = request.build_absolute_uri(reverse("api-saved-view", kwargs={"pk": view.pk}))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


@extend_schema_view(
    get=extend_schema(summary="One of your saved views"),
    delete=extend_schema(summary="Delete one of your saved views"),
)
class SavedViewDetailView(OwnSavedViewsMixin, generics.RetrieveDestroyAPIView):
    def get_object(self) -> SavedView:
        # Ids the database cannot hold name nothing (and must not reach the driver).
        if self.kwargs["pk"] > MAX_ID:
            raise Http404
        return super().get_object()

    def perform_destroy(self, instance: SavedView) -> None:
        services.saved_view_delete(user=api_user(self.request), view_id=instance.pk)


urlpatterns = [
    path("queues/", QueueListView.as_view(), name="api-queues"),
    path("statuses/", StatusListView.as_view(), name="api-statuses"),
    path("priorities/", PriorityListView.as_view(), name="api-priorities"),
    path("tags/", TagListView.as_view(), name="api-tags"),
    path("saved-views/", SavedViewListView.as_view(), name="api-saved-views"),
    path("saved-views/<int:pk>/", SavedViewDetailView.as_view(), name="api-saved-view"),
]
