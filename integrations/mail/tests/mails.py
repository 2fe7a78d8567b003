"""Real mail bytes for the tests: built by hand in the encodings Russian mail uses."""

import base64
import uuid
from email.header import Header
from urllib.parse import quote


def encoded_word(text: str, charset: str) -> str:
    return Header(text, charset).encode()


def raw_mail(
    *,
    sender: str,
    to: str = "support@mail.test",
    subject: str = "Не печатает принтер",
    body: str = "Принтер в бухгалтерии не печатает.",
    charset: str = "utf-8",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    sender_name: str = "Иван Петров",
) -> bytes:
    """One mail, headers as encoded words and the text in ``charset`` (8-bit)."""
    message_id = message_id or f"<{uuid.uuid4().hex}@client.test>"
    lines = [
        f"From: {encoded_word(sender_name, charset)} <{sender}>",
        f"To: {to}",
        f"Subject: {encoded_word(subject, charset)}",
        f"Message-ID: {message_id}",
        "Date: Mon, 07 Dec 2026 10:00:00 +0300",
        "MIME-Version: 1.0",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    head = "\r\n".join(lines).encode("ascii")
    if html is not None:
        part = (
            f"Content-Type: text/html; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode() + html.encode(charset)
    else:
        part = (
            f"Content-Type: text/plain; charset={charset}\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode() + body.encode(charset)
    if attachment is None:
        return head + b"\r\n" + part + b"\r\n"
    name, content = attachment
    boundary = b"=_b" + uuid.uuid4().hex.encode()
    # RFC 2231: the file name in the mail's charset, percent-encoded.
    filename = f"{charset}''{quote(name.encode(charset), safe='')}"
    file_part = (
        "Content-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; filename*={filename}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(content)
    return (
        head
        + b'\r\nContent-Type: multipart/mixed; boundary="'
        + boundary
        + b'"\r\n\r\n--'
        + boundary
        + b"\r\n"
        + part
        + b"\r\n--"
        + boundary
        + b"\r\n"
        + file_part
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )
