"""A ticket's own pages: filing one, its page, and the actions on it."""

from django.http import HttpResponse


def ticket_new(request, *args, **kwargs):
    return HttpResponse(status=501)


markdown_preview = ticket_detail = ticket_update = ticket_take = ticket_watch = ticket_new
comment_create = comment_edit = attachment_upload = attachment_download = ticket_new
