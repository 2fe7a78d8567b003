"""Subscriptions follow the rights they were granted on.

A socket's subscriptions are checked when made (``consumers.py``). When who may see or
work what changes, the sockets concerned are told to check theirs again, once the change
commits: an agent removed from a queue stops hearing its board and tickets, a requester
stops hearing a ticket that moved away from them. The consumer re-reads the user and drops
what the selectors no longer allow.

Queue memberships, roles and accounts are edited in the admin as well as by services, so
those are followed through the models' signals (as the workflow cache is); ticket changes
through the tickets app's domain signals.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete

from notifications import live
from notifications.groups import ticket_group, user_group
from tickets import signals

# Ticket fields that decide who sees or works it (see tickets/selectors.py).
ACCESS_FIELDS = frozenset({"assignee", "queue", "requester"})
MESSAGE = "access.changed"


def _tell(group: str, **data) -> None:
    live.tell_sockets(group, MESSAGE, **data)


def users_changed(user_ids) -> None:
    """After commit: each of these users' sockets checks all its subscriptions."""
    ids = sorted(set(user_ids))

    def tell() -> None:
        for pk in ids:
            _tell(user_group(pk))

    transaction.on_commit(tell)


def ticket_changed(ticket_id: int) -> None:
    """After commit: the sockets viewing this ticket check it again."""
    transaction.on_commit(lambda: _tell(ticket_group(ticket_id), ticket_id=ticket_id))


# --- receivers ---------------------------------------------------------------------------


def on_ticket_changed(ticket, fields=(), **kwargs) -> None:
    if ACCESS_FIELDS.intersection(fields):
        _tell(ticket_group(ticket.pk), ticket_id=ticket.pk)  # domain signals come after commit


def on_watchers_changed(ticket, watching, **kwargs) -> None:
    if not watching:
        _tell(ticket_group(ticket.pk), ticket_id=ticket.pk)


def on_membership_changed(sender, instance, action, pk_set, **kwargs) -> None:
    """``Queue.members`` or ``User.groups`` (roles) changed, from either side."""
    from accounts.models import User

    if isinstance(instance, User):
        if action in ("post_add", "post_remove", "post_clear"):
            users_changed([instance.pk])
        return
    if action == "pre_clear":
        # Who is about to lose it is known only before the rows go.
        rows = sender.objects.filter(**{_field_to(sender, type(instance)): instance.pk})
        instance._access_clearing = list(rows.values_list(_field_to(sender, User), flat=True))
    elif action == "post_clear":
        users_changed(getattr(instance, "_access_clearing", []))
    elif action in ("post_add", "post_remove"):
        users_changed(pk_set or [])


def _field_to(through, model) -> str:
    return next(f.attname for f in through._meta.fields if f.related_model is model)


# What a save of the user itself can change of their rights (roles are the groups,
# followed above); a save of other fields only (the last sign-in) tells nobody.
ACCESS_USER_FIELDS = frozenset({"is_active", "is_staff", "is_superuser"})


def on_user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    """Deactivated, made superuser or staff: the user's sockets check again (a socket
    whose user is no longer active is closed)."""
    if created or (update_fields is not None and not ACCESS_USER_FIELDS & set(update_fields)):
        return
    users_changed([instance.pk])


def on_user_deleted(sender, instance, **kwargs) -> None:
    users_changed([instance.pk])


def connect() -> None:
    from accounts.models import User
    from tickets.models import Queue

    signals.ticket_changed.connect(on_ticket_changed, dispatch_uid="live-access-ticket")
    signals.watchers_changed.connect(on_watchers_changed, dispatch_uid="live-access-watchers")
    m2m_changed.connect(
        on_membership_changed, sender=Queue.members.through, dispatch_uid="live-access-queues"
    )
    m2m_changed.connect(
        on_membership_changed, sender=User.groups.through, dispatch_uid="live-access-roles"
    )
    post_save.connect(on_user_saved, sender=User, dispatch_uid="live-access-user")
    pre_delete.connect(on_user_deleted, sender=User, dispatch_uid="live-access-user-del")
