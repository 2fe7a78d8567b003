"""Domain signals of the tickets app, sent by the services once the change is committed.

Other apps (notifications, integrations) connect to these in their ``AppConfig.ready()``;
``tickets`` imports neither. Every signal carries ``ticket`` (the saved instance),
``actor`` (a user, or None for the system) and ``source`` (a ``Source`` value).

- ``ticket_created``: a new ticket.
- ``ticket_changed``: ``fields`` (the changed field codes, e.g. ``["status", "assignee"]``)
  and ``changes`` (``{code: (old raw value, new raw value)}``); for an edited comment
  ``fields == ["comment"]`` and ``comment`` is the comment (mind ``comment.is_internal``).
- ``comment_added``: ``comment``.
- ``ticket_moved``: a move on the board: ``from_status_id``, ``to_status_id``,
  ``previous_id`` and ``next_id`` (the cards now above and below it, or None). The
  ticket carries the new ``version`` and ``rank``. Live boards apply it with
  ``applyMove`` in ``static/js/board.js`` (payload documented there).
"""

from django.dispatch import Signal

ticket_created = Signal()
ticket_changed = Signal()
comment_added = Signal()
ticket_moved = Signal()
