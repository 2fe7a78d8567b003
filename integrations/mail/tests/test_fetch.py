"""Mail into tickets against a real Dovecot: mails are put in with IMAP APPEND and fetched
by the poller as in production."""

from collections.abc import Callable
from io import StringIO

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from helpdesk.testing.dovecot import DovecotServer
from integrations.mail import client as mail_client
from integrations.mail import fetch
from integrations.mail.client import DONE_FLAG
from integrations.mail.fetch import fetch_mail
from integrations.mail.tests.mails import raw_mail
from integrations.models import InboundMail, Mailbox, SentMail, SyncRun
from integrations.runs import job_lock
from notifications.delivery import deliver
from notifications.models import Channel, Delivery, Event, Notification
from tickets.models import Comment, Queue, Source, Ticket
from tickets.tests.factories import TicketFactory, status

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _site(settings: object) -> None:
    settings.SITE_URL = "https://helpdesk.example.com"  # type: ignore[attr-defined]
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <helpdesk@example.com>"  # type: ignore[attr-defined]


def waiting(dovecot: DovecotServer, mailbox: Mailbox) -> int:
    return dovecot.count(mailbox.username, criteria=f"UNKEYWORD {DONE_FLAG}")


def test_a_new_mail_becomes_a_ticket_and_is_flagged(
    dovecot: DovecotServer, mailbox: Mailbox, requester: User, media_root: object
) -> None:
    """KOI8-R text, encoded-word subject, a Cyrillic attachment name (RFC 2231)."""
    dovecot.append(
        mailbox.username,
        raw_mail(
            sender=requester.email.upper(),
            subject="Не печатает принтер",
            body="Принтер в бухгалтерии выдаёт ошибку.",
            charset="koi8-r",
            attachment=("Снимок экрана.png", b"\x89PNG fake image"),
        ),
    )

    run = fetch_mail(trigger="test")

    assert (run.outcome, run.created, run.failed) == (SyncRun.Outcome.SUCCESS, 1, 0)
    ticket = Ticket.objects.get()
    assert (ticket.queue, ticket.requester, ticket.source) == (
        mailbox.queue,
        requester,
        Source.EMAIL,
    )
    assert ticket.title == "Не печатает принтер"
    assert ticket.description == "Принтер в бухгалтерии выдаёт ошибку."
    assert [a.original_name for a in ticket.attachments.all()] == ["Снимок экрана.png"]
    assert InboundMail.objects.get().ticket == ticket
    assert waiting(dovecot, mailbox) == 0
    assert dovecot.count(mailbox.username, criteria="UNSEEN") == 0
    # Nothing new: the next poll does nothing.
    assert fetch_mail().created == 0


def test_processed_mail_is_moved_when_the_mailbox_says_so(
    dovecot: DovecotServer, make_mailbox: Callable[..., Mailbox], requester: User
) -> None:
    mailbox = make_mailbox(processed=Mailbox.Processed.MOVE, processed_folder="Готово")
    dovecot.append(mailbox.username, raw_mail(sender=requester.email))

    assert fetch_mail(mailbox=mailbox).created == 1

    assert dovecot.count(mailbox.username) == 0
    assert dovecot.count(mailbox.username, folder=mail_client._quoted("Готово")) == 1
    assert mail_client.imap_utf7("Готово") == "&BBMEPgRCBD4EMgQ+-"


def _notification_mail(ticket: Ticket, recipient: User) -> object:
    notification = Notification.objects.create(
        recipient=recipient,
        event=Event.COMMENTED,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Агент", "excerpt": "Готово"},
    )
    delivery = Delivery.objects.create(notification=notification, channel=Channel.EMAIL)
    deliver(delivery.pk)
    return outbox.outbox[-1]


def test_a_reply_to_a_notification_is_a_comment_and_reopens_the_ticket(
    dovecot: DovecotServer, mailbox: Mailbox, requester: User, queue: Queue
) -> None:
    ticket = TicketFactory(queue=queue, requester=requester, status=status("resolved"))
    sent = _notification_mail(ticket, requester)
    headers = sent.message()  # type: ignore[attr-defined]
    assert headers["Reply-To"] == mailbox.address
    assert sent.subject.startswith(f"[{ticket.key}] ")  # type: ignore[attr-defined]
    assert SentMail.objects.filter(message_id=headers["Message-ID"], ticket=ticket).exists()
    reply = (
        "Нет, всё ещё не печатает.\n\n--\nИван Петров\n\n"
        "7 декабря 2026 г., в 10:00, Helpdesk <support@mail.test> написал(а):\n"
        "> Агент ответил: Готово\n"
    )
    dovecot.append(
        mailbox.username,
        raw_mail(
            sender=requester.email,
            subject="Re: something else entirely",
            body=reply,
            charset="windows-1251",
            in_reply_to=headers["Message-ID"],
            references=f"{headers['References']} {headers['Message-ID']}",
        ),
    )

    run = fetch_mail()

    assert (run.created, run.updated) == (0, 1)
    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.body, comment.source) == (
        requester,
        "Нет, всё ещё не печатает.",
        Source.EMAIL,
    )
    ticket.refresh_from_db()
    assert not ticket.status.is_closed  # the queue reopens on the requester's reply


