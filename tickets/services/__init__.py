"""Every change to tickets goes through these functions.

Each one runs in one transaction, locks the ticket row, writes the history
(``TicketEvent``) and, once the transaction has committed, sends the domain signal
(``tickets.signals``). Views, the API, the admin, management commands and the Redmine
sync all call them, so every path has the same rules and side effects.

Refusals are exceptions: ``ValidationError`` (bad input, with field names),
``PermissionDenied`` (the actor may not do this), ``TransitionNotAllowed`` and
``TicketConflict`` (the ticket changed since the actor saw it).
"""

from tickets.services._base import (
    RANK_STEP,
    UNSET,
    UPDATABLE_FIELDS,
    TicketConflict,
    TicketError,
    TicketStateConflict,
    TransitionNotAllowed,
    history_add,
    one_change,
    reply_reopens,
    validate_assignee,
)
from tickets.services.agent_tools import (
    canned_reply_delete,
    canned_reply_may_edit,
    canned_reply_save,
    canned_reply_use,
    macro_apply,
    macros_bulk_apply,
)
from tickets.services.board import MoveResult, ticket_move
from tickets.services.comments import attachment_add, comment_add, comment_edit
from tickets.services.configuration import workflow_reorder
from tickets.services.merge import ticket_merge
from tickets.services.saved_views import normalised_query, saved_view_delete, saved_view_save
from tickets.services.tickets import (
    BulkResult,
    ticket_assign,
    ticket_change_status,
    ticket_confirm_resolved,
    ticket_create,
    ticket_reopen,
    ticket_reply,
    ticket_take,
    ticket_update,
    ticket_watch,
    tickets_bulk_update,
)

__all__ = [
    "RANK_STEP",
    "UNSET",
    "UPDATABLE_FIELDS",
    "BulkResult",
    "MoveResult",
    "TicketConflict",
    "TicketError",
    "TicketStateConflict",
    "TransitionNotAllowed",
    "attachment_add",
    "canned_reply_delete",
    "canned_reply_may_edit",
    "canned_reply_save",
    "canned_reply_use",
    "comment_add",
    "comment_edit",
    "history_add",
    "macro_apply",
    "macros_bulk_apply",
    "normalised_query",
    "one_change",
    "reply_reopens",
    "saved_view_delete",
    "saved_view_save",
    "ticket_assign",
    "ticket_change_status",
    "ticket_confirm_resolved",
    "ticket_create",
    "ticket_merge",
    "ticket_move",
    "ticket_reopen",
    "ticket_reply",
    "ticket_take",
    "ticket_update",
    "ticket_watch",
    "tickets_bulk_update",
    "validate_assignee",
    "workflow_reorder",
]
