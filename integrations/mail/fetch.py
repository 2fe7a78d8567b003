"""Polling the mailboxes: each new mail becomes a ticket, a comment, or a recorded refusal.

One run at a time (the integrations' job lock, ``SyncRun`` kind ``mail_fetch``); each mail
in its own transaction, recorded as an ``InboundMail`` whose Message-ID is unique; the
mail is flagged or moved on the server only after that commit. A crash between the two
leaves it on the server, and the next run finds its Message-ID and only marks it.
"""

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_set_roles
from integrations.mail.client import MailError, connect
from integrations.mail.parse import ParsedMail, addresses, parse, strip_reply
from integrations.models import InboundMail, Mailbox, SentMail, SyncRun
from integrations.runs import STOPS, RunAborted, RunRecorder, run_job
from tickets.models import Source, Ticket
from tickets.selectors import user_can_see_ticket
from tickets.services import comment_add, ticket_create
from tickets.uploads import Upload, validate_uploads

log = logging.getLogger(__name__)

KEY_RE = re.compile(r"\[([A-Z][A-Z0-9_]*-\d+)\]")
MARK_EVERY = 50
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Result:
    outcome: str  # an InboundMail outcome, or "duplicate"
    record: InboundMail | None = None


def own_addresses() -> set[str]:
    return set(addresses(settings.DEFAULT_FROM_EMAIL)) | {
        address.lower() for address in Mailbox.objects.values_list("address", flat=True)
    }


def sender_user(address: str) -> User | None:
    """The active user with this address (case-insensitive), local or from the ERP; with
    several, the oldest account."""
    if not address:
        return None
    return User.objects.filter(email__iexact=address, is_active=True).order_by("pk").first()


