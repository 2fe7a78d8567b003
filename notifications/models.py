from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.outbox import OutboxItem, OutboxState


class Event(models.TextChoices):
    """What a notification is about; each can be switched per channel (preferences)."""

    ASSIGNED = "assigned", _("Assigned to me")
    COMMENTED = "commented", _("New comment")
    STATUS_CHANGED = "status_changed", _("Status changed")
    MENTIONED = "mentioned", _("Mentioned")
    NEW_TICKET = "new_ticket", _("New ticket in my queue")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    SIGN_IN_PAUSED = "sign_in_paused", _("Sign-in paused after wrong passwords")
    SLA_AT_RISK = "sla_at_risk", _("SLA about to be breached")
    SLA_BREACHED = "sla_breached", _("SLA breached")


class Channel(models.TextChoices):
    """Where a notification is delivered. ``ws`` is the page (toast, badge, centre)."""

    WS = "ws", _("In the app")
    PUSH = "push", _("Browser push")
    EMAIL = "email", _("E-mail")


class Notification(models.Model):
    """One thing one person should hear about. Written in the transaction of the change
    that caused it; its deliveries say how far each channel got."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    event = models.CharField(_("event"), max_length=20, choices=Event)
    # Empty for notices about the account itself (sign-in paused).
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Language-neutral parts the text is built from when shown, in the reader's language:
    # {"key", "title", "actor", "status", "excerpt", "due_date", ...}.
    params = models.JSONField(_("details"), default=dict, blank=True)
    # Once-only notifications (due soon, overdue) carry a key; NULLs never collide.
    once_key = models.CharField(  # noqa: DJ001 (NULL: the unique constraint skips it)
        max_length=100, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "once_key"], name="notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.recipient_id} ({self.params.get('key', '')})"


class Delivery(OutboxItem):
    """One notification on one channel (``notifications.delivery``). Claimed before
    sending, so a retry, a second worker or the sweep never sends it twice."""

    State = OutboxState

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    sent_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta(OutboxItem.Meta):
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}: {self.state}"


class NotificationPreference(models.Model):
    """A person's choice for one event on one channel; without a row the default holds
    (``notifications.preferences.DEFAULTS``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(_("event"), max_length=20, choices=Event)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    enabled = models.BooleanField(_("on"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "channel"], name="notification_preference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}/{self.channel}: {self.enabled}"
