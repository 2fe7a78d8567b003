"""A user's saved ticket-list views."""

from django.core.exceptions import TooManyFieldsSent, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import (
    SavedView,
)

# --- Saved views ----------------------------------------------------------------------


def normalised_query(params: QueryDict | str) -> str:
    """A ticket-list query as saved views keep it: no leading "?", no page and no empty
    parameters."""
    if isinstance(params, str):
        try:
            params = QueryDict(params.strip().removeprefix("?"))
        except TooManyFieldsSent:
            raise ValidationError({"query": _("This view has too many filters to save.")}) from None
    kept = QueryDict(mutable=True)
    for name, values in params.lists():
        values = [value for value in values if value.strip()]
        if name != "page" and values:
            kept.setlist(name, values)
    return kept.urlencode()


@transaction.atomic
def saved_view_save(*, user: User, name: str, query: str) -> SavedView:
    """Save (or overwrite) the user's list view called ``name``."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    if len(query) > 2000:
        raise ValidationError({"query": _("This view has too many filters to save.")})
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query}
    )
    return view


def saved_view_delete(*, user: User, view_id: int) -> None:
    SavedView.objects.filter(user=user, pk=view_id).delete()
