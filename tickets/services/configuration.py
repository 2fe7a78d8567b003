"""Configuration edits that touch several rows at once: the order of statuses and
priorities (the board's columns, the pickers' order)."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.models import Priority, Status

ORDER_STEP = 10


@transaction.atomic
def workflow_reorder(*, model: type[Status] | type[Priority], ids: Sequence[int]) -> None:
    """Put the items ``ids`` in this order, in the places they held among all items.

    ``ids`` may be a part of the list (a filtered admin page): the others keep their
    places. Every item is then numbered in steps of ten, so the order is unambiguous and
    a number can still be typed between two. Rows are saved one by one, so the
    workflow cache hears of the change (``tickets.workflow``).
    """
    items: list[Status | Priority] = list(
        model._default_manager.select_for_update().order_by("order", "pk")
    )
    by_id = {item.pk: item for item in items}
    if not ids or len(set(ids)) != len(ids) or not set(ids) <= by_id.keys():
        raise ValidationError(
            _("The list changed since you opened it. Reload the page and try again."),
            code="stale",
        )
    moving = set(ids)
    new_order = iter(ids)
    arranged = [by_id[next(new_order)] if item.pk in moving else item for item in items]
    for position, item in enumerate(arranged, start=1):
        if item.order != position * ORDER_STEP:
            item.order = position * ORDER_STEP
            item.save(update_fields=["order"])
