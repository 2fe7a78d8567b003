"""E-mail channel: one notification as one message, in the reader's language.

The message carries a ``Message-ID`` made from the delivery id, so a retry after a lost
reply from the server is recognisable as the same mail, and ``In-Reply-To``/``References``
to one id per ticket, so mail clients thread a ticket's notifications together. Links are
absolute, built on ``SITE_URL``.

SMTP failures are sorted for ``notifications.delivery``: a refused recipient (5xx) or a
refused message is permanent; everything else (no connection, time-out, 4xx, a dropped
connection) is transient and retried with backoff.
"""

import re
import smtplib
from contextlib import suppress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk.outbox import SKIPPED, PermanentError, TransientError
from notifications.models import Delivery, Event, Notification
from notifications.text import language_of, render, url_of
from tickets import signals as ticket_signals

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
# Seconds for the connection and for each SMTP reply, unless EMAIL_TIMEOUT says otherwise.
DEFAULT_TIMEOUT = 10

FOLLOWER_REASON = _(
    "You are receiving this because you are the requester, the assignee or a watcher "
    "of this ticket."
)
DEADLINE_REASON = _("You are receiving this because you work on this ticket or its queue.")
REASONS: dict[str, Promise] = {
    Event.ASSIGNED: _("You are receiving this because the ticket is assigned to you."),
    Event.COMMENTED: FOLLOWER_REASON,
    Event.STATUS_CHANGED: FOLLOWER_REASON,
    Event.MENTIONED: _("You are receiving this because you were mentioned in this ticket."),
    Event.NEW_TICKET: _("You are receiving this because you are an agent of this ticket's queue."),
    Event.DUE_SOON: DEADLINE_REASON,
    Event.OVERDUE: DEADLINE_REASON,
    Event.SIGN_IN_PAUSED: _(
        "You are receiving this because someone tried to sign in to your account with "
        "wrong passwords."
    ),
}
ADMIN_REASON = _("You are receiving this because you are an administrator of Helpdesk.")
OTHER_REASON = _("You are receiving this because you take part in this ticket.")


def site_url() -> str:
    """Where people open the app: scheme, host and any path prefix, no trailing slash."""
    return getattr(settings, "SITE_URL", DEFAULT_SITE_URL).rstrip("/")


def _id_domain() -> str:
    return urlsplit(site_url()).hostname or "helpdesk.invalid"


def message_id(delivery_id: int) -> str:
    """The same for every attempt of one delivery, so a server or client can de-duplicate."""
    return f"<helpdesk.delivery.{delivery_id}@{_id_domain()}>"


def thread_id(ticket_id: int) -> str:
    """The id every mail about one ticket replies to, so they thread together."""
    return f"<helpdesk.ticket.{ticket_id}@{_id_domain()}>"


def _context(notification: Notification, language: str) -> dict:
    params = notification.params
    words = render(notification, language=language)
    profile_url = site_url() + reverse("accounts:profile")
    if notification.ticket_id is None:
        # About the account itself (sign-in paused): no ticket to open.
        return {
            "name": notification.recipient.get_display_name(),
            "sentence": words["title"],
            "key": "",
            "title": "",
            "excerpt": words["body"],
            "link_url": site_url() + url_of(notification),
            "link_label": str(_("Open the administration site"))
            if params.get("for_admin")
            else str(_("Open your profile")),
            "profile_url": profile_url + "#notifications",
            "reason": str(
                ADMIN_REASON
                if params.get("for_admin")
                else REASONS.get(notification.event, OTHER_REASON)
            ),
        }
    key = params.get("key") or (notification.ticket.key if notification.ticket else "")
    if not key:
        raise ValueError(f"Notification {notification.pk} names no ticket.")
    return {
        "name": notification.recipient.get_display_name(),
        "sentence": words["title"],
        "key": key,
        "title": params.get("title", ""),
        "excerpt": params.get("excerpt", ""),
        "link_url": site_url() + reverse("tickets:detail", kwargs={"key": key}),
        "profile_url": profile_url + "#notifications",
        "reason": str(REASONS.get(notification.event, OTHER_REASON)),
    }


def email_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The mail of one delivery, in its recipient's language (plain text and HTML)."""
    notification = delivery.notification
    recipient = notification.recipient
    language = language_of(recipient)
    with translation.override(language):
        context = _context(notification, language)
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    subject = " ".join(context["sentence"].split())
    if context["key"] and f"[{context['key']}]" not in subject:
        # Mail clients show it, and a reply's subject names the ticket it answers.
        subject = f"[{context['key']}] {subject}"
    message = EmailMultiAlternatives(
        # A header holds one line; the sentence is built from names and titles people typed.
        subject=subject,
        body=re.sub(r"\n{3,}", "\n\n", text).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email.strip()],
        headers={
            "Message-ID": message_id(delivery.pk),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Helpdesk-Event": notification.event,
        },
    )
    if notification.ticket_id is not None:
        message.extra_headers.update(
            {
                "In-Reply-To": thread_id(notification.ticket_id),
                "References": thread_id(notification.ticket_id),
                "X-Helpdesk-Ticket": context["key"],
            }
        )
        # Extensions add their headers (the e-mail integration: Reply-To the queue's
        # mailbox) and record the Message-ID, so that a reply becomes a comment.
        ticket_signals.mail_composed.send(
            sender=None,
            ticket_id=notification.ticket_id,
            recipient_id=recipient.pk,
            message_id=message.extra_headers["Message-ID"],
            headers=message.extra_headers,
        )
    message.attach_alternative(html, "text/html")
    return message


def _timeout() -> float:
    return getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"


def _classified(exc: Exception) -> Exception:
    """``PermanentError`` when sending again cannot help, ``TransientError`` otherwise."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        described = "; ".join(_reply(code, text) for code, text in replies)
        if replies and all(400 <= code < 500 for code, _text in replies):
            return TransientError(f"recipient deferred: {described}")
        return PermanentError(f"recipient refused: {described}")
    if isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600:
        # The server refused this very message (size, content, policy).
        return PermanentError(f"message refused: {_reply(exc.smtp_code, exc.smtp_error)}")
    # No connection, time-out, dropped connection, 4xx, and whatever else the backend
    # raised: worth another try (``deliver`` gives up after NOTIFICATION_MAX_ATTEMPTS).
    return TransientError(f"{type(exc).__name__}: {exc}")


def send_email(delivery: Delivery) -> str | None:
    """Send one notification by e-mail; ``SKIPPED`` when the person has no address or
    has been deactivated since."""
    recipient = delivery.notification.recipient
    if not recipient.is_active or not (recipient.email or "").strip():
        return SKIPPED
    message = email_message(delivery)
    try:
        connection = get_connection(timeout=_timeout())
        connection.open()
        try:
            sent = connection.send_messages([message])
        finally:
            # The server has the message (or we are already raising): a failing QUIT
            # must not turn a sent mail into a retry.
            with suppress(Exception):
                connection.close()
    except Exception as exc:
        raise _classified(exc) from exc
    if not sent:
        raise TransientError("the e-mail backend sent nothing")
    return None
