"""What the sla app does when tickets change: recompute the clocks of the changed
tickets, inside the change's transaction (``tickets.signals.changes_recorded``), in a
savepoint so that a failure here never undoes the change."""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

from sla.clocks import load_rules
from sla.services import clocks_recompute


def changes_recorded(
    sender: object, *, events: list[tuple[Signal, dict[str, Any]]], **kwargs: Any
) -> None:
    if not load_rules():
        return  # no policy, no clock (from the cache: no query, no savepoint)
    ids = {arguments["ticket"].pk for _signal, arguments in events if "ticket" in arguments}
    if ids:
        with transaction.atomic():
            clocks_recompute(tickets=ids)
