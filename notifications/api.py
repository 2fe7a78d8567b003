"""Notifications in the REST API (``/api/v1/``): the signed-in user's notifications, marking
them read, and which events they hear about on which channel.

Everything here is the user's own: another person's notification does not exist (404).
Notifications are shown as the WebSocket shows them (``notifications.text.as_message``),
in the request's language; the list carries the unread count beside the page, so a badge
needs no second request. Changes go through ``notifications.services``.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api import ApiPagination, JSONParser, StrictBooleanFilter
from helpdesk.api_fields import StrictBooleanField
from notifications import services
from notifications.models import Channel, Event, Notification
from notifications.preferences import matrix
from notifications.text import as_message
from tickets.api.common import MAX_ID, api_user

# --- Notifications -------------------------------------------------------------------------


class NotificationSerializer(serializers.Serializer):
    """One notification, as the page gets it over the WebSocket."""

    id = serializers.IntegerField(read_only=True)
    event = serializers.ChoiceField(choices=Event.choices, read_only=True)
    ticket = serializers.CharField(read_only=True, help_text=_("The ticket's key."))
    url = serializers.CharField(read_only=True, help_text=_("The ticket's page."))
    created_at = serializers.DateTimeField(read_only=True)
    read = serializers.BooleanField(read_only=True)
    title = serializers.CharField(
        read_only=True, help_text=_("What happened, in the language of the request.")
    )
    body = serializers.CharField(
        read_only=True, help_text=_("The ticket's title or the comment's beginning.")
    )

    def to_representation(self, notification: Notification) -> dict:
        return as_message(notification, language=translation.get_language())


class NotificationFilter(filters.FilterSet):
    unread = StrictBooleanFilter(
        method="filter_unread",
        label=_("Unread only"),
        help_text=_("true: only unread notifications; false: only read ones."),
    )

    class Meta:
        model = Notification
        fields = ()

    def filter_unread(
        self, queryset: QuerySet[Notification], name: str, value: bool
    ) -> QuerySet[Notification]:
        return queryset.filter(read_at__isnull=value)


class NotificationPagination(ApiPagination):
    """The usual page, plus ``unread``: how many of the user's notifications are unread
    (all of them, whatever the filter)."""

    unread = 0

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.page.paginator.count if self.page is not None else 0,
                "unread": self.unread,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        paginated["properties"] = {
            "count": properties["count"],
            "unread": {
                "type": "integer",
                "example": 3,
                "description": "How many of your notifications are unread (all of them).",
            },
            **{name: value for name, value in properties.items() if name != "count"},
        }
        paginated["required"] = [*paginated.get("required", []), "unread"]
        return paginated


@extend_schema_view(
    get=extend_schema(
        summary="Your notifications, newest first",
        description=(
            "Paginated; the answer also holds `unread`, the number of your unread "
            "notifications (whatever `unread=` filters). `title` and `body` are in the "
            "language of the request."
        ),
    )
)
class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    pagination_class = NotificationPagination

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no user
            return Notification.objects.none()
        # Newest first by id: the inbox index (recipient, -id), and a stable order.
        return Notification.objects.filter(recipient=api_user(self.request)).order_by("-pk")

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(page, many=True).data
        if isinstance(self.paginator, NotificationPagination):
            self.paginator.unread = services.unread_count(api_user(request))
        return self.get_paginated_response(data)


class NotificationReadSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    read = serializers.BooleanField(read_only=True)
    unread = serializers.IntegerField(
        read_only=True, help_text=_("How many of your notifications are still unread.")
    )


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(read_only=True)


@extend_schema_view(
    post=extend_schema(
        summary="Mark one of your notifications read",
        description="Marking a read notification again changes nothing. 404 for another "
        "person's notification.",
        request=None,
        responses={200: NotificationReadSerializer},
    )
)
class NotificationReadView(generics.GenericAPIView):
    serializer_class = NotificationReadSerializer
    filter_backends = ()
    pagination_class = None

    def post(self, request: Request, pk: int) -> Response:
        if pk > MAX_ID:
            raise Http404
        try:
            notification = services.notification_mark_read(
                user=api_user(request), notification_id=pk
            )
        except Notification.DoesNotExist:
            raise Http404 from None
        unread = services.unread_count(api_user(request))
        body = {"id": notification.pk, "read": True, "unread": unread}
        return Response(self.get_serializer(body).data)


@extend_schema_view(
    post=extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses={200: UnreadCountSerializer},
    )
)
class NotificationReadAllView(generics.GenericAPIView):
    serializer_class = UnreadCountSerializer
    filter_backends = ()
    pagination_class = None

    def post(self, request: Request) -> Response:
        services.notifications_mark_all_read(user=api_user(request))
        return Response({"unread": 0})


# --- Preferences ---------------------------------------------------------------------------


def _channels_schema() -> dict:
    """The cells of one event, one per channel (any of them when saving)."""
    return {
        "type": "object",
        "properties": {
            channel.value: {"type": "boolean", "description": channel.label} for channel in Channel
        },
        "additionalProperties": False,
    }


@extend_schema_field(_channels_schema())
class ChannelsField(serializers.Field):
    """``{"ws": bool, "push": bool, "email": bool}``; when saving, any of them."""

    default_error_messages = {
        "invalid": _("Give an object of channels, for example {example}."),
        "unknown": _("There is no channel “{channel}”."),
        "not_bool": _("“{channel}” must be true or false."),
    }

    def to_internal_value(self, data) -> dict[str, bool]:
        if not isinstance(data, dict):
            self.fail("invalid", example='{"email": false}')
        for channel, enabled in data.items():
            if channel not in Channel.values:
                self.fail("unknown", channel=channel)
            if not isinstance(enabled, bool):
                self.fail("not_bool", channel=channel)
        return data

    def to_representation(self, value: dict[str, bool]) -> dict[str, bool]:
        return value


class NotificationPreferenceRowSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=Event.choices)
    # The metaclass takes declared fields off the class, so this does not shadow
    # ``Field.label``; the stubs cannot tell.
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text=_("The event's name, in the language of the request.")
    )
    channels = ChannelsField()


class NotificationPreferencesSerializer(serializers.Serializer):
    events = NotificationPreferenceRowSerializer(
        many=True,
        required=False,
        help_text=_("Every event with your choice per channel; when saving, any of them."),
    )
    sound = StrictBooleanField(
        required=False,
        help_text=_("Play a sound when a notification arrives (the same switch as the profile's)."),
    )


PREFERENCES_CHANGE = (
    "JSON in the shape of GET's answer (`label` is ignored); only the events, channels "
    "and `sound` given change, with PUT and PATCH alike; an event given twice takes the "
    "channels of both, the later row winning. A choice equal to the default is stored as "
    "the default, so it follows later changes of the defaults. 400 for an unknown event "
    "or channel, or a value other than true or false."
)


def preferences_of(user) -> dict:
    return {"events": matrix(user), "sound": user.sound_enabled}


@extend_schema_view(
    get=extend_schema(
        summary="Which events you hear about on which channel",
        description="Every event with its label and your choice per channel, and `sound`.",
        tags=["notifications"],
    ),
    put=extend_schema(
        summary="Change your notification choices",
        description=PREFERENCES_CHANGE,
        tags=["notifications"],
    ),
    patch=extend_schema(
        summary="Change some of your notification choices",
        description=PREFERENCES_CHANGE,
        tags=["notifications"],
    ),
)
class NotificationPreferencesView(generics.GenericAPIView):
    serializer_class = NotificationPreferencesSerializer
    parser_classes = (JSONParser,)  # a nested matrix has no form encoding
    filter_backends = ()
    pagination_class = None

    def get_object(self) -> dict:
        # The user's own choices; DRF's OPTIONS asks for the object a PUT would change.
        return preferences_of(self.request.user)

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def put(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = {
            (row["event"], channel): enabled
            for row in serializer.validated_data.get("events", [])
            for channel, enabled in row["channels"].items()
        }
        user = api_user(request)
        services.preferences_save(
            user=user, changes=changes, sound=serializer.validated_data.get("sound")
        )
        return Response(self.get_serializer(preferences_of(user)).data)

    def patch(self, request: Request) -> Response:
        return self.put(request)


urlpatterns = [
    path("notifications/", NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/<int:pk>/read/",
        NotificationReadView.as_view(),
        name="api-notification-read",
    ),
    path(
        "notifications/read-all/",
        NotificationReadAllView.as_view(),
        name="api-notifications-read-all",
    ),
    path(
        "notification-preferences/",
        NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
]
