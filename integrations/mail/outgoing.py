"""What the e-mail integration adds to notification mails about a ticket (through
``tickets.signals.mail_composed``; notifications and integrations never import each
other): ``Reply-To`` the queue's mailbox, and a record of the mail's Message-ID."""

from typing import Any

from django.db import IntegrityError, transaction

from integrations.mail.models import Mailbox, SentMail


def mail_composed(
    *,
    ticket_id: int,
    recipient_id: int | None,
    message_id: str,
    headers: dict[str, str],
    **kwargs: Any,
) -> None:
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
