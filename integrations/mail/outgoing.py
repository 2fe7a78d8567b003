"""What the e-mail integration adds to notification mails about a ticket (through
``tickets.signals.mail_composed``; notifications and integrations never import each
other): ``Reply-To`` the queue's mailbox, and a record of the mail's Message-ID."""

from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction

from integrations.models import Mailbox, SentMail

ANY_MAILBOX_KEY = "integrations:mail:any-mailbox"


def any_mailbox() -> bool:
    """Is any mailbox active? Cached, so that notification mails of an installation
    without mailboxes cost no query (cleared when a mailbox is saved or deleted)."""
    found = cache.get(ANY_MAILBOX_KEY)
    if found is None:
        found = Mailbox.objects.filter(is_active=True).exists()
        cache.set(ANY_MAILBOX_KEY, found, timeout=300)
    return bool(found)


def mailboxes_changed(**kwargs: Any) -> None:
    cache.delete(ANY_MAILBOX_KEY)


def mail_composed(
    *,
    ticket_id: int,
    recipient_id: int | None,
    message_id: str,
    headers: dict[str, str],
    **kwargs: Any,
) -> None:
    if not any_mailbox():
        return
    address = (
        Mailbox.objects.filter(queue__tickets__pk=ticket_id, is_active=True)
        .order_by("pk")
        .values_list("address", flat=True)
        .first()
    )
    if address is None:
        return  # no mailbox: a reply would go nowhere we read
    headers["Reply-To"] = address
    try:
        with transaction.atomic():
            SentMail.objects.get_or_create(
                message_id=message_id,
                defaults={"ticket_id": ticket_id, "recipient_id": recipient_id},
            )
    except IntegrityError:
        pass  # another attempt of the same delivery recorded it meanwhile