def test_the_key_in_the_subject_finds_the_ticket(
    dovecot: DovecotServer, mailbox: Mailbox, requester: User, queue: Queue
) -> None:
    ticket = TicketFactory(queue=queue, requester=requester)
    dovecot.append(
        mailbox.username,
        raw_mail(sender=requester.email, subject=f"Re: [{ticket.key}] принтер", body="Ещё фото"),
    )
    assert fetch_mail().updated == 1
    assert Comment.objects.get().ticket == ticket


def test_a_forged_reply_from_a_stranger_is_refused(
    dovecot: DovecotServer, make_mailbox: Callable[..., Mailbox], requester: User, queue: Queue
) -> None:
    mailbox = make_mailbox(allowed_domains="example.com")
    ticket = TicketFactory(queue=queue, requester=requester)
    sent = _notification_mail(ticket, requester).message()  # type: ignore[attr-defined]
    colleague = UserFactory(username="colleague", roles=[Role.REQUESTER])
    forged = [
        raw_mail(sender=colleague.email, subject=f"Re: [{ticket.key}]", body="Закройте"),
        raw_mail(sender="stranger@example.com", in_reply_to=sent["Message-ID"], body="Ха"),
    ]
    dovecot.append(mailbox.username, *forged)

    fetch_mail()

    assert not Comment.objects.exists()
    assert Ticket.objects.count() == 1
    refused = InboundMail.objects.filter(outcome=InboundMail.Outcome.REFUSED)
    assert sorted(refused.values_list("sender", flat=True)) == [
        colleague.email,
        "stranger@example.com",
    ]
    assert all(record.ticket == ticket for record in refused)
    assert not User.objects.filter(email="stranger@example.com").exists()


def test_unknown_senders_only_from_allowed_domains(
    dovecot: DovecotServer, make_mailbox: Callable[..., Mailbox]
) -> None:
    mailbox = make_mailbox(allowed_domains="partner.test\n@Example.org", answer_refused=True)
    dovecot.append(
        mailbox.username,
        raw_mail(sender="new.person@example.org", sender_name="Мария Соколова"),
        raw_mail(sender="spam@elsewhere.test"),
    )

    fetch_mail()

    ticket = Ticket.objects.get()
    person = ticket.requester
    assert (person.email, person.first_name, person.last_name) == (
        "new.person@example.org",
        "Мария",
        "Соколова",
    )
    assert not person.has_usable_password()
    refused = InboundMail.objects.get(outcome=InboundMail.Outcome.REFUSED)
    assert (refused.sender, refused.answered) == ("spam@elsewhere.test", True)
    [answer] = outbox.outbox
    assert answer.to == ["spam@elsewhere.test"]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"


def test_an_auto_reply_loop_of_50_mails_gets_at_most_one_answer(
    dovecot: DovecotServer, make_mailbox: Callable[..., Mailbox], settings: object
) -> None:
    """A stranger's autoresponder answering our answer: without automatic headers it is
    refused and answered once, then ignored as a flood; with them never answered."""
    settings.MAIL_SENDER_MAX_PER_HOUR = 10  # type: ignore[attr-defined]
    mailbox = make_mailbox(answer_refused=True)
    loop = [raw_mail(sender="robot@elsewhere.test", subject=f"Re: {n}") for n in range(25)]
    marked = [
        raw_mail(sender="bot@elsewhere.test", headers={"Auto-Submitted": "auto-replied"})
        for _ in range(25)
    ]
    dovecot.append(mailbox.username, *loop, *marked)

    run = fetch_mail()

    assert run.failed == 0
    assert [m.to for m in outbox.outbox] == [["robot@elsewhere.test"]]
    records = InboundMail.objects.filter(sender="robot@elsewhere.test")
    assert records.filter(outcome=InboundMail.Outcome.REFUSED).count() == 10
    assert records.filter(outcome=InboundMail.Outcome.IGNORED).count() == 15
    assert InboundMail.objects.filter(sender="bot@elsewhere.test", outcome="ignored").count() == 25
    assert not Ticket.objects.exists()
    assert waiting(dovecot, mailbox) == 0


def test_our_own_address_and_mailer_daemon_never_make_tickets(
    dovecot: DovecotServer, make_mailbox: Callable[..., Mailbox]
) -> None:
    mailbox = make_mailbox(allowed_domains="example.com", answer_refused=True)
    dovecot.append(
        mailbox.username,
        raw_mail(sender="helpdesk@example.com"),
        raw_mail(sender=mailbox.address),
        raw_mail(sender="MAILER-DAEMON@example.com", subject="Undelivered Mail"),
        raw_mail(sender="news@example.com", headers={"Precedence": "bulk"}),
    )
    fetch_mail()
    assert InboundMail.objects.filter(outcome=InboundMail.Outcome.IGNORED).count() == 4
    assert not Ticket.objects.exists() and outbox.outbox == []


