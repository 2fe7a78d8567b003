"""Ticket endpoints of the REST API used by the pages (the board's move)."""

from rest_framework.views import APIView


class TicketMoveView(APIView):
    pass
