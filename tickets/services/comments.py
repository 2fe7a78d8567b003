"""Comments, internal notes and attachments."""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from tickets import search, signals
from tickets.mentions import mentioned_people
from tickets.models import (
    Attachment,
    Comment,
    CommentMention,
    CommentRevision,
    Source,
    Ticket,
    TicketEvent,
)
from tickets.selectors import (
    CommentEditRight,
    comment_edit_right,
    mention_refusals,
    user_can_see_ticket,
    user_can_work_ticket,
)
from tickets.services._base import (
    announce_change,
    lock_ticket,
    new_event,
    one_change,
    raw_value,
    reopen_on_reply,
    send_on_commit,
    store_files,
)
from tickets.uploads import Upload, removes_files_on_error, validate_uploads

# The longest reason for an edit (``Comment.edit_reason``).
REASON_MAX_LENGTH = 500

# --- Comments and files ---------------------------------------------------------------


def _comment_locked(
    *,
    actor: User | None,
    ticket: Ticket,
    body: str,
    is_internal: bool,
    source: str,
    now: datetime,
    files: Sequence[Upload],
    author: User | None = None,
    history: list[TicketEvent] | None = None,
) -> Comment:
    """Write a comment on a locked ticket; ``history``: the caller writes the history
    entries, added to this list."""
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError({"body": _("Write a comment or attach a file.")})
    if actor is not None:
        if not user_can_see_ticket(actor, ticket):
            raise PermissionDenied(_("You cannot comment on this ticket."))
        if is_internal and not user_can_work_ticket(actor, ticket):
            raise PermissionDenied(_("Only agents may write internal notes."))
    people = _mentions(ticket, body, is_internal=is_internal, check=actor is not None)
    validate_uploads(files)
    author = actor if author is None else author
    comment = Comment.objects.create(
        ticket=ticket,
        author=author,
        body=body,
        is_internal=is_internal,
        source=source,
        created_at=now,
    )
    events = [
        new_event(
            ticket,
            author,
            source,
            TicketEvent.Kind.COMMENTED,
            now,
            field="comment",
            new_value=str(comment.pk),
            is_internal=is_internal,
        )
    ]
    events += store_files(ticket, files, actor=actor, source=source, now=now, comment=comment)[1]
    if history is None:
        TicketEvent.objects.bulk_create(events)
    else:
        history += events
    # A comment is activity, not a change of the ticket: the version stays. An internal
    # note is not activity requesters may notice: the update time stays too.
    if not is_internal and now > ticket.updated_at:
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        ticket.updated_at = now
    _record_mentions(comment, people, now=now)
    search.index_comment(comment)
    # An imported comment is announced as its author's: nobody hears of their own words.
    send_on_commit(
        signals.comment_added, ticket=ticket, actor=author, source=source, comment=comment
    )
    return comment


def _mentions(ticket: Ticket, body: str, *, is_internal: bool, check: bool) -> list[User]:
    """The people ``body`` mentions who can read it. With ``check`` (someone writes it) a
    mention of anyone who could not read the comment is refused (it would show them
    nothing, or tell them of a ticket they may not see); the system's comments (imports)
    leave those out instead."""
    people = list(mentioned_people([body]).values())
    refused = mention_refusals(ticket, people, internal=is_internal)
    if refused and check:
        names = ", ".join(f"{user.get_display_name()} (@{user.username})" for user in refused)
        if is_internal:
            message = _("%(names)s cannot read internal notes of this ticket: remove the mention.")
        else:
            message = _(
                "%(names)s cannot see this ticket: remove the mention or add them as a watcher."
            )
        raise ValidationError({"body": message % {"names": names}})
    return [user for user in people if user not in refused]


def _record_mentions(
    comment: Comment, people: list[User], *, now: datetime, edited: bool = False
) -> None:
    """Keep ``CommentMention`` rows for exactly ``people`` (its author left out); after an
    edit the ones already there keep their time, new ones get ``now``."""
    wanted = {user.pk for user in people if user.pk != comment.author_id}
    kept: set[int] = set()
    if edited:
        existing = set(
            CommentMention.objects.filter(comment=comment).values_list("user_id", flat=True)
        )
        gone = existing - wanted
        if gone:
            CommentMention.objects.filter(comment=comment, user_id__in=gone).delete()
        kept = existing & wanted
    CommentMention.objects.bulk_create(
        CommentMention(
            comment=comment,
            ticket_id=comment.ticket_id,
            user_id=pk,
            created_at=now,
            is_internal=comment.is_internal,
        )
        for pk in wanted - kept
    )


