"""Decoding mail as it arrives: encodings, HTML, quotes, automatic mail (no server)."""

import pytest

from integrations.mail.parse import html_to_text, parse, strip_reply
from integrations.mail.tests.mails import raw_mail


@pytest.mark.parametrize("charset", ["utf-8", "koi8-r", "windows-1251"])
def test_russian_mail_in_each_encoding_is_decoded(charset: str) -> None:
    raw = raw_mail(
        sender="Ivan@Example.COM",
        subject="Не печатает принтер",
        body="Принтер в бухгалтерии не печатает, ошибка E-05.",
        charset=charset,
        attachment=("Акт сверки.pdf", b"%PDF-1.4 test"),
    )
    assert "Принтер".encode(charset) in raw  # real 8-bit bytes, not transfer-encoded

    mail = parse(raw)

    assert mail.subject == "Не печатает принтер"
    assert mail.sender == "ivan@example.com"
    assert mail.sender_name == "Иван Петров"
    assert mail.text == "Принтер в бухгалтерии не печатает, ошибка E-05."
    assert [(f.name, f.content) for f in mail.files] == [("Акт сверки.pdf", b"%PDF-1.4 test")]
    assert mail.automatic == ""


def test_html_only_mail_becomes_clean_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Здравствуйте!</p><p onclick='x()'>Не работает <b>VPN</b>"
        "<br>с утра.</p><img src=x onerror=alert(2)></body></html>"
    )
    mail = parse(raw_mail(sender="a@example.com", html=html, charset="windows-1251"))

    assert mail.text == "Здравствуйте!\n\nНе работает VPN\nс утра."
    assert "alert" not in html_to_text(html)


def test_reply_keeps_the_new_words_only() -> None:
    text = (
        "Спасибо, теперь работает.\n\n--\nИван Петров\nбухгалтерия\n\n"
        "7 декабря 2026 г., в 10:00, Helpdesk <support@mail.test> написал(а):\n"
        "> Заявка HD-1 решена.\n> Проверьте, пожалуйста.\n"
    )
    assert strip_reply(text) == "Спасибо, теперь работает."


@pytest.mark.parametrize(
    ("headers", "sender", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "ivan@example.com", "Auto-Submitted"),
        ({"Precedence": "bulk"}, "ivan@example.com", "Precedence"),
        ({"Precedence": "list"}, "ivan@example.com", "Precedence"),
        ({}, "MAILER-DAEMON@example.com", "mailer-daemon"),
        ({}, "postmaster@example.com", "postmaster"),
    ],
)
def test_automatic_mail_is_recognised(headers: dict, sender: str, why: str) -> None:
    mail = parse(raw_mail(sender=sender, headers=headers))
    assert why in mail.automatic


def test_auto_submitted_no_is_a_person() -> None:
    assert parse(raw_mail(sender="a@example.com", headers={"Auto-Submitted": "no"})).automatic == ""


def test_mail_without_message_id_gets_one_from_its_content() -> None:
    raw = raw_mail(sender="a@example.com").replace(b"Message-ID:", b"X-Old-Id:")
    assert parse(raw).message_id == parse(raw).message_id
    assert parse(raw).message_id.endswith("@helpdesk.no-message-id>")
