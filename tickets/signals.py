"""Domain signals of the tickets app, sent by the services once the change is committed.

Other apps (notifications, integrations) connect to these in their ``AppConfig.ready()``;
``tickets`` imports neither. Every signal carries ``ticket`` (the saved instance),
``actor`` (a user, or None for the system) and ``source`` (a ``Source`` value).

- ``ticket_created``: a new ticket.
- ``ticket_changed``: ``fields`` (the changed field codes, e.g. ``["status", "assignee"]``)
  and ``changes`` (``{code: (old raw value, new raw value)}``); for an edited comment
  ``fields == ["comment"]`` and ``comment`` is the comment (mind ``comment.is_internal``).
- ``comment_added``: ``comment``.
- ``watchers_changed``: ``user`` started (``watching=True``) or stopped watching.
- ``ticket_moved``: a move on the board: ``from_status_id``, ``to_status_id``,
  ``previous_id`` and ``next_id`` (the cards now above and below it, or None). The
  ticket carries the new ``version`` and ``rank``. Live boards apply it with
  ``applyMove`` in ``static/js/board.js`` (payload documented there).
- ``ticket_merged``: ``duplicate`` (closed, its ``merged_into`` is ``ticket``) was merged
  into ``ticket``; its comments, attachments and watchers have moved. An app keeping
  its own records of tickets (links to outside systems) moves them here.
- ``mail_composed``: not a change: sent (synchronously, sender None) by whoever builds an
  e-mail about a ticket (notifications), with ``ticket_id``, ``recipient_id``,
  ``message_id`` (the mail's Message-ID) and ``headers`` (a dict the receivers may add
  headers to, e.g. the ``Reply-To`` of the queue's mailbox). The e-mail integration
  records the Message-ID so that a reply to the mail lands on the ticket.


The same events are also announced *inside* the change's transaction by
``change_recorded`` (``event`` = the signal that follows on commit, plus its arguments), for
receivers whose records must commit or roll back with the change (notifications). Its
receivers must not have effects outside the database and must do their work in a
savepoint (``transaction.atomic()``), so that a failing receiver is logged and never
undoes the change.

A service's transaction is one change (``tickets.services.one_change``): its events are
announced together at its end, still inside it, each to ``change_recorded`` and all at
once to ``changes_recorded`` (``events``: a list of ``(signal, arguments)``), so that a
receiver can write what a status change with a comment tells in one go.

Inside ``muted()`` changes announce nothing: a bulk import of old tickets must not
notify every agent of every one of them.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

_muted = ContextVar("tickets_signals_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    return _muted.get()


change_recorded = Signal()
changes_recorded = Signal()
ticket_created = Signal()
ticket_changed = Signal()
mail_composed = Signal()
comment_added = Signal()
ticket_moved = Signal()
watchers_changed = Signal()
ticket_merged = Signal()
