"""E-mail notifications: the mail in the reader's language, and SMTP failures sorted into
retry or give up, against a real (tiny) SMTP server on loopback."""

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext

from accounts.tests.factories import UserFactory
from notifications import email as email_channel
from notifications.delivery import TransientError, deliver
from notifications.models import Channel, Delivery, Event, Notification
from notifications.tasks import deliver_task
from notifications.testing import LoopbackSMTP
from notifications.text import render
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

SITE = "https://helpdesk.example.com"
EXCERPT = "Перезагрузил принтер, проверьте, пожалуйста, <b>печать</b>."


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE + "/"
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <helpdesk@example.com>"


@pytest.fixture
def olga(db):
    """Reads in the site default language (Russian)."""
    return UserFactory(username="olga", first_name="Ольга", last_name="Смирнова", language="")


@pytest.fixture
def john(db):
    return UserFactory(username="john", first_name="John", last_name="Smith", language="en")


@pytest.fixture
def ticket(db):
    queue = QueueFactory(key_prefix="ML", slug="ml")
    return TicketFactory(queue=queue, title="Не печатает принтер & сканер")


def email_delivery(recipient, ticket, event=Event.ASSIGNED, **extra) -> Delivery:
    notification = Notification.objects.create(
        recipient=recipient,
        event=event,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Анна Петрова", **extra},
    )
    return Delivery.objects.create(notification=notification, channel=Channel.EMAIL)


def translated(language: str, text: str, **values) -> str:
    with translation.override(language):
        return gettext(text) % values


EVENTS = [
    (Event.ASSIGNED, {}),
    (Event.COMMENTED, {"excerpt": EXCERPT}),
    (Event.STATUS_CHANGED, {"status": "in_progress"}),
]


@pytest.mark.parametrize("reader", ["olga", "john"])
@pytest.mark.parametrize(("event", "extra"), EVENTS, ids=[e for e, _ in EVENTS])
def test_the_mail_is_written_in_the_readers_language(request, ticket, reader, event, extra):
    user = request.getfixturevalue(reader)
    language = "en" if reader == "john" else "ru"
    delivery = email_delivery(user, ticket, event, **extra)

    assert deliver(delivery.pk) == Delivery.State.SENT

    [message] = mail.outbox
    ticket_url = f"{SITE}/tickets/{ticket.key}/"
    title = render(delivery.notification, language=language)["title"]
    assert message.subject == f"[{ticket.key}] {title}"  # a reply's subject names the ticket
    assert message.to == [user.email]
    assert message.from_email == "Helpdesk <helpdesk@example.com>"

    text = message.body
    assert isinstance(text, str)
    assert text.startswith(translated(language, "Hello, %(name)s!", name=user.get_full_name()))
    assert title in text
    assert f"{ticket.key} · Не печатает принтер & сканер" in text  # plain text: not escaped
    assert translated(language, "Open ticket %(key)s", key=ticket.key) + ": " + ticket_url in text
    assert f"{SITE}/accounts/profile/#notifications" in text
    assert (f"> {EXCERPT}" in text) is (event == Event.COMMENTED)
    with translation.override(language):
        reason = str(email_channel.REASONS[event])
    assert reason in text

    assert isinstance(message, EmailMultiAlternatives)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert isinstance(html, str)
    assert f'<html lang="{language}">' in html
    assert f'href="{ticket_url}"' in html
    assert f'href="{SITE}/accounts/profile/#notifications"' in html
    assert "Не печатает принтер &amp; сканер" in html
    assert translated(language, "Open ticket %(key)s", key=ticket.key) in html
    assert ("Перезагрузил принтер, проверьте, пожалуйста, &lt;b&gt;печать&lt;/b&gt;." in html) is (
        event == Event.COMMENTED
    )
    assert "<b>печать</b>" not in html
    assert reason in html
    assert "<img" not in html and "<link" not in html and "src=" not in html
    assert 'href="/' not in html  # every link absolute


def test_english_reads_in_english(john, ticket):
    deliver(email_delivery(john, ticket, Event.STATUS_CHANGED, status="in_progress").pk)
    [message] = mail.outbox
    assert message.subject == (
        f"[{ticket.key}] Анна Петрова changed the status of {ticket.key} to “In progress”"
    )
    assert message.body.startswith("Hello, John Smith!\n\n")
    assert "You are receiving this because you are the requester" in message.body


def test_russian_names_the_status_in_russian(olga, ticket):
    deliver(email_delivery(olga, ticket, Event.STATUS_CHANGED, status="in_progress").pk)
    [message] = mail.outbox
    assert "«В работе»" in message.subject or "“В работе”" in message.subject
    assert "In progress" not in message.body


def test_headers_mark_it_automatic_stable_and_threaded_by_ticket(olga, john, ticket):
    other = TicketFactory(queue=ticket.queue)
    first = email_delivery(olga, ticket)
    second = email_delivery(john, ticket, Event.COMMENTED, excerpt="Ок")
    elsewhere = email_delivery(olga, other)
    for delivery in (first, second, elsewhere):
        deliver(delivery.pk)

    headers = [message.message() for message in mail.outbox]
    thread = f"<helpdesk.ticket.{ticket.pk}@helpdesk.example.com>"
    assert headers[0]["Message-ID"] == f"<helpdesk.delivery.{first.pk}@helpdesk.example.com>"
    assert headers[1]["Message-ID"] == f"<helpdesk.delivery.{second.pk}@helpdesk.example.com>"
    assert headers[0]["In-Reply-To"] == headers[0]["References"] == thread
    assert headers[1]["In-Reply-To"] == headers[1]["References"] == thread
    assert headers[2]["References"] == f"<helpdesk.ticket.{other.pk}@helpdesk.example.com>"
    for message in headers:
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "All"
    assert headers[0]["X-Helpdesk-Ticket"] == ticket.key
    # The same delivery built again (a retry) is the same mail.
    again = email_channel.email_message(Delivery.objects.get(pk=first.pk)).message()
    assert again["Message-ID"] == headers[0]["Message-ID"]


