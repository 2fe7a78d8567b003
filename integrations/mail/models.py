"""Mailboxes that turn e-mail into tickets and comments, and what they did with each mail."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Mailbox(models.Model):
    """An IMAP folder polled for one queue. The password is never stored: the admin names
    an environment variable or a file that holds it."""

    class Security(models.TextChoices):
        TLS = "tls", _("TLS (IMAPS, port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        PLAIN = "plain", _("none (loopback hosts only)")

    class Processed(models.TextChoices):
        MOVE = "move", _("move to a folder")
        FLAG = "flag", _("flag and mark as read")

    queue = models.ForeignKey(
        "tickets.Queue",
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        related_name="mailboxes",
    )
    address = models.EmailField(
        _("address"),
        unique=True,
        help_text=_("What people write to; notifications of the queue's tickets reply to it."),
    )
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=8, choices=Security.choices, default=Security.TLS
    )
    username = models.CharField(_("user name"), max_length=255)
    password_env = models.CharField(
        _("password variable"),
        max_length=100,
        blank=True,
        help_text=_("Name of the environment variable that holds the password."),
    )
    password_file = models.CharField(
        _("password file"),
        max_length=255,
        blank=True,
        help_text=_("Path of a file that holds the password (used when no variable is named)."),
    )
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed = models.CharField(
        _("processed mail"), max_length=4, choices=Processed.choices, default=Processed.FLAG
    )
    processed_folder = models.CharField(
        _("folder for processed mail"), max_length=255, blank=True, default="Processed"
    )
    allowed_domains = models.TextField(
        _("domains of unknown senders"),
        blank=True,
        help_text=_(
            "One domain a line (e.g. example.com). A sender who is not a user is accepted "
            "only from these; an account without a password is made for them."
        ),
    )
    answer_refused = models.BooleanField(
        _("answer refused senders"),
        default=False,
        help_text=_("Send one polite answer to a refused sender (never to automatic mail)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        errors = {}
        if self.security == self.Security.PLAIN and self.host.strip().lower() not in LOOPBACK_HOSTS:
            errors["security"] = _("Without TLS only a loopback host (127.0.0.1) may be used.")
        if not self.password_env and not self.password_file:
            errors["password_env"] = _("Name an environment variable or a file with the password.")
        if self.processed == self.Processed.MOVE and not self.processed_folder.strip():
            errors["processed_folder"] = _("Name the folder processed mail is moved to.")
        if errors:
            raise ValidationError(errors)

    @property
    def domains(self) -> frozenset[str]:
        return frozenset(
            line.strip().lower().lstrip("@") for line in self.allowed_domains.split() if line
        )


class InboundMail(models.Model):
    """One fetched mail and what became of it; its Message-ID is unique, so a mail fetched
    twice (a crash before it was moved, two folders) is handled once."""

    class Outcome(models.TextChoices):
        TICKET = "ticket", _("new ticket")
        COMMENT = "comment", _("comment")
        REFUSED = "refused", _("refused")
        IGNORED = "ignored", _("ignored (automatic or flood)")
        FAILED = "failed", _("failed")

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.CASCADE, related_name="mails"
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    sender = models.CharField(_("sender"), max_length=255, db_index=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("fetched"), db_index=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.ForeignKey(
        "tickets.Comment",
        verbose_name=_("comment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered = models.BooleanField(_("answered"), default=False)

    class Meta:
        verbose_name = _("incoming mail")
        verbose_name_plural = _("incoming mail")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["sender", "received_at"], name="inboundmail_sender_time")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class SentMail(models.Model):
    """The Message-ID of a notification mail we sent about a ticket: a reply naming it in
    In-Reply-To or References is a comment on that ticket."""

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("sent notification mail")
        verbose_name_plural = _("sent notification mail")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.message_id
