"""The kanban board: ``/board/`` (all the user's queues) and ``/board/<queue-slug>/``."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tickets.board import board_for


@login_required
@require_GET
def board(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    data = board_for(request.user, slug=slug)
    return render(
        request,
        "tickets/board.html",
        {
            "board": data,
            "today": timezone.localdate(),
        },
    )
