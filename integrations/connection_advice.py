""" "Test connection" failures as one sentence an operator can act on.

The clients' errors (``RedmineError``, ``ERPError``) say what happened in the words of
the library that failed (``HTTPConnectionPool…``, ``DPY-6005``). Here each common cause
becomes a translated sentence of what is wrong and what to check; the original text
stays underneath as the technical detail.
"""

from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.erp import ERPConfigError, ERPError
from integrations.redmine.client import (
    RedmineAuthError,
    RedmineError,
    RedmineForbidden,
    RedmineNotConfigured,
    RedmineNotFound,
)

# Words the resolver and the socket layer use, whichever library wrapped them.
_DNS_WORDS = (
    "nameresolutionerror",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated",
)
_REFUSED_WORDS = ("connection refused", "connectionrefusederror", "errno 111")
_TIMEOUT_WORDS = ("timed out", "timeout")
_TLS_WORDS = ("sslerror", "certificate_verify_failed", "ssl: ", "tlsv1 alert")
_NOT_REDMINE_WORDS = ("other than json", "empty answer", "unexpected answer")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _says(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


def as_message(sentence: str, detail: str) -> SafeString:
    """The sentence, and the technical detail folded away under it."""
    return format_html(
        '{}<details class="hd-message-detail"><summary>{}</summary><code>{}</code></details>',
        sentence,
        _("Technical detail"),
        detail,
    )


def redmine_advice(exc: RedmineError) -> str:
    """What is wrong with the Redmine connection, and what to check."""
    url = settings.REDMINE_URL
    host = urlsplit(url).hostname or url
    causes = list(_causes(exc))
    text = " ".join(f"{type(c).__name__} {c}" for c in causes).lower()
    if isinstance(exc, RedmineNotConfigured):
        return _("Redmine is not configured: set REDMINE_URL and REDMINE_API_KEY.")
    if isinstance(exc, RedmineAuthError):
        return _(
            "Redmine refused the API key: check REDMINE_API_KEY and that the REST API is "
            "enabled in Redmine (Administration → Settings → API)."
        )
    if isinstance(exc, RedmineForbidden):
        return _(
            "Redmine denied access with this API key: check that the key's user may see the "
            "projects (an administrator's key is best)."
        )
    if isinstance(exc, RedmineNotFound):
        return _(
            "Redmine answered “not found”: check that REDMINE_URL is Redmine's root address, "
            "with its sub-path if it has one."
        )
    if any(isinstance(c, requests.exceptions.SSLError) for c in causes) or _says(text, _TLS_WORDS):
        return _(
            "The secure connection to %(url)s failed: check that the server's certificate is "
            "valid for that name and trusted on this server."
        ) % {"url": url}
    if _says(text, _DNS_WORDS):
        return _(
            "The server name %(host)s in REDMINE_URL cannot be found: check it for typos and "
            "that this server's DNS knows it."
        ) % {"host": host}
    if _says(text, _REFUSED_WORDS):
        return _(
            "Nothing accepts connections at %(url)s: check the address and port in REDMINE_URL "
            "and that Redmine is running."
        ) % {"url": url}
    if any(isinstance(c, requests.Timeout) for c in causes) or _says(text, _TIMEOUT_WORDS):
        return _(
            "Redmine at %(url)s did not answer in time: check that the server is up and that "
            "a firewall lets this server reach it."
        ) % {"url": url}
    if exc.status is not None and exc.status >= 500:
        return _("Redmine failed with a server error: look at Redmine's log, then try again.")
    if _says(text, _NOT_REDMINE_WORDS):
        return _(
            "What answers at %(url)s is not Redmine's REST API: check REDMINE_URL (a proxy or "
            "a sign-in page may be in the way)."
        ) % {"url": url}
    if any(isinstance(c, requests.RequestException) for c in causes):
        return _(
            "Redmine at %(url)s cannot be reached: check REDMINE_URL and the network between "
            "this server and Redmine."
        ) % {"url": url}
    return _("Redmine did not answer as expected: the detail below says why.")


# Oracle codes grouped by what the operator does about them (accounts/erp_errors.py says
# which are transient and which are configuration).
_ERP_CONNECT = frozenset(
    {
        "DPY-6005", "DPY-6000", "DPY-1001", "DPY-4011", "ORA-12541", "ORA-12543",
        "ORA-12170", "ORA-12537", "ORA-12560", "ORA-03113", "ORA-03114", "ORA-03135",
    }
)  # fmt: skip
_ERP_SERVICE = frozenset({"DPY-6001", "ORA-12514", "DPY-6003", "ORA-12505"})
_ERP_DSN = frozenset({"DPY-4000", "DPY-4017", "DPY-4026", "DPY-4027", "ORA-12154"})
_ERP_DOWN = frozenset(
    {
        "ORA-00018", "ORA-00020", "ORA-01033", "ORA-01034", "ORA-01089", "ORA-01090",
        "ORA-01092", "ORA-12516", "ORA-12519", "ORA-12520", "ORA-12521", "ORA-12528",
    }
)  # fmt: skip
_ERP_SLOW = frozenset({"DPY-4024", "DPI-1067", "ORA-01013", "DPY-4005"})
_ERP_DRIVER = frozenset({"DPY-3010", "DPY-3001", "DPY-3015", "DPI-1047", "DPI-1072", "DPY-2017"})
_ERP_GRANTS = frozenset(
    {"ORA-00942", "ORA-06550", "ORA-04063", "ORA-06508", "ORA-01031", "ORA-00904"}
)


def erp_advice(exc: ERPError) -> str:
    """What is wrong with the ERP connection, and what to check."""
    code = exc.code
    text = str(exc).lower()
    if code == "ORA-01017":
        return _(
            "The ERP database refused the service account: check ORACLE_USER and ORACLE_PASSWORD."
        )
    if code == "ORA-28000":
        return _("The ERP service account is locked: ask the DBA to unlock it.")
    if code == "ORA-28001":
        return _(
            "The ERP service account's password has expired: ask the DBA for a new one and "
            "set it in ORACLE_PASSWORD."
        )
    if code == "ORA-01045":
        return _("The ERP service account may not log on: ask the DBA to grant it CREATE SESSION.")
    if code in _ERP_SERVICE:
        return _(
            "The database listener does not know the service in ORACLE_SERVICE (or "
            "ORACLE_DSN): check the service name with the DBA."
        )
    if code in _ERP_DSN:
        return _("ORACLE_DSN cannot be understood: check the connect string or TNS alias.")
    if code in _ERP_CONNECT:
        if _says(text, _DNS_WORDS):
            return _(
                "The ERP database server's name cannot be found: check ORACLE_HOST (or "
                "ORACLE_DSN) for typos."
            )
        if _says(text, _TIMEOUT_WORDS):
            return _(
                "The ERP database did not answer in time: check that it is up and that a "
                "firewall lets this server reach its port."
            )
        return _(
            "Cannot connect to the ERP database: check ORACLE_HOST and ORACLE_PORT (or "
            "ORACLE_DSN) and that the database listener is running."
        )
    if code in _ERP_DOWN:
        return _(
            "The ERP database is starting, stopping or has no free sessions: try again later "
            "or ask the DBA."
        )
    if code in _ERP_SLOW:
        return _(
            "The ERP database took too long to answer: try again later; if it keeps "
            "happening, check the database's load or ORACLE_CALL_TIMEOUT."
        )
    if code in _ERP_DRIVER:
        return _(
            "The Oracle driver cannot work with this database in its current mode: the detail "
            "below says what to change."
        )
    if code in _ERP_GRANTS:
        return _(
            "The service account lacks a grant or the wrapper package is missing: run "
            "manage.py erp_check to see which."
        )
    if isinstance(exc, ERPConfigError) and "not configured" in text:
        return _(
            "The ERP connection is not configured: set ORACLE_USER, ORACLE_PASSWORD and "
            "ORACLE_DSN (or ORACLE_HOST and ORACLE_SERVICE)."
        )
    if isinstance(exc, ERPConfigError):
        return _("The ERP settings are not valid: the detail below names the one to fix.")
    return _("The ERP did not answer: the detail below says why.")


def mail_advice(exc: BaseException, *, server: str) -> str:
    """What is wrong with a mailbox's IMAP connection, and what to check."""
    from integrations.mail.client import MailRefused

    text = " ".join(f"{type(c).__name__} {c}" for c in _causes(exc)).lower()
    if "password variable" in text or "environment variable" in text or "password file" in text:
        return _(
            "The mailbox's password cannot be read: set the environment variable it names for "
            "every worker, or make the file it names readable."
        )
    if "sign-in" in text:
        return _("The mail server refused the user name or password of this mailbox.")
    if "folder" in text:
        return _("The mail server has no such folder: check the folder's name (e.g. INBOX).")
    if _says(text, _TLS_WORDS) or "tls" in text:
        return _(
            "The secure connection to %(server)s failed: check the security setting and port, "
            "and that the server's certificate is valid and trusted here."
        ) % {"server": server}
    if _says(text, _DNS_WORDS):
        return _("The mail server name %(server)s cannot be found.") % {"server": server}
    if _says(text, _REFUSED_WORDS):
        return _(
            "Nothing accepts connections at %(server)s: check the host and port and that the "
            "mail server is running."
        ) % {"server": server}
    if _says(text, _TIMEOUT_WORDS):
        return _("The mail server %(server)s did not answer in time.") % {"server": server}
    if isinstance(exc, MailRefused):
        return _("The mail server refused the request: the detail below says why.")
    return _("The mail server cannot be reached now: the detail below says why.")
