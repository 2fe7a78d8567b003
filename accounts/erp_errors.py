"""The ERP gateway's typed errors, and how python-oracledb's exceptions become them.

A driver error is *unavailable* (the network, the listener, the instance, a timeout: try
again later) or *configuration* (our side is wrong: retrying cannot help until someone
changes something). The driver wraps the real reason of a failed connection in
``DPY-6005`` ("cannot connect"), so the whole cause chain is read: a thin-mode client
refused by an 11.2 database is ``DPY-6005`` caused by ``DPY-3010``, a configuration
error with a known fix, not an outage.
"""

from __future__ import annotations

import oracledb


class ERPError(Exception):
    """The ERP could not answer; ``code`` is the driver's code (DPY-…, ORA-…) if any."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class ERPUnavailable(ERPError):
    """Cannot connect, timed out or lost the connection: try again later."""


class ERPConfigError(ERPError):
    """Our side is wrong: service account refused, missing grant, bad DSN or call."""


# Worth retrying later: the network, the listener, the instance or a timeout. Several ORA
# codes reach us already translated by the driver (ORA-03113/03114/03135/12537 and
# DPI-1080 as DPY-4011, DPI-1067 as DPY-4024, ORA-24457/24459/24496 as DPY-4005); the
# originals stay listed for older drivers and for the ``code`` of thick-mode errors.
UNAVAILABLE_CODES = frozenset(
    {
        "DPY-1001",  # not connected
        "DPY-4005",  # no free connection in the pool within wait_timeout
        "DPY-4011",  # the database or network closed the connection
        "DPY-4024",  # call timeout exceeded
        "DPY-4033",  # idle time exceeded, the database closed the connection
        "DPY-6000",  # listener refused the connection
        "DPY-6005",  # cannot connect (refused, unreachable, tcp_connect_timeout)
        "DPI-1067",  # thick: call timeout exceeded
        "DPI-1080",  # thick: connection closed
        "ORA-00018",  # maximum number of sessions exceeded
        "ORA-00020",  # maximum number of processes exceeded
        "ORA-01013",  # user requested cancel (thick call timeout on old clients)
        "ORA-01033",  # initialisation or shutdown in progress
        "ORA-01034",  # ORACLE not available
        "ORA-01089",  # immediate shutdown in progress
        "ORA-01090",  # shutdown in progress
        "ORA-01092",  # instance terminated
        "ORA-03113",  # end-of-file on communication channel
        "ORA-03114",  # not connected to ORACLE
        "ORA-03135",  # connection lost contact
        "ORA-12170",  # connect timeout
        "ORA-12516",  # listener: no handler with a matching protocol stack
        "ORA-12519",  # listener: no appropriate service handler
        "ORA-12520",  # listener: no handler for the requested server type
        "ORA-12521",  # listener: instance not known
        "ORA-12528",  # listener: instance blocking new connections
        "ORA-12537",  # connection closed
        "ORA-12541",  # no listener
        "ORA-12543",  # destination host unreachable
        "ORA-12560",  # protocol adapter error
    }
)
# Our side is wrong: retrying cannot help until someone changes the configuration.
CONFIG_CODES = frozenset(
    {
        "DPY-2017",  # thick mode asked for after a thin-mode connection
        "DPY-3001",  # a feature (native network encryption) needs thick mode
        "DPY-3010",  # database version not supported in thin mode (11.2 and older)
        "DPY-3015",  # password verifier not supported in thin mode (old 10G verifier)
        "DPY-4000",  # TNS alias not found
        "DPY-4001",  # no credentials
        "DPY-4017",  # invalid connect descriptor
        "DPY-4026",  # tnsnames.ora missing or unreadable
        "DPY-4027",  # no configuration directory for a TNS alias
        "DPY-6001",  # service not registered with the listener (ORA-12514)
        "DPY-6003",  # SID not registered with the listener (ORA-12505)
        "DPI-1047",  # Oracle Client library cannot be loaded
        "DPI-1072",  # Oracle Client library version unsupported
        "ORA-00904",  # invalid identifier
        "ORA-00942",  # table or view does not exist (or no grant)
        "ORA-01017",  # invalid username/password of the service account
        "ORA-01031",  # insufficient privileges
        "ORA-01045",  # CREATE SESSION privilege missing
        "ORA-04063",  # package has errors
        "ORA-06508",  # program unit not found
        "ORA-06550",  # PL/SQL compilation error (function missing or not granted)
        "ORA-12154",  # cannot resolve the connect identifier
        "ORA-12505",  # SID not known by the listener
        "ORA-12514",  # service not known by the listener
        "ORA-28000",  # service account locked
        "ORA-28001",  # service account password expired
    }
)

THICK_MODE_FIX = (
    "set ORACLE_DRIVER_MODE=thick with Oracle Instant Client installed on this server "
    "(Instant Client 19 for an 11.2 database; see docs/integrations.md)"
)
# What to do about a configuration error, said where the operator reads it.
FIXES = {
    "DPY-3010": (
        "The EBS database is older than 12.1 (many EBS 12.1.3 sites run 11.2.0.4), which "
        f"python-oracledb's thin mode cannot connect to: {THICK_MODE_FIX}."
    ),
    "DPY-3001": (
        "The EBS database requires Oracle native network encryption, which thin mode does "
        "not support: connect over TCPS (ORACLE_DSN=tcps://host:port/service, the "
        f"recommended transport) or {THICK_MODE_FIX}."
    ),
    "DPY-3015": (
        "The service account's password only has an old 10G verifier: reset the "
        f"password in a database with 11G/12C verifiers or {THICK_MODE_FIX}."
    ),
    "DPY-2017": "Thick mode must be chosen before the first connection: restart the process.",
    "DPI-1047": (
        "The Oracle Client libraries cannot be loaded: install Instant Client and make "
        "it known to the loader (ldconfig or LD_LIBRARY_PATH before the process starts), "
        "or set ORACLE_CLIENT_LIB_DIR."
    ),
    "DPI-1072": "This Oracle Client library is not supported: install Instant Client 19+.",
    "DPY-6001": "The listener does not know that service: check ORACLE_SERVICE / ORACLE_DSN.",
    "ORA-12514": "The listener does not know that service: check ORACLE_SERVICE / ORACLE_DSN.",
    "DPY-6003": "The listener does not know that SID: use the service name in ORACLE_DSN.",
    "ORA-01017": "The database refused the service account: check ORACLE_USER and ORACLE_PASSWORD.",
    "ORA-28000": "The service account is locked: ask the DBA to unlock it (ACCOUNT UNLOCK).",
    "ORA-28001": "The service account's password has expired: ask the DBA to set a new one.",
    "ORA-01045": "The service account cannot log on: GRANT CREATE SESSION to it.",
    "ORA-00942": "A grant is missing: run manage.py erp_check to see which one.",
    "ORA-06550": "The wrapper package is missing, invalid or not granted: run manage.py erp_check.",
    "ORA-04063": "The wrapper package does not compile: recreate it from docs/integrations.md.",
    "ORA-06508": "The wrapper package does not compile: recreate it from docs/integrations.md.",
}


def _detail_codes(exc: BaseException) -> list[str]:
    """The codes python-oracledb gives this exception: DPY/DPI code, then ORA number."""
    if not isinstance(exc, oracledb.Error) or not exc.args:
        return []
    detail = exc.args[0]
    full_code = getattr(detail, "full_code", "") or ""
    ora_number = getattr(detail, "code", 0) or 0
    return [code for code in (full_code, f"ORA-{ora_number:05d}" if ora_number else "") if code]


def _chain(exc: BaseException, depth: int = 6) -> list[BaseException]:
    links: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and len(links) < depth:
        links.append(link)
        link = link.__cause__
    return links


def classify(exc: BaseException) -> tuple[type[ERPError], str]:
    """The error class for a driver exception and the code that decided it.

    The deepest known code in the cause chain wins: it is the reason, the outer ones
    only say that connecting failed.
    """
    known: list[tuple[type[ERPError], str]] = []
    for link in _chain(exc):
        # Within one exception the driver's own code comes first, then the ORA number.
        for code in _detail_codes(link):
            if code in CONFIG_CODES:
                known.append((ERPConfigError, code))
                break
            if code in UNAVAILABLE_CODES:
                known.append((ERPUnavailable, code))
                break
    if known:
        return known[-1]
    codes = _detail_codes(exc)
    transient = (oracledb.OperationalError, oracledb.InterfaceError)
    error_class = ERPUnavailable if isinstance(exc, transient) else ERPConfigError
    return error_class, codes[0] if codes else ""


def _text(exc: BaseException) -> str:
    detail = exc.args[0] if exc.args else None
    text = getattr(detail, "message", None) or str(exc)
    lines = [line.strip() for line in text.splitlines()]
    return " ".join(line for line in lines if line and not line.startswith("Help:"))


def oracle_error(exc: Exception, *, operation: str, secrets: tuple[str, ...] = ()) -> ERPError:
    """The typed error for a python-oracledb exception, with no bind value in its text
    and, for a configuration error with a known cause, the fix."""
    error_class, code = classify(exc)
    text = _text(exc)
    fix = FIXES.get(code, "") if error_class is ERPConfigError else ""
    if code == "DPY-3001" and "network encryption" not in text.lower():
        fix = f"This needs python-oracledb's thick mode: {THICK_MODE_FIX}."
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    message = f"Oracle EBS {operation} failed: {text[:500]}"
    if fix:
        message = f"{message} Fix: {fix}"
    return error_class(message, code=code)
