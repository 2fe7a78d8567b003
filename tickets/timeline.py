"""A ticket's timeline: comments and history entries merged in time order.

History rows keep raw values (ids, codes, ISO dates); here they become sentences in the
viewer's language: statuses, priorities and queues come from the cached ``workflow()``,
people from one query for every id the entries mention. The number of queries is the
same whatever the number of comments and entries.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as format_date
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.formats import date_format, get_format
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User, Viewer
from tickets.markdown import render_markdown_many
from tickets.mentions import mentioned_people, render_mentions
from tickets.models import Attachment, Comment, Source, Ticket, TicketEvent
from tickets.selectors import (
    CommentEditRight,
    comment_edit_right,
    comment_revisions,
    ticket_people,
    user_can_work_ticket,
    visible_attachments,
    visible_comments,
    visible_events,
)
from tickets.templatetags.ticket_tags import avatar
from tickets.workflow import workflow

USER_FIELDS = ("assignee", "requester", "conflict_assignee")
# The changes a live ticket page describes (``change_sentences``): what everyone who may
# open the ticket sees on it anyway.
SUMMARISED_FIELDS = frozenset(
    {"status", "priority", "queue", "assignee", "requester", "due_date", "tags", "title"}
    | {"description", "comment"}
)
Kind = TicketEvent.Kind


@dataclass
class TimelineEntry:
    """One row of the timeline: a comment, or one history entry rendered as a sentence."""

    kind: str  # "comment" or "event"
    at: datetime
    sort_key: tuple[Any, ...]
    actor: User | None = None
    comment: Comment | None = None
    attachments: list[Attachment] = field(default_factory=list)
    event: TicketEvent | None = None
    text: SafeString = field(default_factory=SafeString)
    icon: str = "bi-clock-history"
    via: str = ""

    @property
    def ago(self) -> str:
        return moment_label(self.at)

    @property
    def anchor(self) -> str:
        if self.comment is not None:
            return f"comment-{self.comment.pk}"
        return f"event-{self.event.pk}" if self.event is not None else ""


@dataclass
class TicketPage:
    entries: list[TimelineEntry]
    attachments: list[Attachment]
    watchers: list[User]

    @property
    def comment_count(self) -> int:
        return sum(1 for entry in self.entries if entry.kind == "comment")


def ago(moment: datetime) -> str:
    """How long ago, roughly ("just now", "5 minutes ago", "2 days ago")."""
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    # humanize has whole phrases per number form ("1 минуту назад", "3 минуты назад").
    return naturaltime(moment)


# Up to a day ago a relative time says the most ("3 hours ago"); past that, eleven
# comments written hours apart would all read "1 month, 3 weeks ago": a date says more.
RELATIVE_FOR = timedelta(days=1)


def moment_label(moment: datetime, *, now: datetime | None = None, with_time: bool = True) -> str:
    """When something happened, for a list or a timeline: relative under a day, else the
    date (and time) in the reader's short format. The exact time goes in a tooltip."""
    if (now or timezone.now()) - moment < RELATIVE_FOR:
        return ago(moment)
    return date_format(
        timezone.localtime(moment), "SHORT_DATETIME_FORMAT" if with_time else "SHORT_DATE_FORMAT"
    )


