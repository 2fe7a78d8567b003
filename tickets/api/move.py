"""Ticket endpoints of the REST API used by the pages (the board's move).

``POST /api/v1/tickets/<id>/move/`` with JSON
``{"status": "<status code>", "previous_id": <id or null>, "next_id": <id or null>,
"version": <the version the card was rendered with>}`` puts the card into that column
between those neighbours. Answers:

- 200 ``{"id", "key", "status", "status_id", "version", "rank", "previous_id", "next_id"}``
  (the neighbours actually used; ids that were not in the column are dropped);
- 400 field errors, e.g. ``{"status": ["..."]}`` for an unknown status or a transition
  the queue does not allow, ``{"version": ["..."]}``;
- 403 the ticket is visible but the user may not work it;
- 404 the ticket is not visible to the user;
- 409 the ticket changed since it was rendered: ``{"detail": "...", "changed_by":
  {"id", "name"} or null, "version": <the ticket's version now>}``, the API's one conflict
  body (``helpdesk.api.exception_handler``).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api_fields import StrictIntegerField
from tickets import services
from tickets.api.common import MAX_ID, MAX_VERSION, StatusCodeField, api_user
from tickets.models import Source
from tickets.selectors import get_visible_ticket, user_can_work_ticket, visible_tickets


class TicketMoveSerializer(serializers.Serializer):
    status = StatusCodeField()
    version = StrictIntegerField(min_value=1, max_value=MAX_VERSION)
    previous_id = StrictIntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
    )
    next_id = StrictIntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
    )


class TicketMoveView(generics.GenericAPIView):
    """Move a card on the board (see the module docstring for the contract)."""

    serializer_class = TicketMoveSerializer

    @extend_schema(
        request=TicketMoveSerializer,
        responses={
            200: OpenApiResponse(
                description=_("Moved: id, key, status, version, rank, neighbours.")
            ),
            400: OpenApiResponse(description=_("Unknown status or a transition not allowed.")),
            403: OpenApiResponse(description=_("You may see the ticket but not move it.")),
            404: OpenApiResponse(description=_("No such ticket, or you may not see it.")),
            409: OpenApiResponse(description=_("The ticket changed since your version.")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = get_visible_ticket(request.user, pk=pk)
        if not user_can_work_ticket(request.user, ticket):
            raise PermissionDenied(_("You cannot move this ticket."))
        serializer = TicketMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.ticket_move(
            actor=api_user(request),
            ticket=ticket,
            status=data["status"],
            version=data["version"],
            previous_id=data["previous_id"],
            next_id=data["next_id"],
            visible_ids=visible_tickets(request.user).values("pk"),
            source=Source.WEB,
        )
        moved = result.ticket
        return Response(
            {
                "id": moved.pk,
                "key": moved.key,
                "status": data["status"].code,
                "status_id": data["status"].pk,
                "version": moved.version,
                "rank": moved.rank,
                "previous_id": result.previous_id,
                "next_id": result.next_id,
            }
        )