def _requester_for(mailbox: Mailbox, mail: ParsedMail) -> User | None:
    """A requester account for an unknown sender of an allowed domain: no password (they
    sign in once an administrator sets one, or through the ERP when it knows them)."""
    domain = mail.sender.rpartition("@")[2]
    if domain not in mailbox.domains:
        return None
    base = mail.sender[:150]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base[: 150 - len(str(n)) - 1]}+{n}"
    first, _space, last = mail.sender_name.partition(" ")
    user = User(username=username, email=mail.sender, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    user_set_roles(user=user, roles={Role.REQUESTER})
    return user


def _uploads(mail: ParsedMail) -> tuple[list[Upload], list[str]]:
    """The attachments that pass the upload limits, and the reasons of those that do not."""
    kept: list[Upload] = []
    refused: list[str] = []
    for file in mail.files:
        upload = SimpleUploadedFile(PurePath(file.name).name or "file", file.content)
        try:
            validate_uploads([*kept, upload])
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
            continue
        kept.append(upload)
    return kept, refused


def _with_refusals(text: str, refused: list[str]) -> str:
    if not refused:
        return text
    return "\n\n".join([text, *(f"_{reason}_" for reason in refused)]).strip()


def _replied_ticket(mail: ParsedMail) -> Ticket | None:
    if mail.references:
        sent = (
            SentMail.objects.filter(message_id__in=mail.references[:50])
            .select_related("ticket__queue", "ticket__status")
            .first()
        )
        if sent is not None:
            return sent.ticket
    match = KEY_RE.search(mail.subject)
    if match:
        return Ticket.objects.select_related("queue", "status").filter(key=match.group(1)).first()
    return None


def _flooding(mail: ParsedMail) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = InboundMail.objects.filter(sender=mail.sender, received_at__gte=since).count()
    return recent >= settings.MAIL_SENDER_MAX_PER_HOUR


def _decide(mailbox: Mailbox, mail: ParsedMail, record: InboundMail, own: set[str]) -> None:
    """Fill ``record`` with what the mail became (inside the mail's transaction)."""
    if mail.automatic:
        record.outcome, record.reason = InboundMail.Outcome.IGNORED, mail.automatic
        return
    if mail.sender in own:
        record.outcome, record.reason = InboundMail.Outcome.IGNORED, "sent by our own address"
        return
    if _flooding(mail):
        record.outcome = InboundMail.Outcome.IGNORED
        record.reason = (
            f"more than {settings.MAIL_SENDER_MAX_PER_HOUR} mails from this sender in an hour"
        )
        return
    user = sender_user(mail.sender)
    ticket = _replied_ticket(mail)
    uploads, refused = _uploads(mail)
    if ticket is not None:
        if user is None or not user_can_see_ticket(user, ticket):
            record.outcome = InboundMail.Outcome.REFUSED
            record.reason = f"{mail.sender} may not comment on {ticket.key}"
            record.ticket = ticket
            return
        body = _with_refusals(strip_reply(mail.text), refused)
        record.comment = comment_add(
            actor=user, ticket=ticket, body=body, files=uploads, source=Source.EMAIL
        )
        record.ticket, record.outcome = ticket, InboundMail.Outcome.COMMENT
        return
    user = user or _requester_for(mailbox, mail)
    if user is None:
        record.outcome = InboundMail.Outcome.REFUSED
        record.reason = f"{mail.sender} is not a user and the domain is not allowed"
        return
    title = " ".join(mail.subject.split())[:200] or _("(no subject)")
    record.ticket = ticket_create(
        actor=user,
        queue=mailbox.queue,
        title=title,
        description=_with_refusals(mail.text, refused),
        files=uploads,
        source=Source.EMAIL,
    )
    record.outcome = InboundMail.Outcome.TICKET


def process(mailbox: Mailbox, raw: bytes, *, own: set[str] | None = None) -> Result:
    """Turn one raw mail into a ticket, a comment or a recorded refusal, in one
    transaction; a mail whose Message-ID is known already is a duplicate. ``own``: our
    own addresses (read once per poll)."""
    try:
        mail = parse(raw)
    except Exception as exc:
        mail = ParsedMail(
            message_id=f"<unreadable-{hashlib.sha256(raw).hexdigest()}@helpdesk.invalid>",
            sender="",
            sender_name="",
            subject="",
            text="",
        )
        return _failed(mailbox, mail, f"unreadable: {type(exc).__name__}: {exc}")
    earlier = InboundMail.objects.filter(message_id=mail.message_id).first()
    if earlier is not None and earlier.outcome != InboundMail.Outcome.FAILED:
        return Result("duplicate", earlier)
    record = earlier or InboundMail(mailbox=mailbox, message_id=mail.message_id)
    record.mailbox, record.sender = mailbox, mail.sender
    record.subject, record.received_at = mail.subject[:255], timezone.now()
    record.reason, record.ticket, record.comment = "", None, None
    try:
        with transaction.atomic():
            _decide(mailbox, mail, record, own_addresses() if own is None else own)
            record.save()
    except IntegrityError as exc:
        # Another process recorded the same Message-ID meanwhile, or a clash of its own.
        if InboundMail.objects.filter(message_id=mail.message_id).exists():
            return Result("duplicate")
        return _failed(mailbox, mail, f"IntegrityError: {exc}", earlier=earlier)
    except STOPS:
        raise
    except (ValidationError, PermissionDenied) as exc:
        reason = "; ".join(getattr(exc, "messages", [str(exc)]))
        return _failed(mailbox, mail, reason, earlier=earlier)
    except Exception as exc:
        log.exception("mail %s failed", mail.message_id)
        return _failed(mailbox, mail, f"{type(exc).__name__}: {exc}", earlier=earlier)
    if record.outcome == InboundMail.Outcome.REFUSED and mailbox.answer_refused:
        _answer_refused(mailbox, mail, record)
    return Result(record.outcome, record)


def _failed(
    mailbox: Mailbox, mail: ParsedMail, reason: str, *, earlier: InboundMail | None = None
) -> Result:
    record = earlier or InboundMail(mailbox=mailbox, message_id=mail.message_id)
    record.sender, record.subject = mail.sender[:255], mail.subject[:255]
    record.received_at, record.outcome = timezone.now(), InboundMail.Outcome.FAILED
    record.reason, record.ticket, record.comment = reason[:2000], None, None
    try:
        record.save()
    except IntegrityError:
        return Result("duplicate")
    return Result(InboundMail.Outcome.FAILED, record)


def _answer_refused(mailbox: Mailbox, mail: ParsedMail, record: InboundMail) -> None:
    """One polite answer per sender, ever; never to automatic mail (those are ignored, not
    refused), and marked automatic itself so that no autoresponder answers it."""
    answered = InboundMail.objects.filter(sender=mail.sender, answered=True).exists()
    if answered or not mail.sender:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your message was not accepted: %(subject)s") % {"subject": mail.subject}
        body = _(
            "Hello,\n\nthis address accepts requests only from employees and known "
            "partners, so your message was not turned into a request. If you are an "
            "employee, write from your work address or open the service desk in the "
            "browser.\n\nThis is an automatic answer; you will not receive another one."
        )
    message = EmailMessage(
        subject=" ".join(subject.split())[:250],
        body=body,
        from_email=mailbox.address,
        to=[mail.sender],
        headers={
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
            "Precedence": "bulk",
            "In-Reply-To": mail.message_id,
            "References": mail.message_id,
        },
    )
    try:
        message.send()
    except Exception:
        log.warning("could not answer the refused mail %s", mail.message_id, exc_info=True)
        return
    InboundMail.objects.filter(pk=record.pk).update(answered=True)


COUNTER = {
    InboundMail.Outcome.TICKET: "created",
    InboundMail.Outcome.COMMENT: "updated",
    "duplicate": "unchanged",
    InboundMail.Outcome.REFUSED: "unchanged",
    InboundMail.Outcome.IGNORED: "unchanged",
}


def poll_mailbox(
    mailbox: Mailbox, recorder: RunRecorder, *, progress: Progress | None = None
) -> None:
    """Fetch what is new in one mailbox; raises ``MailError`` when the server fails."""
    with connect(mailbox) as imap:
        uids = imap.new_uids()
        own = own_addresses() if uids else set()
        done: list[int] = []
        for n, (uid, raw) in enumerate(imap.fetch(uids), start=1):
            result = process(mailbox, raw, own=own)
            if result.outcome == InboundMail.Outcome.FAILED:
                reason = result.record.reason if result.record else ""
                recorder.error(f"{mailbox.address} UID {uid}", reason)
            else:
                recorder.count(COUNTER[result.outcome])
            done.append(uid)
            if len(done) >= MARK_EVERY:
                imap.mark_done(done)
                done = []
            if progress is not None:
                progress(n, len(uids))
        imap.mark_done(done)
        if progress is not None and not uids:
            progress(0, 0)


def fetch_mail(
    *, mailbox: Mailbox | None = None, trigger: str = "", progress: Progress | None = None
) -> SyncRun:
    """Poll every active mailbox (or one) as one recorded run under the job's lock."""

    def job(recorder: RunRecorder) -> None:
        boxes = [mailbox] if mailbox is not None else list(Mailbox.objects.filter(is_active=True))
        failures = []
        for box in boxes:
            try:
                poll_mailbox(box, recorder, progress=progress)
            except MailError as exc:
                failures.append(f"{box.address}: {exc}")
                Mailbox.objects.filter(pk=box.pk).update(
                    last_polled_at=timezone.now(), last_error=str(exc)[:2000]
                )
                continue
            Mailbox.objects.filter(pk=box.pk).update(last_polled_at=timezone.now(), last_error="")
        if failures and len(failures) == len(boxes):
            raise RunAborted("; ".join(failures))
        for failure in failures:
            recorder.error("mailbox", failure)

    return run_job(SyncRun.Kind.MAIL_FETCH, job, trigger=trigger)