def change_sentences(
    *, actor: User | None, changes: dict[str, tuple[str, str]]
) -> dict[str, list[str]]:
    """What a change did, as plain sentences in each language of the site, for pages
    that have the ticket open ("… changed the status from New to In progress").

    ``changes`` are the raw values of the ``ticket_changed`` signal. Fields outside
    ``SUMMARISED_FIELDS`` are left out; no sentence at all gives ``{}``.
    """
    events = [
        TicketEvent(kind=Kind.CHANGED, field=name, old_value=old, new_value=new, actor=actor)
        for name, (old, new) in changes.items()
        if name in SUMMARISED_FIELDS
    ]
    if not events:
        return {}
    wanted = _EventRenderer.mentioned_ids(events)
    people = User.objects.in_bulk(wanted) if wanted else {}
    renderer = _EventRenderer(events=events, comment_ids=set(), attachments={}, people=people)
    sentences: dict[str, list[str]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            sentences[language] = [
                unescape(strip_tags(rendered[1]))
                for rendered in map(renderer.render, events)
                if rendered is not None
            ]
    return sentences


def attachment_icon(content_type: str) -> str:
    """A Bootstrap icon for a file type."""
    kind, _slash, subtype = (content_type or "").partition("/")
    if kind == "image":
        return "bi-file-earmark-image"
    if subtype == "pdf":
        return "bi-file-earmark-pdf"
    if any(word in subtype for word in ("zip", "rar", "7z", "gzip", "compressed")):
        return "bi-file-earmark-zip"
    if any(word in subtype for word in ("sheet", "excel", "csv")) or subtype == "csv":
        return "bi-file-earmark-spreadsheet"
    if any(word in subtype for word in ("word", "opendocument.text", "rtf")):
        return "bi-file-earmark-word"
    if any(word in subtype for word in ("presentation", "powerpoint")):
        return "bi-file-earmark-slides"
    if kind == "text" or subtype in ("json", "xml"):
        return "bi-file-earmark-text"
    return "bi-file-earmark"


def ticket_page(*, user: Viewer, ticket: Ticket) -> TicketPage:
    """The timeline and the attachment panel of ``ticket`` as ``user`` may see them."""
    attachments = list(visible_attachments(user, ticket).order_by("created_at", "id"))
    by_comment: dict[int, list[Attachment]] = {}
    for attachment in attachments:
        attachment.icon = attachment_icon(attachment.content_type)
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    # The comments' files come from the panel's list above: no second query for them.
    comments = list(visible_comments(user, ticket).prefetch_related(None))
    _decorate_comments(comments, user=user, ticket=ticket)
    # Rows the timeline would fold away anyway are not read: a "commented" row stands
    # for a comment that is shown itself, a "rank" move is a reorder within a column.
    events = list(
        visible_events(user, ticket)
        .exclude(kind=Kind.COMMENTED)
        .exclude(kind=Kind.MOVED, field="rank")
    )
    entries = [
        TimelineEntry(
            kind="comment",
            at=comment.created_at,
            # A comment written with a change (reply and change the status) comes after it.
            sort_key=(comment.created_at, 2, comment.pk),
            actor=comment.author,
            comment=comment,
            attachments=by_comment.get(comment.pk, []),
        )
        for comment in comments
    ]
    # The watchers and the people the history names, in one query.
    watchers, people = ticket_people(ticket, user_ids=_EventRenderer.mentioned_ids(events))
    renderer = _EventRenderer(
        events=events,
        comment_ids={comment.pk for comment in comments},
        attachments={attachment.pk: attachment for attachment in attachments},
        people=people,
    )
    entries.extend(entry for entry in map(renderer.entry, events) if entry is not None)
    entries.sort(key=lambda entry: entry.sort_key)
    return TicketPage(entries=entries, attachments=attachments, watchers=watchers)


def _decorate_comments(comments: list[Comment], *, user: Viewer, ticket: Ticket) -> None:
    """What each comment card shows, worked out here: a ticket may have hundreds of them,
    and template tags and filters per card would cost most of the page's time."""
    can_work = user_can_work_ticket(user, ticket)
    now = timezone.now()
    revisions = comment_revisions(user, ticket, comments)
    # Keys and ids hold no characters that need quoting: one reversed URL serves all.
    edit_pattern = reverse("tickets:comment_edit", kwargs={"key": ticket.key, "comment_id": 0})
    edit_pattern = edit_pattern.replace("/0/", "/{}/")
    faces: dict[int, SafeString] = {}
    exact = get_format("DATETIME_FORMAT")  # looked up once, not once per comment
    now = timezone.now()
    bodies = render_markdown_many([comment.body for comment in comments])
    named = mentioned_people([comment.body for comment in comments])
    for comment, html in zip(comments, bodies, strict=True):
        author = comment.author
        if author is not None and author.pk not in faces:
            faces[author.pk] = avatar(author, "lg")
        created = timezone.localtime(comment.created_at)
        comment.body_html = mark_safe(render_mentions(html, named)) if named else html  # noqa: S308
        comment.author_name = author.get_display_name() if author else ""
        comment.author_avatar = faces[author.pk] if author is not None else ""
        comment.created_iso = created.isoformat()
        comment.created_exact = dateformat.format(created, exact)
        comment.created_ago = moment_label(comment.created_at, now=now)
        comment.edited_exact = (
            dateformat.format(timezone.localtime(comment.edited_at), exact)
            if comment.edited_at
            else ""
        )
        comment.edited_label = _edited_label(comment) if comment.edited_at else ""
        comment.source_label = "" if comment.source == Source.WEB else comment.get_source_display()
        right = comment_edit_right(user, comment, can_work=can_work, now=now)
        comment.can_edit = right is not CommentEditRight.NONE
        comment.edit_needs_reason = right is CommentEditRight.REDACT
        comment.edit_url = edit_pattern.format(comment.pk)
        comment.revision_list = revisions.get(comment.pk, [])
        for revision in comment.revision_list:
            revision.edited_exact = dateformat.format(timezone.localtime(revision.edited_at), exact)


def _edited_label(comment: Comment) -> str:
    """«edited: Name, time» on the comment for everyone to see."""
    moment = dateformat.format(
        timezone.localtime(comment.edited_at), get_format("SHORT_DATETIME_FORMAT")
    )
    editor = comment.edited_by
    if editor is None:
        return _("edited: %(time)s") % {"time": moment}
    return _("edited: %(name)s, %(time)s") % {"name": editor.get_display_name(), "time": moment}


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _strong(value: object) -> SafeString:
    return format_html("<strong>{}</strong>", value)


def _sentence(template: str, **values: object) -> SafeString:
    """A translated sentence with its values escaped and emphasised."""
    safe = {name: _strong(value) for name, value in values.items()}
    safe["actor"] = format_html('<span class="fw-semibold">{}</span>', values.get("actor", ""))
    return mark_safe(conditional_escape(template) % safe)  # noqa: S308 - every part escaped


class _EventRenderer:
    """Turns raw history rows into sentences, resolving every referenced person at once."""

    def __init__(
        self,
        *,
        events: Sequence[TicketEvent],
        comment_ids: set[int],
        attachments: dict[int, Attachment],
        people: dict[int, User],
    ) -> None:
        self.flow = workflow()
        self.comment_ids = comment_ids
        self.attachments = attachments
        self.users = {event.actor.pk: event.actor for event in events if event.actor is not None}
        self.users.update(people)

    @staticmethod
    def mentioned_ids(events: Sequence[TicketEvent]) -> set[int]:
        """People the entries name besides their actors (assignees, watchers...)."""
        wanted: set[int] = set()
        for event in events:
            if event.field in USER_FIELDS or event.kind in (
                Kind.WATCHER_ADDED,
                Kind.WATCHER_REMOVED,
            ):
                wanted.update(filter(None, (_int(event.old_value), _int(event.new_value))))
        return wanted - {event.actor_id for event in events if event.actor_id}

    # --- values -----------------------------------------------------------------------

    def person(self, raw: str) -> str:
        pk = _int(raw)
        user = self.users.get(pk) if pk is not None else None
        if user is not None:
            return user.get_display_name()
        return _("a deleted user") if raw else _("nobody")

    def status(self, raw: str) -> str:
        found = self.flow.status(_int(raw))
        return found.name if found else _("a deleted status")

    def priority(self, raw: str) -> str:
        found = self.flow.priority(_int(raw))
        return found.name if found else _("a deleted priority")

    def queue(self, raw: str) -> str:
        found = self.flow.queue(_int(raw))
        return found.name if found else _("a deleted queue")

    @staticmethod
    def day(raw: str) -> str:
        try:
            return format_date(date.fromisoformat(raw), "DATE_FORMAT")
        except ValueError:
            return raw

    # --- entries ----------------------------------------------------------------------

    def entry(self, event: TicketEvent) -> TimelineEntry | None:
        rendered = self.render(event)
        if rendered is None:
            return None
        icon, text = rendered
        return TimelineEntry(
            kind="event",
            at=event.created_at,
            sort_key=(event.created_at, 0 if event.kind == Kind.CREATED else 1, event.pk),
            actor=event.actor,
            event=event,
            text=text,
            icon=icon,
            via=_via(event.source),
        )

    def render(self, event: TicketEvent) -> tuple[str, SafeString] | None:
        """``(icon, sentence)``, or None for entries the timeline folds away."""
        actor = event.actor.get_display_name() if event.actor else _("System")
        if event.kind == Kind.CREATED:
            return "bi-plus-circle", _sentence(_("%(actor)s created the ticket"), actor=actor)
        if event.kind == Kind.COMMENTED:
            if _int(event.new_value) in self.comment_ids:
                return None  # the comment itself is on the timeline
            return "bi-chat", _sentence(_("%(actor)s added a comment"), actor=actor)
        if event.kind == Kind.ATTACHED:
            return self._attached(event, actor)
        if event.kind in (Kind.WATCHER_ADDED, Kind.WATCHER_REMOVED):
            return self._watcher(event, actor)
        if event.kind == Kind.MOVED:
            if event.field != "status":
                return None  # a reorder inside a column says nothing about the ticket
            return "bi-kanban", _sentence(
                _("%(actor)s moved the ticket on the board from %(old)s to %(new)s"),
                actor=actor,
                old=self.status(event.old_value),
                new=self.status(event.new_value),
            )
        if event.kind == Kind.CHANGED:
            return self._changed(event, actor)
        return "bi-clock-history", _sentence(_("%(actor)s changed the ticket"), actor=actor)

    def _attached(self, event: TicketEvent, actor: str) -> tuple[str, SafeString] | None:
        pk = _int(event.new_value)
        attachment = self.attachments.get(pk) if pk is not None else None
        if attachment is not None and attachment.comment_id in self.comment_ids:
            return None  # shown with its comment
        if attachment is None:
            return "bi-paperclip", _sentence(_("%(actor)s attached a file"), actor=actor)
        return "bi-paperclip", _sentence(
            _("%(actor)s attached %(name)s"), actor=actor, name=attachment.original_name
        )

    def _watcher(self, event: TicketEvent, actor: str) -> tuple[str, SafeString]:
        own = event.actor_id is not None and _int(event.new_value) == event.actor_id
        if event.kind == Kind.WATCHER_ADDED:
            if own:
                return "bi-eye", _sentence(_("%(actor)s started watching"), actor=actor)
            return "bi-eye", _sentence(
                _("%(actor)s added %(person)s to the watchers"),
                actor=actor,
                person=self.person(event.new_value),
            )
        if own:
            return "bi-eye-slash", _sentence(_("%(actor)s stopped watching"), actor=actor)
        return "bi-eye-slash", _sentence(
            _("%(actor)s removed %(person)s from the watchers"),
            actor=actor,
            person=self.person(event.new_value),
        )

    def _changed(self, event: TicketEvent, actor: str) -> tuple[str, SafeString]:
        name, old, new = event.field, event.old_value, event.new_value
        if name in ("status", "priority", "queue"):
            show = getattr(self, name)
            templates = {
                "status": _("%(actor)s changed the status from %(old)s to %(new)s"),
                "priority": _("%(actor)s changed the priority from %(old)s to %(new)s"),
                "queue": _("%(actor)s moved the ticket from queue %(old)s to %(new)s"),
            }
            icons = {"status": "bi-arrow-left-right", "priority": "bi-flag", "queue": "bi-inbox"}
            return icons[name], _sentence(
                templates[name], actor=actor, old=show(old), new=show(new)
            )
        if name == "assignee":
            return "bi-person-check", self._assignee(event, actor)
        if name == "requester":
            return "bi-person", _sentence(
                _("%(actor)s changed the requester from %(old)s to %(new)s"),
                actor=actor,
                old=self.person(old),
                new=self.person(new),
            )
        if name == "due_date":
            return "bi-calendar-event", self._due_date(actor, old, new)
        if name == "tags":
            return "bi-tags", self._tags(actor, old, new)
        if name == "title":
            return "bi-pencil", _sentence(
                _("%(actor)s renamed the ticket from %(old)s to %(new)s"),
                actor=actor,
                old=old,
                new=new,
            )
        if name == "description":
            return "bi-pencil", _sentence(_("%(actor)s edited the description"), actor=actor)
        if name == "comment":
            return "bi-pencil", _sentence(_("%(actor)s edited a comment"), actor=actor)
        if name == "merged_into":
            return "bi-sign-merge-left", _sentence(
                _("%(actor)s merged this ticket into %(key)s"), actor=actor, key=new
            )
        if name == "merged_from":
            return "bi-sign-merge-left", _sentence(
                _("%(actor)s merged %(key)s into this ticket"), actor=actor, key=new
            )
        if name.startswith("redmine_"):
            return self._redmine(name, actor, old, new)
        if name.startswith("conflict_"):
            return "bi-exclamation-triangle", self._conflict(
                name.removeprefix("conflict_"), old, new
            )
        return "bi-pencil", _sentence(
            _("%(actor)s changed %(field)s"), actor=actor, field=name.replace("_", " ")
        )

    @staticmethod
    def _redmine(name: str, actor: str, old: str, new: str) -> tuple[str, SafeString]:
        if name == "redmine_linked":
            return "bi-link-45deg", _sentence(
                _("%(actor)s linked the ticket to Redmine issue %(issue)s"),
                actor=actor,
                issue=f"#{new}",
            )
        sentences = {
            "redmine_deleted": _(
                "Redmine issue %(issue)s was deleted; the ticket is no longer linked to it"
            ),
            "redmine_hidden": _(
                "Redmine issue %(issue)s can no longer be seen by Helpdesk; "
                "the ticket is no longer linked to it"
            ),
            "redmine_moved": _(
                "Redmine issue %(issue)s moved to project %(project)s, which is not synced; "
                "the ticket is no longer linked to it"
            ),
            "redmine_private": _(
                "Redmine issue %(issue)s was made private, and private issues of its project "
                "are not synced; the ticket is no longer linked to it"
            ),
            "redmine_relinked": _(
                "Redmine issue %(issue)s is synced again (in project %(project)s); the ticket "
                "is linked to it again"
            ),
        }
        template = sentences.get(
            name, _("The ticket is no longer linked to Redmine issue %(issue)s")
        )
        return "bi-link-45deg", _sentence(template, issue=f"#{old}", project=new)

    def _conflict(self, name: str, old: str, new: str) -> SafeString:
        """Both sides changed a field: what the sync kept, and what it overwrote."""
        show = {
            "status": self.status,
            "priority": self.priority,
            "queue": self.queue,
            "assignee": self.person,
            "due_date": self.day,
        }.get(name, lambda raw: Truncator(raw).chars(80) or "—")
        labels = {
            "status": _("status"),
            "priority": _("priority"),
            "assignee": _("assignee"),
            "due_date": _("due date"),
            "title": _("title"),
            "subject": _("title"),
            "description": _("description"),
        }
        return _sentence(
            _(
                "The %(field)s was changed both here and in Redmine; Redmine's %(new)s "
                "was kept and %(old)s was overwritten"
            ),
            field=labels.get(name, name),
            old=show(old),
            new=show(new),
        )

    def _assignee(self, event: TicketEvent, actor: str) -> SafeString:
        old, new = event.old_value, event.new_value
        if new and _int(new) == event.actor_id:
            return _sentence(_("%(actor)s took the ticket"), actor=actor)
        if not new:
            return _sentence(
                _("%(actor)s removed the assignee %(old)s"), actor=actor, old=self.person(old)
            )
        if not old:
            return _sentence(
                _("%(actor)s assigned the ticket to %(new)s"), actor=actor, new=self.person(new)
            )
        return _sentence(
            _("%(actor)s reassigned the ticket from %(old)s to %(new)s"),
            actor=actor,
            old=self.person(old),
            new=self.person(new),
        )

    def _due_date(self, actor: str, old: str, new: str) -> SafeString:
        if not new:
            return _sentence(
                _("%(actor)s removed the due date %(old)s"), actor=actor, old=self.day(old)
            )
        if not old:
            return _sentence(
                _("%(actor)s set the due date to %(new)s"), actor=actor, new=self.day(new)
            )
        return _sentence(
            _("%(actor)s changed the due date from %(old)s to %(new)s"),
            actor=actor,
            old=self.day(old),
            new=self.day(new),
        )

    @staticmethod
    def _tags(actor: str, old: str, new: str) -> SafeString:
        before = {tag for tag in old.split(",") if tag}
        after = {tag for tag in new.split(",") if tag}
        added, removed = sorted(after - before), sorted(before - after)
        if added and not removed:
            return _sentence(
                _("%(actor)s added the tags %(tags)s"), actor=actor, tags=", ".join(added)
            )
        if removed and not added:
            return _sentence(
                _("%(actor)s removed the tags %(tags)s"), actor=actor, tags=", ".join(removed)
            )
        return _sentence(
            _("%(actor)s changed the tags from %(old)s to %(new)s"),
            actor=actor,
            old=", ".join(sorted(before)) or "—",
            new=", ".join(sorted(after)) or "—",
        )


def _via(source: str) -> str:
    """Where a change came from, when it was not the web interface."""
    notes: dict[str, str] = {
        Source.API: _("via the API"),
        Source.ADMIN: _("via the administration site"),
        Source.REDMINE: _("via Redmine"),
        Source.SYSTEM: _("automatically"),
        Source.MACRO: _("by a macro"),
        Source.MERGE: _("by merging tickets"),
    }
    return notes.get(source, "")
