"""A small IMAP client over the standard library's imaplib, with typed errors.

- ``MailUnavailable`` (transient): no connection, a time-out, a dropped connection, a
  server that says "try later": the next poll tries again.
- ``MailRefused`` (permanent): wrong password, a folder that does not exist, no TLS where it
  is required, no password configured: an operator has to act.

Every socket has a time-out (``MAIL_IMAP_TIMEOUT``). The password is read from the
variable or file the mailbox names when connecting, and never logged or put in a message.
"""

import base64
import imaplib
import os
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings

from integrations.models import LOOPBACK_HOSTS, Mailbox

DONE_FLAG = "$HelpdeskDone"
FETCH_CHUNK = 50


class MailError(Exception):
    transient = False


class MailUnavailable(MailError):
    transient = True


class MailRefused(MailError):
    pass


def password_of(mailbox: Mailbox) -> str:
    if mailbox.password_env:
        value = os.environ.get(mailbox.password_env)
        if value is None:
            raise MailRefused(f"the environment variable {mailbox.password_env} is not set")
        return value
    if mailbox.password_file:
        try:
            return Path(mailbox.password_file).read_text().strip()
        except OSError as exc:
            raise MailRefused(
                f"the password file {mailbox.password_file} cannot be read: {exc.strerror}"
            ) from exc
    raise MailRefused("no password variable or file is configured")


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "Готово" is "&BBMEPgRCBD4EMgQ+-"."""
    out, pending = [], ""

    def flush() -> None:
        if pending:
            encoded = base64.b64encode(pending.encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            pending = ""
            out.append("&-" if char == "&" else char)
        else:
            pending += char
    flush()
    return "".join(out)


def _quoted(folder: str) -> str:
    folder = imap_utf7(folder)
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: list, what: str) -> list:
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailRefused(f"{what}: {detail or typ}")
    return data


class ImapMailbox:
    """A signed-in connection with the mailbox's folder selected."""

    def __init__(self, connection: imaplib.IMAP4, mailbox: Mailbox):
        self.connection = connection
        self.mailbox = mailbox

    def new_uids(self) -> list[int]:
        """Messages not yet marked done, oldest first."""
        data = _check(*self.connection.uid("SEARCH", "UNKEYWORD", DONE_FLAG), "search")
        return [int(uid) for uid in (data[0] or b"").split()]

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, raw message) for each uid, in chunks, without setting \\Seen."""
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            data = _check(
                *self.connection.uid("FETCH", ",".join(map(str, chunk)), "(UID BODY.PEEK[])"),
                "fetch",
            )
            for item in data:
                if not isinstance(item, tuple):
                    continue
                match = re.search(rb"UID (\d+)", item[0])
                if match:
                    yield int(match.group(1)), item[1]

    def mark_done(self, uids: list[int]) -> None:
        """Flag (and mark read) or move processed messages; done only after they were
        committed: a crash before leaves them to be fetched again and found by Message-ID."""
        if not uids:
            return
        ids = ",".join(map(str, uids))
        _check(
            *self.connection.uid("STORE", ids, "+FLAGS.SILENT", f"(\\Seen {DONE_FLAG})"),
            "flag",
        )
        if self.mailbox.processed == Mailbox.Processed.MOVE:
            target = _quoted(self.mailbox.processed_folder)
            self.connection.create(target)  # exists already: a harmless NO
            _check(*self.connection.uid("MOVE", ids, target), "move")

    def append(self, raw: bytes, folder: str | None = None) -> None:
        """Put a message into a folder (tests and the benchmark fill mailboxes so)."""
        _check(
            *self.connection.append(_quoted(folder or self.mailbox.folder), "", None, raw),
            "append",
        )


def _open(mailbox: Mailbox, timeout: float) -> imaplib.IMAP4:
    host = mailbox.host.strip()
    if mailbox.security == Mailbox.Security.PLAIN and host.lower() not in LOOPBACK_HOSTS:
        raise MailRefused(f"{host} is not a loopback host: TLS or STARTTLS is required")
    if mailbox.security == Mailbox.Security.TLS:
        return imaplib.IMAP4_SSL(
            host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    connection = imaplib.IMAP4(host, mailbox.port, timeout=timeout)
    if mailbox.security == Mailbox.Security.STARTTLS:
        connection.starttls(ssl.create_default_context())
    return connection


@contextmanager
def connect(mailbox: Mailbox, *, timeout: float | None = None) -> Iterator[ImapMailbox]:
    """Sign in and select the folder; errors come out as ``MailError``."""
    password = password_of(mailbox)
    timeout = timeout or settings.MAIL_IMAP_TIMEOUT
    try:
        connection = _open(mailbox, timeout)
    except ssl.SSLError as exc:
        raise MailRefused(f"TLS with {mailbox.host}:{mailbox.port} failed: {exc}") from exc
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise MailUnavailable(f"cannot connect to {mailbox.host}:{mailbox.port}: {exc}") from exc
    except imaplib.IMAP4.error as exc:
        raise MailRefused(f"{mailbox.host}:{mailbox.port}: {exc}") from exc
    try:
        try:
            connection.login(mailbox.username, password)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            # Never the password: the server's words only.
            raise MailRefused(f"sign-in as {mailbox.username} refused: {exc}") from None
        _check(*connection.select(_quoted(mailbox.folder)), f"folder {mailbox.folder}")
        yield ImapMailbox(connection, mailbox)
    except (TimeoutError, OSError, imaplib.IMAP4.abort) as exc:
        raise MailUnavailable(f"{mailbox.host}:{mailbox.port}: connection lost: {exc}") from exc
    except imaplib.IMAP4.error as exc:
        raise MailRefused(f"{mailbox.host}:{mailbox.port}: {exc}") from exc
    finally:
        with suppress(Exception):
            connection.logout()
