"""Every change a person (or an operator) makes to notifications goes through these
functions: reading them, choosing what to hear where, retrying failed deliveries.

Reading announces itself after commit to the person's other open pages as
``{"type": "notifications.read", "ids": [...] | null, "unread": n}`` (``null``: all), so
every tab's badge agrees.
"""

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import user_set_preferences
from helpdesk import outbox
from notifications import delivery, live
from notifications.groups import user_group
from notifications.models import Channel, Delivery, Event, Notification, NotificationPreference
from notifications.preferences import default


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _announce_read(user: User, ids: list[int] | None) -> None:
    def send() -> None:
        payload = {"type": "notifications.read", "ids": ids, "unread": unread_count(user)}
        live.send_quietly(user_group(user.pk), payload)

    transaction.on_commit(send)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again: nothing changes).

    Raises ``Notification.DoesNotExist`` for another person's or a missing notification.
    """
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        # Conditional, so a concurrent "read" keeps the first time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
        _announce_read(user, [notification.pk])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark all the user's notifications read; returns how many were unread."""
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        _announce_read(user, None)
    return marked


def _check_cells(changes: dict[tuple[str, str], bool]) -> None:
    for key, enabled in changes.items():
        if not isinstance(key, tuple) or len(key) != 2:
            raise ValueError(f"a change is keyed by (event, channel), not {key!r}")
        event, channel = key
        if event not in Event.values:
            raise ValueError(f"unknown event {event!r}")
        if channel not in Channel.values:
            raise ValueError(f"unknown channel {channel!r}")
        if not isinstance(enabled, bool):
            raise ValueError(f"{event}/{channel} must be a bool, not {enabled!r}")


@transaction.atomic
def preferences_set(*, user: User, changes: dict[tuple[str, str], bool]) -> None:
    """Set the user's choice for each ``(event, channel)`` in ``changes``; other cells keep
    theirs. A choice equal to the default is stored as no row, so a later change of the
    defaults reaches everyone who never chose otherwise.

    Raises ``ValueError`` on an unknown event or channel or a value that is not a bool.
    """
    _check_cells(changes)
    if not changes:
        return
    # The user's row is the lock: two saves at once cannot both insert the same cell.
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    touched = Q()
    for event, channel in changes:
        touched |= Q(event=event, channel=channel)
    NotificationPreference.objects.filter(touched, user=user).delete()
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=user, event=event, channel=channel, enabled=enabled)
        for (event, channel), enabled in changes.items()
        if enabled != default(event, channel)
    )


@transaction.atomic
def preferences_save(
    *, user: User, changes: dict[tuple[str, str], bool], sound: bool | None = None
) -> None:
    """``preferences_set`` and, when given, the sound switch, as one change."""
    preferences_set(user=user, changes=changes)
    if sound is not None:
        user_set_preferences(user=user, sound_enabled=sound)


def deliveries_retry(*, delivery_ids: Iterable[int]) -> int:
    """Put the failed deliveries among ``delivery_ids`` back to pending with a fresh count
    of attempts (the last error stays until the next attempt), and start them once that is
    committed, all in one task. Others are left alone. Returns how many were retried."""
    with transaction.atomic():
        failed = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(delivery_ids), state=Delivery.State.FAILED)
            .order_by("pk")
        )
        if not failed:
            return 0
        ids = [row.pk for row in failed]
        outbox.requeue(Delivery.objects.filter(pk__in=ids))
        transaction.on_commit(partial(delivery.dispatch_deliveries, ids))
    return len(failed)