def test_the_same_mail_fetched_twice_is_one_ticket(
    dovecot: DovecotServer, make_mailbox: Callable[..., Mailbox], requester: User
) -> None:
    first, second = make_mailbox(), make_mailbox()
    raw = raw_mail(sender=requester.email, message_id="<twice@client.test>")
    dovecot.append(first.username, raw, raw)
    dovecot.append(second.username, raw)

    run = fetch_mail()

    assert (run.created, run.unchanged) == (1, 2)
    assert Ticket.objects.count() == 1
    assert waiting(dovecot, first) == waiting(dovecot, second) == 0


def test_dovecot_stopped_mid_fetch_loses_and_doubles_nothing(
    dovecot: DovecotServer, mailbox: Mailbox, requester: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_client, "FETCH_CHUNK", 3)
    dovecot.append(
        mailbox.username, *(raw_mail(sender=requester.email, subject=f"№{n}") for n in range(10))
    )
    real_process = fetch.process
    handled = []

    def process_then_crash(box: Mailbox, raw: bytes, **kwargs: object) -> fetch.Result:
        result = real_process(box, raw, **kwargs)  # type: ignore[arg-type]
        handled.append(result)
        if len(handled) == 2:
            dovecot.stop()  # the server goes away between two mails of one chunk
        return result

    monkeypatch.setattr(fetch, "process", process_then_crash)
    broken = fetch_mail()
    monkeypatch.setattr(fetch, "process", real_process)

    assert broken.outcome == SyncRun.Outcome.FAILED
    assert "connection" in broken.message or "connect" in broken.message
    done_before = Ticket.objects.count()
    assert 2 <= done_before < 10
    mailbox.refresh_from_db()
    assert mailbox.last_error

    dovecot.start()
    again = fetch_mail()

    assert again.outcome == SyncRun.Outcome.SUCCESS
    assert (again.created, again.unchanged) == (10 - done_before, done_before)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == sorted(
        f"№{n}" for n in range(10)
    )
    assert waiting(dovecot, mailbox) == 0


def test_a_bad_mail_is_recorded_and_does_not_block_the_others(
    dovecot: DovecotServer, mailbox: Mailbox, requester: User, queue: Queue
) -> None:
    queue.is_active = False
    queue.save()
    other_queue_box = mailbox
    dovecot.append(other_queue_box.username, raw_mail(sender=requester.email, subject="Первое"))
    run = fetch_mail()
    assert (run.outcome, run.failed) == (SyncRun.Outcome.PARTIAL, 1)
    failed = InboundMail.objects.get()
    assert failed.outcome == InboundMail.Outcome.FAILED and failed.reason
    assert waiting(dovecot, mailbox) == 0  # recorded and skipped


def test_one_poll_at_a_time() -> None:
    with job_lock(SyncRun.Kind.MAIL_FETCH):
        run = fetch_mail()
    assert run.outcome == SyncRun.Outcome.SKIPPED


def test_wrong_password_and_plain_text_to_a_remote_host_are_refused(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mailbox.password_env, "not-the-password")
    with pytest.raises(mail_client.MailRefused) as refused, mail_client.connect(mailbox):
        pass
    assert "not-the-password" not in str(refused.value)
    mailbox.host = "imap.example.com"
    with pytest.raises(mail_client.MailRefused, match="TLS"), mail_client.connect(mailbox):
        pass


def test_the_command_shows_progress(
    dovecot: DovecotServer, mailbox: Mailbox, requester: User
) -> None:
    dovecot.append(mailbox.username, *(raw_mail(sender=requester.email) for _ in range(3)))
    out = StringIO()
    call_command("mail_fetch", "--mailbox", mailbox.address.upper(), stdout=out)
    assert "3/3 mails" in out.getvalue()
    assert "created 3" in out.getvalue()


def test_admin_buttons_test_and_fetch(
    client: Client,
    admin: User,
    dovecot: DovecotServer,
    mailbox: Mailbox,
    requester: User,
    django_assert_max_num_queries: Callable,
) -> None:
    client.force_login(admin)
    dovecot.append(mailbox.username, raw_mail(sender=requester.email))
    tested = client.post(reverse("admin:integrations_mailbox_test", args=[mailbox.pk]), follow=True)
    assert "в папке INBOX ждёт 1 новое письмо" in tested.content.decode()
    client.post(reverse("admin:integrations_mailbox_fetch", args=[mailbox.pk]))
    assert Ticket.objects.count() == 1
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:integrations_inboundmail_changelist"))
    assert page.status_code == 200
    with django_assert_max_num_queries(12):
        form = client.get(reverse("admin:integrations_mailbox_change", args=[mailbox.pk]))
    assert 'data-testid="mailbox-fetch"' in form.content.decode()
