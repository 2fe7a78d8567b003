"""The ticket list: filters, search, sorting, pagination, saved views and bulk actions."""

from django.http import HttpResponse


def ticket_list(request, *args, **kwargs):
    return HttpResponse(status=501)


ticket_bulk = saved_view_save = saved_view_delete = people_lookup = ticket_list
