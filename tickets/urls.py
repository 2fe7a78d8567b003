from django.urls import path, register_converter

from tickets.views import agent_tools, board, colours, lists, pages


class TicketKeyConverter:
    """A ticket key such as HD-42 (any case in the URL; keys are stored upper-case)."""

    regex = r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(TicketKeyConverter, "ticketkey")

app_name = "tickets"

urlpatterns = [
    path("tickets/colours.css", colours.colours_stylesheet, name="colours"),
    path("tickets/", lists.ticket_list, name="list"),
    path("tickets/bulk/", lists.ticket_bulk, name="bulk"),
    path("tickets/views/", lists.saved_view_save, name="saved_view_save"),
    path("tickets/views/<int:view_id>/delete/", lists.saved_view_delete, name="saved_view_delete"),
    path("tickets/people/", lists.people_lookup, name="people_lookup"),
    path("tickets/new/", pages.ticket_new, name="new"),
    path("tickets/replies/", agent_tools.canned_reply_list, name="canned_replies"),
    path(
        "tickets/replies/<int:reply_id>/",
        agent_tools.canned_reply_list,
        name="canned_reply_edit",
    ),
    path(
        "tickets/replies/<int:reply_id>/delete/",
        agent_tools.canned_reply_delete,
        name="canned_reply_delete",
    ),
    path("tickets/macros/", agent_tools.macro_menu, name="macro_menu"),
    path("tickets/preview/", pages.markdown_preview, name="preview"),
    path("tickets/<ticketkey:key>/", pages.ticket_detail, name="detail"),
    path("tickets/<ticketkey:key>/update/", pages.ticket_update, name="update"),
    path("tickets/<ticketkey:key>/take/", pages.ticket_take, name="take"),
    path("tickets/<ticketkey:key>/confirm/", pages.ticket_confirm, name="confirm"),
    path("tickets/<ticketkey:key>/reopen/", pages.ticket_reopen, name="reopen"),
    path("tickets/<ticketkey:key>/watch/", pages.ticket_watch, name="watch"),
    path("tickets/<ticketkey:key>/comment/", pages.comment_create, name="comment"),
    path(
        "tickets/<ticketkey:key>/comments/<int:comment_id>/edit/",
        pages.comment_edit,
        name="comment_edit",
    ),
    path("tickets/<ticketkey:key>/attachments/", pages.attachment_upload, name="attach"),
    path("tickets/<ticketkey:key>/replies/", agent_tools.canned_replies, name="ticket_replies"),
    path(
        "tickets/<ticketkey:key>/replies/<int:reply_id>/",
        agent_tools.canned_reply_insert,
        name="ticket_reply_insert",
    ),
    path("tickets/<ticketkey:key>/people/", agent_tools.mention_people, name="mention_people"),
    path("tickets/<ticketkey:key>/macro/", agent_tools.macro_run, name="macro_run"),
    path("tickets/<ticketkey:key>/merge/", agent_tools.ticket_merge, name="merge"),
    path(
        "tickets/<ticketkey:key>/attachments/<int:attachment_id>/",
        pages.attachment_download,
        name="attachment",
    ),
    path("board/", board.board, name="board"),
    path("board/<slug:slug>/", board.board, name="board_queue"),
]