@removes_files_on_error
@one_change()
def comment_add(
    *,
    actor: User | None,
    ticket: Ticket,
    body: str,
    is_internal: bool = False,
    files: Sequence[Upload] = (),
    source: str = Source.WEB,
    author: User | None = None,
    created_at: datetime | None = None,
) -> Comment:
    """A public reply or an internal note, with optional files.

    A comment imported from elsewhere (``actor`` None, the system) keeps who wrote it,
    ``author``, and when, ``created_at``."""
    if author is not None and actor is not None and author != actor:
        raise ValueError("only the system writes comments on someone else's behalf")
    locked = lock_ticket(ticket)
    now = created_at or timezone.now()
    reopened = reopen_on_reply(
        actor=actor, ticket=locked, is_internal=is_internal, source=source, now=now
    )
    comment = _comment_locked(
        actor=actor,
        ticket=locked,
        body=body,
        is_internal=is_internal,
        source=source,
        now=now,
        files=files,
        author=author,
    )
    announce_change(locked, actor, source, reopened)
    return comment


@one_change()
def comment_edit(
    *,
    actor: User | None,
    comment: Comment,
    body: str,
    reason: str = "",
    source: str = Source.WEB,
) -> Comment:
    """Change a comment's (or internal note's) text, by the rule of
    ``selectors.comment_edit_right``: its author within ``COMMENT_EDIT_MINUTES``, or
    those who work the ticket with a ``reason``. The text before is kept as a
    ``CommentRevision``; the comment records who changed it, when and why."""
    locked = lock_ticket(comment.ticket_id)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    now = timezone.now()
    reason = (reason or "").strip()
    if actor is not None:
        _check_edit_right(actor, locked, comment, reason=reason, now=now)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("A comment cannot be empty.")})
    if body == comment.body:
        return comment
    people = _mentions(locked, body, is_internal=comment.is_internal, check=actor is not None)
    CommentRevision.objects.create(
        comment=comment, body=comment.body, edited_by=actor, edited_at=now, reason=reason
    )
    # The history row names the comment, never its text: the earlier text may be what
    # was redacted, and only those who work the ticket read it (the revisions).
    TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        source=source,
        kind=TicketEvent.Kind.CHANGED,
        created_at=now,
        field="comment",
        new_value=str(comment.pk),
        is_internal=comment.is_internal,
    )
    comment.body = body
    comment.edited_at = now
    comment.edited_by = actor
    comment.edit_reason = reason
    comment.save(update_fields=["body", "edited_at", "edited_by", "edit_reason"])
    _record_mentions(comment, people, now=now, edited=True)
    search.reindex_comments(locked.pk)
    send_on_commit(
        signals.ticket_changed,
        ticket=locked,
        actor=actor,
        source=source,
        fields=["comment"],
        changes={"comment": (str(comment.pk), str(comment.pk))},
        comment=comment,
    )
    return comment


def _check_edit_right(
    actor: User, ticket: Ticket, comment: Comment, *, reason: str, now: datetime
) -> None:
    can_work = user_can_work_ticket(actor, ticket)
    if not (can_work or user_can_see_ticket(actor, ticket)):
        raise PermissionDenied(_("You cannot change this comment."))
    right = comment_edit_right(actor, comment, can_work=can_work, now=now)
    if right is CommentEditRight.NONE:
        if comment.author_id == actor.pk:
            minutes = settings.COMMENT_EDIT_MINUTES
            raise PermissionDenied(
                ngettext(
                    "A comment can be changed only within %(minutes)d minute of writing it.",
                    "A comment can be changed only within %(minutes)d minutes of writing it.",
                    minutes,
                )
                % {"minutes": minutes}
            )
        raise PermissionDenied(_("You cannot change someone else's comment."))
    if right is CommentEditRight.REDACT and not reason:
        raise ValidationError(
            {"reason": _("Say why you are changing this comment: its author and readers see it.")}
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": _("The reason is longer than %(count)d characters.")
                % {"count": REASON_MAX_LENGTH}
            }
        )


@removes_files_on_error
@one_change()
def attachment_add(
    *,
    actor: User | None,
    ticket: Ticket,
    files: Sequence[Upload],
    source: str = Source.WEB,
) -> list[Attachment]:
    """Attach files to the ticket itself (not to a comment)."""
    locked = lock_ticket(ticket)
    if actor is not None and not user_can_see_ticket(actor, locked):
        raise PermissionDenied(_("You cannot add files to this ticket."))
    if not files:
        raise ValidationError({"files": _("Choose a file to attach.")})
    validate_uploads(files)
    now = timezone.now()
    attachments, events = store_files(locked, files, actor=actor, source=source, now=now)
    TicketEvent.objects.bulk_create(events)
    Ticket.objects.filter(pk=locked.pk).update(updated_at=now)
    send_on_commit(
        signals.ticket_changed,
        ticket=locked,
        actor=actor,
        source=source,
        fields=["attachments"],
        changes={"attachments": ("", raw_value([a.pk for a in attachments]))},
    )
    return attachments