@pytest.mark.parametrize("person", [{"email": ""}, {"email": "  "}, {"is_active": False}])
def test_no_address_or_a_deactivated_person_is_skipped(ticket, person):
    nobody = UserFactory(username="nobody", **person)
    delivery = email_delivery(nobody, ticket)
    assert deliver(delivery.pk) == Delivery.State.SKIPPED
    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SKIPPED


def test_the_connection_is_opened_with_a_timeout(olga, ticket, settings, monkeypatch):
    settings.EMAIL_TIMEOUT = 7
    opened = []
    real = email_channel.get_connection

    def spy(**kwargs):
        opened.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(email_channel, "get_connection", spy)
    deliver(email_delivery(olga, ticket).pk)
    assert opened == [{"timeout": 7}]


# --- A real SMTP conversation ---------------------------------------------------------


@pytest.fixture
def smtp(settings):
    server = LoopbackSMTP()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def state_of(delivery: Delivery) -> tuple[str, int, str]:
    delivery.refresh_from_db()
    return delivery.state, delivery.attempts, delivery.last_error


def test_smtp_down_is_retried_and_the_mail_sent_once(smtp, olga, ticket):
    delivery = email_delivery(olga, ticket, Event.COMMENTED, excerpt=EXCERPT)
    smtp.stop()

    with pytest.raises(TransientError):
        deliver(delivery.pk)
    state, attempts, error = state_of(delivery)
    assert (state, attempts) == (Delivery.State.PENDING, 1)
    assert "ConnectionRefusedError" in error

    smtp.start()
    assert deliver(delivery.pk) == Delivery.State.SENT
    assert deliver(delivery.pk) == "busy"
    assert state_of(delivery)[:2] == (Delivery.State.SENT, 2)

    [(recipients, message)] = smtp.messages
    assert recipients == [olga.email]
    # A long encoded subject is folded onto the next line; unfolded it is the same text.
    title = render(delivery.notification, language="ru")["title"]
    assert message["Subject"].strip() == f"[{ticket.key}] {title}"
    assert message["Message-ID"] == email_channel.message_id(delivery.pk)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().count(EXCERPT) == 1
    assert f'href="{SITE}/tickets/{ticket.key}/"' in message.get_body(("html",)).get_content()


def test_the_task_retries_a_busy_server_until_it_takes_the_mail(smtp, olga, ticket):
    smtp.busy_connections = 1  # "421 try later" once, then the mail goes through
    delivery = email_delivery(olga, ticket)

    # Eager in tests: without throw, Celery runs the retry at once instead of raising it.
    result = deliver_task.apply(args=[delivery.pk], throw=False)

    assert result.get() == Delivery.State.SENT
    assert state_of(delivery)[:2] == (Delivery.State.SENT, 2)
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    ("trouble", "reported"),
    [
        ({"busy_connections": 1}, "421"),
        ({"rcpt_reply": "450 4.2.1 Mailbox busy, try later"}, "450 4.2.1"),
        ({"data_reply": "451 4.3.0 Local error in processing"}, "451"),
        ({"hang_up_at_mail": True}, "SMTPServerDisconnected"),
    ],
    ids=["greeting-421", "rcpt-450", "data-451", "hang-up"],
)
def test_4xx_replies_and_drops_are_transient(smtp, olga, ticket, trouble, reported):
    for name, value in trouble.items():
        setattr(smtp, name, value)
    delivery = email_delivery(olga, ticket)

    with pytest.raises(TransientError):
        deliver(delivery.pk)
    state, _attempts, error = state_of(delivery)
    assert state == Delivery.State.PENDING
    assert reported in error
    assert smtp.messages == []


def test_a_server_that_never_answers_times_out(smtp, olga, ticket, settings):
    settings.EMAIL_TIMEOUT = 0.3
    smtp.silent.set()
    delivery = email_delivery(olga, ticket)

    with pytest.raises(TransientError):
        deliver(delivery.pk)
    state, _attempts, error = state_of(delivery)
    assert state == Delivery.State.PENDING
    assert "timed out" in error


def test_a_refused_recipient_fails_for_good(smtp, olga, ticket):
    smtp.rcpt_reply = "550 5.1.1 No such user here"
    delivery = email_delivery(olga, ticket)

    assert deliver_task.delay(delivery.pk).get() == Delivery.State.FAILED

    state, attempts, error = state_of(delivery)
    assert (state, attempts) == (Delivery.State.FAILED, 1)  # not retried
    assert "550 5.1.1 No such user here" in error
    assert deliver(delivery.pk) == "busy"
    assert smtp.messages == []


def test_a_refused_message_fails_for_good(smtp, olga, ticket):
    smtp.data_reply = "554 5.7.1 Message rejected"
    delivery = email_delivery(olga, ticket)

    assert deliver(delivery.pk) == Delivery.State.FAILED
    state, attempts, error = state_of(delivery)
    assert (state, attempts) == (Delivery.State.FAILED, 1)
    assert "554 5.7.1 Message rejected" in error
