import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.outbox import OutboxItem

if TYPE_CHECKING:
    from tickets.models import Priority, Status


class SyncRun(models.Model):
    """One run of an integration job (ERP directory sync, Redmine pull or push): when,
    how it ended, what it did and what went wrong."""

    class Kind(models.TextChoices):
        ERP_DIRECTORY = "erp_directory", _("ERP directory sync")
        REDMINE_PULL = "redmine_pull", _("Redmine pull")
        REDMINE_IMPORT = "redmine_import", _("Redmine import from its database")
        MAIL_FETCH = "mail_fetch", _("E-mail fetch")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCESS = "success", _("Succeeded")
        PARTIAL = "partial", _("Finished with errors")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    kind = models.CharField(_("job"), max_length=32, choices=Kind.choices)
    trigger = models.CharField(
        _("started by"),
        max_length=100,
        blank=True,
        help_text=_("schedule, command or the operator who asked for it"),
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    deactivated = models.PositiveIntegerField(_("deactivated"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # [{"item": "...", "error": "..."}], capped; the reason of a failed run is in `message`.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    # Where the next incremental run starts, on the source's own clock (the ERP
    # database's SYSDATE at the start of this run), as ISO text without a zone.
    source_cursor = models.CharField(_("source clock at start"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-started_at"], name="syncrun_kind_started")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> dt.timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


# --- Redmine ---------------------------------------------------------------------------
# Everything is matched on Redmine's ids: Redmine translates the names of statuses,
# priorities and trackers into its installation language. Names are kept for display.


class RedmineProject(models.Model):
    """A Redmine project synced with a queue."""

    class Direction(models.TextChoices):
        PULL = "pull", _("Redmine → Helpdesk")
        PUSH = "push", _("Helpdesk → Redmine")
        BOTH = "both", _("both ways")

    class PrivateIssues(models.TextChoices):
        SKIP = "skip", _("not synced")
        QUEUE = "queue", _("synced, seen by the queue's agents")

    redmine_id = models.PositiveIntegerField(_("Redmine project id"), unique=True)
    name = models.CharField(_("Redmine project"), max_length=255, blank=True)
    queue = models.ForeignKey(
        "tickets.Queue",
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        related_name="redmine_projects",
    )
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.BOTH
    )
    tracker_id = models.PositiveIntegerField(
        _("tracker id for new issues"),
        null=True,
        blank=True,
        help_text=_("Used when an agent escalates a ticket; empty: the project's first tracker."),
    )
    private_issues = models.CharField(
        _("private issues"),
        max_length=8,
        choices=PrivateIssues.choices,
        default=PrivateIssues.SKIP,
        help_text=_(
            "Redmine shows a private issue only to its author, its assignee and members "
            "allowed to see private issues. Not synced: such issues stay in Redmine, and a "
            "linked issue made private is unlinked. Synced: they become tickets of the queue, "
            "seen by all its agents."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Redmine user ids an issue of the project can be assigned to (memberships with an
    # assignable role), read by each pull; None until the first one.
    assignable_ids = models.JSONField(_("assignable Redmine users"), null=True, blank=True)
    # Issues updated at or after this moment (minus the overlap) are read next time.
    cursor = models.DateTimeField(_("synced up to"), null=True, blank=True)
    # Until a pull has gone through the whole backlog once, new tickets notify nobody.
    backlog_done = models.BooleanField(_("first import done"), default=False)
    ids_checked_at = models.DateTimeField(_("deleted issues checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Redmine project mapping")
        verbose_name_plural = _("Redmine project mappings")
        ordering = ["redmine_id"]

    def __str__(self) -> str:
        return f"{self.name or self.redmine_id} ↔ {self.queue}"

    @property
    def pulls(self) -> bool:
        return self.direction in (self.Direction.PULL, self.Direction.BOTH)

    @property
    def pushes(self) -> bool:
        return self.direction in (self.Direction.PUSH, self.Direction.BOTH)

    @property
    def imports_private(self) -> bool:
        return self.private_issues == self.PrivateIssues.QUEUE


class RedmineValue(models.Model):
    """A Redmine status or priority (by id) and the local one it is."""

    redmine_id = models.PositiveIntegerField(_("Redmine id"), unique=True)
    name = models.CharField(_("name in Redmine"), max_length=255, blank=True)
    push_default = models.BooleanField(
        _("used when pushing"),
        default=False,
        help_text=_("Where several Redmine values map to one of ours, this one is sent."),
    )

    class Meta:
        abstract = True
        ordering = ["redmine_id"]

    def __str__(self) -> str:
        return f"{self.name or self.redmine_id} ↔ {self.local}"

    @property
    def local(self) -> models.Model:
        """The local status or priority (of the subclass)."""
        raise NotImplementedError


class RedmineStatus(RedmineValue):
    status = models.ForeignKey(
        "tickets.Status", verbose_name=_("status"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta(RedmineValue.Meta):
        verbose_name = _("Redmine status mapping")
        verbose_name_plural = _("Redmine status mappings")

    @property
    def local(self) -> "Status":
        return self.status


class RedminePriority(RedmineValue):
    priority = models.ForeignKey(
        "tickets.Priority",
        verbose_name=_("priority"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta(RedmineValue.Meta):
        verbose_name = _("Redmine priority mapping")
        verbose_name_plural = _("Redmine priority mappings")

    @property
    def local(self) -> "Priority":
        return self.priority


class RedmineUser(models.Model):
    """A Redmine user and the local user they are (none: not matched)."""

    redmine_id = models.PositiveIntegerField(_("Redmine user id"), unique=True)
    login = models.CharField(_("Redmine login"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    email = models.CharField(_("e-mail"), max_length=255, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="redmine_account",
    )

    class Meta:
        verbose_name = _("Redmine user mapping")
        verbose_name_plural = _("Redmine user mappings")
        ordering = ["login", "redmine_id"]

    def __str__(self) -> str:
        return f"{self.login or self.redmine_id} ↔ {self.user or '—'}"


# Journals Redmine wrote for our pushes that a link remembers (``own_journal_ids``), so
# the pull skips them; older ones are below its last pulled journal by then.
OWN_JOURNALS_KEPT = 50


class RedmineLink(models.Model):
    """A ticket and the Redmine issue it is synced with.

    A link is never deleted: once the issue is gone from what we sync (deleted, hidden,
    moved away) or the ticket is deleted, it stays as a tombstone (``unlinked_at``, or no
    ticket), so the issue is not imported again as a new ticket."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="redmine_link",
    )
    issue_id = models.PositiveIntegerField(_("Redmine issue"), unique=True)
    project_id = models.PositiveIntegerField(_("Redmine project id"), db_index=True)
    remote_updated_on = models.DateTimeField(_("Redmine updated_on"), null=True, blank=True)
    last_journal_id = models.PositiveIntegerField(_("last pulled journal"), default=0)
    # The issue's fields as last seen in step on both sides (Redmine ids and values):
    # what tells a change on one side from a change on the other, and a conflict.
    synced_state = models.JSONField(_("last synced state"), default=dict, blank=True)
    # Journals Redmine wrote for our own pushes: never pulled back as comments.
    own_journal_ids = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(_("synced"), null=True, blank=True)
    unlinked_at = models.DateTimeField(_("unlinked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Redmine link")
        verbose_name_plural = _("Redmine links")
        ordering = ["-issue_id"]

    def __str__(self) -> str:
        return f"#{self.issue_id} ↔ {self.ticket_id or '—'}"

    @property
    def active(self) -> bool:
        return self.ticket_id is not None and self.unlinked_at is None


class RedminePush(OutboxItem):
    """A local change of a linked ticket waiting to be sent to Redmine (an outbox:
    written with the change, sent after it commits, retried until Redmine takes it)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    link = models.ForeignKey(
        RedmineLink, verbose_name=_("link"), on_delete=models.CASCADE, related_name="pushes"
    )
    fields = models.JSONField(_("fields"), default=list, blank=True)
    comment = models.ForeignKey(
        "tickets.Comment",
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    # The journal Redmine wrote for this comment: an attempt after a lost answer finds
    # the note already there, not claimed by another push, and does not send it again.
    journal_id = models.PositiveIntegerField(_("Redmine journal"), null=True, blank=True)

    class Meta(OutboxItem.Meta):
        verbose_name = _("Redmine push")
        verbose_name_plural = _("Redmine pushes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        what = ", ".join(self.fields) or ("comment" if self.comment_id else "")
        return f"#{self.link.issue_id}: {what}"


# --- Tickets by e-mail (integrations/mail) ---------------------------------------------

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
        FAILED = "failed", _("not handled")

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
        verbose_name_plural = _("incoming mails")
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
        verbose_name_plural = _("sent notification mails")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.message_id


# Redmine's own tables, read-only through the ``redmine`` alias (see the router).
from integrations.redmine_db import (  # noqa: E402
    RmEmailAddress,
    RmEnumeration,
    RmIssue,
    RmIssueStatus,
    RmJournal,
    RmJournalDetail,
    RmProject,
    RmUser,
)

__all__ = [
    "InboundMail",
    "Mailbox",
    "RedmineLink",
    "RedminePriority",
    "RedmineProject",
    "RedminePush",
    "RedmineStatus",
    "RedmineUser",
    "RmEmailAddress",
    "RmEnumeration",
    "RmIssue",
    "RmIssueStatus",
    "RmJournal",
    "RmJournalDetail",
    "RmProject",
    "RmUser",
    "SentMail",
    "SyncRun",
]
