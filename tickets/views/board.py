"""The kanban board."""

from django.http import HttpResponse


def board(request, *args, **kwargs):
    return HttpResponse(status=501)
