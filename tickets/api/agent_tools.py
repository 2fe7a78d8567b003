"""``/api/v1/tickets/<ref>/merge/`` and ``/api/v1/tickets/<ref>/macro/``: the agent's
tools, through the same services as the ticket page."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api_fields import StrictCharField, StrictIntegerField
from tickets import services
from tickets.api.common import MAX_VERSION, TicketRefMixin, api_user, visible_ticket
from tickets.api.tickets import ERRORS, TicketDetailSerializer, _ticket_response
from tickets.models import Source
from tickets.selectors import macros_for


class MergeSerializer(serializers.Serializer):
    target = StrictCharField(
        max_length=30, help_text=_("The ticket (id or key) the duplicate is merged into.")
    )
    version = StrictIntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text=_("The duplicate's version you saw; if it changed since, nothing is saved."),
    )


class MacroSerializer(serializers.Serializer):
    macro = StrictIntegerField(min_value=1, help_text=_("The macro's id."))
    version = StrictIntegerField(min_value=1, max_value=MAX_VERSION, required=False)


class TicketMergeView(TicketRefMixin, generics.GenericAPIView):
    """Merge this ticket (the duplicate) into ``target``: its comments, attachments and
    watchers move, it is closed and points at ``target``, which is answered. You must
    work both tickets (403)."""

    serializer_class = MergeSerializer

    @extend_schema(request=MergeSerializer, responses={200: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request, ref: str) -> Response:
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = visible_ticket(request.user, serializer.validated_data["target"])
        kept = services.ticket_merge(
            source=self.ticket,
            target=target,
            by=api_user(request),
            version=serializer.validated_data.get("version"),
        )
        return _ticket_response(request, kept)


class TicketMacroView(TicketRefMixin, generics.GenericAPIView):
    """Apply a macro: its changes and its reply as one change (history source ``macro``).
    A status change the queue does not allow refuses the whole macro (400)."""

    serializer_class = MacroSerializer

    @extend_schema(request=MacroSerializer, responses={200: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request, ref: str) -> Response:
        serializer = MacroSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        macro = get_object_or_404(macros_for(self.ticket), pk=serializer.validated_data["macro"])
        ticket = services.macro_apply(
            actor=api_user(request),
            macro=macro,
            ticket=self.ticket,
            version=serializer.validated_data.get("version"),
            source=Source.MACRO,
        )
        return _ticket_response(request, ticket)


urlpatterns = [
    path("tickets/<str:ref>/merge/", TicketMergeView.as_view(), name="api-ticket-merge"),
    path("tickets/<str:ref>/macro/", TicketMacroView.as_view(), name="api-ticket-macro"),
]
