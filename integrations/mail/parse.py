"""A raw mail as the fetcher needs it: decoded headers, the text (the text part, or the
HTML part made clean text), attachments, and the signs of automatic mail.

The standard library's ``email`` package with the default policy decodes encoded-word
headers (RFC 2047), RFC 2231 file names and any charset Python knows (UTF-8, KOI8-R,
Windows-1251, ...). A part whose charset is unknown or lies is decoded with replacement
characters rather than refused. Quotes and signatures are cut by mail-parser-reply.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import nh3
from mailparser_reply import EmailReplyParser

ID_RE = re.compile(r"<[^<>\s]+>")
# The tags kept long enough to place line breaks; scripts, styles and attributes are gone.
BLOCK_TAGS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list"}
AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster"}
REPLY_LANGUAGES = ["ru", "en", "de", "fr"]


@dataclass(frozen=True)
class MailFile:
    name: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    sender: str  # the address, lower case
    sender_name: str
    subject: str
    text: str
    references: list[str] = field(default_factory=list)  # In-Reply-To first
    files: list[MailFile] = field(default_factory=list)
    automatic: str = ""  # why this is automatic mail, "" when a person wrote it


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS - {"br"}:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Clean text from an HTML part: sanitised first (nh3 drops scripts, styles, comments
    and every attribute), then its text with a line break for each block."""
    clean = nh3.clean(html, tags=BLOCK_TAGS, attributes={}, strip_comments=True)
    collector = _TextCollector()
    collector.feed(clean)
    lines = [" ".join(line.split()) for line in "".join(collector.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, KeyError):
        payload = part.get_payload(decode=True) or b""
        content = (
            payload.decode(part.get_content_charset() or "utf-8", "replace")
            if isinstance(payload, bytes)
            else str(payload)
        )
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name, "")
    except (ValueError, IndexError):  # a header the policy cannot parse
        value = message.get_all(name, failobj=[""])[0] if message.get_all(name) else ""
    return " ".join(str(value or "").split())


def _automatic(message: EmailMessage, sender: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _header(message, "X-Autoreply").lower() == "yes" or message.get("X-Autorespond"):
        return "an automatic reply (X-Autoreply)"
    if sender.partition("@")[0] in AUTOMATIC_SENDERS or not sender:
        return f"sent by {sender or 'an empty sender'}"
    return ""


def strip_reply(text: str) -> str:
    """The new words of a reply: quotes and signatures cut by mail-parser-reply."""
    if not text.strip():
        return ""
    parsed = EmailReplyParser(languages=REPLY_LANGUAGES).read(text=text)
    if parsed.replies and parsed.replies[0].body.strip():
        return parsed.replies[0].body.strip()
    return text.strip()


def parse(raw: bytes) -> ParsedMail:
    message = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(raw)
    name, sender = parseaddr(_header(message, "From"))
    sender = sender.strip().lower()
    message_id = (ID_RE.findall(_header(message, "Message-ID")) or [""])[0]
    if not message_id:
        # Without an id the content is the identity: the same mail fetched twice is one.
        message_id = f"<{hashlib.sha256(raw).hexdigest()}@helpdesk.no-message-id>"
    references = ID_RE.findall(_header(message, "In-Reply-To"))
    references += [
        ref for ref in ID_RE.findall(_header(message, "References")) if ref not in references
    ]
    text_part = message.get_body(preferencelist=("plain",))
    if text_part is not None:
        text = _content(text_part)
    else:
        html_part = message.get_body(preferencelist=("html",))
        text = html_to_text(_content(html_part)) if html_part is not None else ""
    files = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if filename and isinstance(payload, bytes):
            files.append(MailFile(str(filename).replace("/", "_").replace("\\", "_"), payload))
    return ParsedMail(
        message_id=message_id[:255],
        sender=sender[:255],
        sender_name=name.strip(),
        subject=_header(message, "Subject"),
        text=text.replace("\r\n", "\n").strip(),
        references=references,
        files=files,
        automatic=_automatic(message, sender),
    )


def addresses(value: str) -> list[str]:
    """The addresses of a header value such as DEFAULT_FROM_EMAIL, lower case."""
    return [address.lower() for _name, address in getaddresses([value]) if address]


__all__ = ["MailFile", "ParsedMail", "addresses", "html_to_text", "parse", "strip_reply"]
