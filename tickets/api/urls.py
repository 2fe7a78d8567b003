"""``/api/v1/`` routes of the tickets app. A ticket is named by id or key (``HD-42``)."""

from django.urls import path

from tickets.api import activity, agent_tools, reference, tickets
from tickets.api.move import TicketMoveView

urlpatterns = [
    path("tickets/<int:pk>/move/", TicketMoveView.as_view(), name="api-ticket-move"),
    *tickets.urlpatterns,
    *agent_tools.urlpatterns,
    *activity.urlpatterns,
    *reference.urlpatterns,
]
