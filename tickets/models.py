"""Tickets and their workflow: queues, statuses, priorities, comments, files, history.

Models hold data and single-row rules only; every change goes through
``tickets/services.py`` and every read that depends on who is asking through
``tickets/selectors.py``.
"""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb, for example #0d6efd.")
)
key_prefix_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{0,9}$",
    _("Use 1 to 10 capital Latin letters or digits, starting with a letter, for example HD."),
)


class Source(models.TextChoices):
    """Where a change came from; shown in the history."""

    WEB = "web", _("web")
    API = "api", _("API")
    ADMIN = "admin", _("administration")
    REDMINE = "redmine", _("Redmine")
    SYSTEM = "system", _("system")
    EMAIL = "email", _("e-mail")
    SLA = "sla", _("service level")
    MACRO = "macro", _("macro")
    MERGE = "merge", _("merge")


class LocalizedName(models.Model):
    """A name kept in Russian and English; ``name`` answers in the active language."""

    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "ru").startswith("en"):
            return self.name_en or self.name_ru
        return self.name_ru or self.name_en


class Status(LocalizedName):
    """A workflow state and a column of the board."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    colour = models.CharField(
        _("colour"), max_length=7, default="#6c757d", validators=[colour_validator]
    )
    is_closed = models.BooleanField(
        _("closed"),
        default=False,
        help_text=_(
            "The work is over: such tickets leave the open lists and are never overdue. "
            "Entering a closed status from an open one records the resolution time."
        ),
    )

    class Meta:
        verbose_name = _("status")
        verbose_name_plural = _("statuses")
        ordering = ["order", "id"]


class Priority(LocalizedName):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Higher means more urgent.")
    )
    colour = models.CharField(
        _("colour"), max_length=7, default="#6c757d", validators=[colour_validator]
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Given to new tickets when none is chosen.")
    )
    is_high = models.BooleanField(
        _("high"), default=False, help_text=_("Counts for the board's “high priority” filter.")
    )

    class Meta:
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        ordering = ["order", "id"]


class Queue(models.Model):
    """A line of work (e.g. the service desk, network, 1C) with its own agents and keys."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_prefix = models.CharField(
        _("key prefix"),
        max_length=10,
        unique=True,
        validators=[key_prefix_validator],
        help_text=_("Tickets of this queue get keys such as HD-42."),
    )
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agents"),
        related_name="ticket_queues",
        blank=True,
        help_text=_("Agents who work this queue's tickets."),
    )
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active queues accept new tickets.")
    )
    reopen_on_reply = models.BooleanField(
        _("reopen on the requester's reply"),
        default=True,
        help_text=_("A reply from the requester on a resolved or closed ticket opens it again."),
    )

    board_statuses = models.ManyToManyField(
        Status,
        verbose_name=_("board columns"),
        related_name="+",
        blank=True,
        help_text=_(
            "The statuses shown as columns on this queue's board. None chosen: every "
            "status, including ones added later. Once chosen, a new status is not added "
            "here; tickets in a status that is not a column are listed above the board."
        ),
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tickets:board_queue", kwargs={"slug": self.slug})


class KeyCounter(models.Model):
    """The last number given to a key prefix; locked while a ticket is created."""

    prefix = models.CharField(max_length=10, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("key counter")
        verbose_name_plural = _("key counters")

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last_number}"


class WipLimit(models.Model):
    """A work-in-progress limit for one status column of one queue's board."""

    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="wip_limits"
    )
    status = models.ForeignKey(
        Status, verbose_name=_("status"), on_delete=models.CASCADE, related_name="+"
    )
    limit = models.PositiveSmallIntegerField(_("limit"))

    class Meta:
        verbose_name = _("WIP limit")
        verbose_name_plural = _("WIP limits")
        constraints = [
            models.UniqueConstraint(fields=["queue", "status"], name="tickets_wip_limit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.queue}: {self.status} ≤ {self.limit}"


class Transition(models.Model):
    """An allowed status change in a queue. A queue without any allows every change."""

    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.ForeignKey(
        Status, verbose_name=_("from"), on_delete=models.CASCADE, related_name="+"
    )
    to_status = models.ForeignKey(
        Status, verbose_name=_("to"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("allowed transition")
        verbose_name_plural = _("allowed transitions")
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "from_status", "to_status"], name="tickets_transition_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalize(name: str) -> str:
        """Tags are lower case, single words: ``" VPN  Client"`` becomes ``"vpn-client"``."""
        return "-".join(name.strip().lower().split())[:50]


class Ticket(models.Model):
    # Set by ``tickets.selectors.ticket_detail``: may the viewer work the ticket?
    viewer_can_work: bool
    # Set by the ticket page's view: does the viewer watch the ticket?
    viewer_is_watching: bool

    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets"
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    key = models.CharField(_("key"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    status = models.ForeignKey(
        Status, verbose_name=_("status"), on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.ForeignKey(
        Priority, verbose_name=_("priority"), on_delete=models.PROTECT, related_name="tickets"
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("watchers"),
        blank=True,
        related_name="watched_tickets",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.WEB)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Grows with every change; a change made on an older version is refused."),
    )
    rank = models.BigIntegerField(_("rank"), default=0, editable=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_from",
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [
            # The board: a queue's open and lately closed tickets (open ones have no
            # closed_at); a status column in card order (placing a moved card).
            models.Index(fields=["queue", "closed_at", "status"], name="tickets_board_recent_idx"),
            models.Index(fields=["status", "rank"], name="tickets_board_all_idx"),
            # Filters and sorts of the list.
            models.Index(fields=["assignee", "status"], name="tickets_assignee_idx"),
            models.Index(fields=["requester", "status"], name="tickets_requester_idx"),
            models.Index(fields=["priority", "status"], name="tickets_priority_idx"),
            models.Index(fields=["created_at"], name="tickets_created_idx"),
            # Resolved per day and resolution times (the dashboard) read a period of these.
            models.Index(fields=["resolved_at"], name="tickets_resolved_idx"),
            models.Index(fields=["updated_at"], name="tickets_updated_idx"),
            models.Index(fields=["due_date"], name="tickets_due_idx"),
            models.Index(fields=["title"], name="tickets_title_idx"),
        ]
        # Keys are unique; numbers are counted per key prefix, and a ticket moved to
        # another queue keeps its key and number.

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", kwargs={"key": self.key})

    @staticmethod
    def overdue(
        due_date: datetime.date | None, status: "Status", today: datetime.date | None = None
    ) -> bool:
        """The one rule: past its due date and not in a closed status."""
        today = today or timezone.localdate()
        return bool(due_date and not status.is_closed and due_date < today)

    @property
    def is_overdue(self) -> bool:
        return self.overdue(self.due_date, self.status)


class Comment(models.Model):
    # Set for display by ``tickets.timeline`` (all of them) and the comments API (the HTML).
    body_html: str
    author_name: str
    author_avatar: str
    created_iso: str
    created_exact: str
    created_ago: str
    edited_exact: str
    edited_label: str
    source_label: str
    can_edit: bool
    edit_needs_reason: bool
    edit_url: str
    revision_list: "list[CommentRevision]"

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket_comments",
    )
    body = models.TextField(_("text"))
    is_internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Seen by agents only.")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.WEB)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    edit_reason = models.CharField(_("reason for the edit"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_comment_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"


class CommentRevision(models.Model):
    """A comment's text before one of its edits: the history staff read."""

    # Set for display by ``tickets.timeline``.
    edited_exact: str

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="revisions"
    )
    body = models.TextField(_("previous text"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    edited_at = models.DateTimeField(_("edited"), default=timezone.now, editable=False)
    reason = models.CharField(_("reason for the edit"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("comment revision")
        verbose_name_plural = _("comment revisions")
        ordering = ["edited_at", "id"]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.body[:40]}"


class CommentMention(models.Model):
    """Someone a comment (or internal note) names with ``@login``, written by the comment
    service: the home page's "mentioned since my last answer" and the list's
    ``mentioned=me`` read these instead of searching comment texts. ``ticket`` and
    ``created_at`` (the comment's, or the edit's that added the mention) are copied here
    so both are read off one index."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="mentions"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentioned person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("mentioned"), default=timezone.now, editable=False)
    # The comment's: a mention in an internal note counts only for those who work the ticket.
    is_internal = models.BooleanField(_("internal note"), default=False)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="tickets_mention_unique")
        ]
        indexes = [
            models.Index(fields=["user", "ticket", "created_at"], name="tickets_mention_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.user_id}"


def attachment_path(attachment: "Attachment", filename: str) -> str:
    """Files are stored under a random name; the original name is only metadata."""
    suffix = PurePath(filename).suffix.lower()[:16]
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    # Set by ``tickets.timeline``: the Bootstrap icon of the file type.
    icon: str

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse(
            "tickets:attachment", kwargs={"key": self.ticket.key, "attachment_id": self.pk}
        )


class TicketEvent(models.Model):
    """One entry of a ticket's history.

    Values are stored raw (ids, codes, ISO dates, text), never as translated labels, so
    the timeline is rendered in the language of whoever reads it.
    """

    # Set for display by the events API (its sentence in the reader's language).
    text: str

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        COMMENTED = "commented", _("commented")
        ATTACHED = "attached", _("attached a file")
        MOVED = "moved", _("moved on the board")
        WATCHER_ADDED = "watcher_added", _("watcher added")
        WATCHER_REMOVED = "watcher_removed", _("watcher removed")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.WEB)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    field = models.CharField(_("field"), max_length=30, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    is_internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Shown to agents only.")
    )

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_event_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.field}".strip()


class SavedView(models.Model):
    """A named ticket-list query (the list's URL parameters) kept for one user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_ticket_views",
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="tickets_saved_view_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        url = reverse("tickets:list")
        return f"{url}?{self.query}" if self.query else url


class SearchDocument(models.Model):
    """A ticket's words in their normal forms (``tickets.lemmas``), which the database's
    full-text engine indexes: SQLite FTS5 or InnoDB FULLTEXT (see docs/search.md)."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.TextField(blank=True)
    description = models.TextField(blank=True)
    # Public comments; ``notes`` holds internal notes, read only by who works the ticket.
    comments = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return self.title


class CannedReply(models.Model):
    """A prepared answer: shared by a queue (its managers edit it) or one agent's own.

    ``body`` is Markdown with placeholders from ``tickets.placeholders`` (e.g.
    ``{{ requester.first_name }}``), filled in when an agent inserts it."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Markdown. Placeholders: {{ requester.first_name }}, {{ requester.name }}, "
            "{{ ticket.key }}, {{ ticket.title }}, {{ ticket.due_date }}, {{ queue.name }}, "
            "{{ agent.name }}, {{ agent.first_name }}."
        ),
    )
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        help_text=_("Shared with every agent of this queue."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        help_text=_("A personal reply: only its owner sees it."),
    )
    usage_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["-usage_count", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(queue__isnull=False, owner__isnull=True)
                    | models.Q(queue__isnull=True, owner__isnull=False)
                ),
                name="tickets_canned_reply_queue_or_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from tickets.placeholders import placeholder_errors

        errors = placeholder_errors(self.body)
        if errors:
            raise ValidationError({"body": errors})
        if (self.queue_id is None) == (self.owner_id is None):
            raise ValidationError(_("Choose either a queue (shared) or an owner (personal)."))


class Macro(models.Model):
    """A named set of changes an agent applies to a ticket in one click."""

    class AssigneeMode(models.TextChoices):
        KEEP = "", _("leave as it is")
        ME = "me", _("whoever runs the macro")
        USER = "user", _("the agent chosen below")
        NOBODY = "nobody", _("nobody (unassign)")

    name = models.CharField(_("name"), max_length=120)
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Offered on this queue's tickets only; empty: on every queue."),
    )
    status = models.ForeignKey(
        Status,
        verbose_name=_("status"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.ForeignKey(
        Priority,
        verbose_name=_("priority"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee_mode = models.CharField(
        _("assignee"), max_length=10, choices=AssigneeMode, default=AssigneeMode.KEEP, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tags_add = models.CharField(
        _("tags to add"), max_length=300, blank=True, help_text=_("Separated by commas.")
    )
    tags_remove = models.CharField(
        _("tags to remove"), max_length=300, blank=True, help_text=_("Separated by commas.")
    )
    reply = models.ForeignKey(
        CannedReply,
        verbose_name=_("canned reply"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"owner__isnull": True},
        help_text=_("Posted with the placeholders filled in."),
    )
    reply_is_internal = models.BooleanField(_("post the reply as an internal note"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["order", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def tag_names(text: str) -> list[str]:
        return [name for name in (Tag.normalize(part) for part in text.split(",")) if name]
