"""The gateway to Oracle E-Business Suite: the only code that talks to the ERP.

Everything else asks ``get_gateway()`` (the class named by ``ERP_GATEWAY``; the Oracle
one in production, a fake in tests and demos) and gets plain values or one of the typed
errors below. Passwords are bind variables only and never logged or stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import oracledb
from django.conf import settings
from django.core.signals import setting_changed
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables


class ERPError(Exception):
    """The ERP could not answer; ``code`` is the driver's code (DPY-…, ORA-…) if any."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class ERPUnavailable(ERPError):
    """Cannot connect, timed out or lost the connection: try again later."""


class ERPConfigError(ERPError):
    """Our side is wrong: service account refused, missing grant, bad DSN or call."""


@dataclass(frozen=True)
class ERPProfile:
    """One ERP user as FND_USER and the current PER_ALL_PEOPLE_F row describe them."""

    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    employee_number: str = ""
    department: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    responsibilities: tuple[str, ...] = field(default=())

    def is_active_on(self, day: dt.date) -> bool:
        """FND_USER rule: usable from the start date, no longer on the end date."""
        if self.start_date is not None and day < self.start_date:
            return False
        return self.end_date is None or day < self.end_date


class ERPGateway(Protocol):
    def validate_login(self, username: str, password: str) -> bool:
        """True for the right password of an active ERP account; False otherwise."""

    def get_profile(self, username: str) -> ERPProfile | None:
        """The user's profile, or None when the ERP has no such user."""

    def responsibilities(self, username: str) -> list[str]:
        """Keys of the user's responsibilities active today."""

    def users_changed_since(self, since: dt.datetime) -> list[ERPProfile]:
        """Profiles of users whose FND_USER or person rows changed at or after ``since``."""

    def check(self) -> dict:
        """Connectivity facts for operators (server version, user, ...); raises ERPError."""


@cache
def get_gateway() -> ERPGateway:
    """The configured gateway, built once per process."""
    return import_string(settings.ERP_GATEWAY)()


def _forget_gateway(*, setting, **kwargs) -> None:
    if setting.startswith(("ERP_", "ORACLE_")):
        get_gateway.cache_clear()


setting_changed.connect(_forget_gateway)


# --- Oracle E-Business Suite over python-oracledb ---------------------------------------

logger = logging.getLogger(__name__)

# Quoted or dotted-beyond-three names never reach the SQL: the function and schema names
# are spliced into the statement text (PL/SQL cannot bind a name), so only plain
# identifiers pass.
_NAME_PART = r"[A-Za-z][A-Za-z0-9_$#]{0,127}"
_FUNCTION_NAME = re.compile(rf"{_NAME_PART}(?:\.{_NAME_PART}){{0,2}}")
_SCHEMA_NAME = re.compile(_NAME_PART)

# Oracle allows 1000 expressions in an IN list; sizes are rounded up to a power of two so
# the statement cache sees a handful of texts, not one per list length.
_IN_LIST_MAX = 1000
_FETCH_BATCH = 500
# After the database refuses the service account, stop asking for a while: every retry
# counts towards FAILED_LOGIN_ATTEMPTS and would lock the account for everybody.
_REFUSED_LOGIN_PAUSE = 60.0
_REFUSED_LOGIN_CODES = frozenset({"ORA-01017", "ORA-28000", "ORA-28001"})

# Worth retrying later: the network, the listener, the instance or a timeout. Several ORA
# codes reach us already translated by the driver (ORA-03113/03114/03135/12537 and
# DPI-1080 as DPY-4011, DPI-1067 as DPY-4024, ORA-24457/24459/24496 as DPY-4005); the
# originals stay listed for older drivers and for the ``code`` of thick-mode errors.
_UNAVAILABLE_CODES = frozenset(
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
_CONFIG_CODES = frozenset(
    {
        "DPY-3010",  # database version not supported in thin mode
        "DPY-3015",  # password verifier not supported in thin mode (set the client dir)
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

_PROFILE_COLUMNS = """
    fu.user_name,
    NVL(fu.email_address, papf.email_address),
    papf.first_name,
    papf.last_name,
    papf.full_name,
    papf.employee_number,
    haou.name,
    fu.start_date,
    fu.end_date"""

# The person row and the primary employee or contingent-worker assignment current on
# :as_of, and the organisation of that assignment.
_PROFILE_FROM = """
FROM {schema}.FND_USER fu
LEFT JOIN {schema}.PER_ALL_PEOPLE_F papf
    ON papf.person_id = fu.employee_id
    AND :as_of BETWEEN papf.effective_start_date AND papf.effective_end_date
LEFT JOIN {schema}.PER_ALL_ASSIGNMENTS_F paaf
    ON paaf.person_id = papf.person_id
    AND paaf.primary_flag = 'Y'
    AND paaf.assignment_type IN ('E', 'C')
    AND :as_of BETWEEN paaf.effective_start_date AND paaf.effective_end_date
LEFT JOIN {schema}.HR_ALL_ORGANIZATION_UNITS haou
    ON haou.organization_id = paaf.organization_id"""

_PROFILE_SQL = (
    "SELECT"
    + _PROFILE_COLUMNS
    + _PROFILE_FROM
    + """
WHERE fu.user_name = :username
ORDER BY paaf.assignment_type DESC NULLS LAST"""
)

_CHANGED_SQL = (
    "SELECT"
    + _PROFILE_COLUMNS
    + _PROFILE_FROM
    + """
WHERE fu.last_update_date >= :since
    OR papf.last_update_date >= :since
    OR paaf.last_update_date >= :since
ORDER BY fu.user_name, paaf.assignment_type DESC NULLS LAST"""
)

# FND_USER_RESP_GROUPS holds direct and indirect (role-inherited) grants. FND dates are
# read as ERPProfile.is_active_on reads them: from the start date, up to the end date.
_RESPONSIBILITIES_SQL = """
SELECT DISTINCT fu.user_name, fr.responsibility_key
FROM {schema}.FND_USER fu
JOIN {schema}.FND_USER_RESP_GROUPS furg
    ON furg.user_id = fu.user_id
JOIN {schema}.FND_RESPONSIBILITY fr
    ON fr.responsibility_id = furg.responsibility_id
    AND fr.application_id = furg.responsibility_application_id
WHERE fu.user_name IN ({usernames})
    AND TRUNC(furg.start_date) <= :as_of
    AND (furg.end_date IS NULL OR TRUNC(furg.end_date) > :as_of)
    AND TRUNC(fr.start_date) <= :as_of
    AND (fr.end_date IS NULL OR TRUNC(fr.end_date) > :as_of)
ORDER BY fu.user_name, fr.responsibility_key"""

_VALIDATE_SQL = """
BEGIN
    IF {function}(:username, :password) THEN
        :result := 'Y';
    ELSE
        :result := 'N';
    END IF;
END;"""

_CHECK_SQL = "SELECT COUNT(*) FROM {schema}.FND_USER WHERE ROWNUM = 1"

# init_oracle_client() may run once per process, before any connection.
_CLIENT_LOCK = threading.Lock()


def oracle_error(exc: Exception, *, operation: str, secrets: tuple[str, ...] = ()) -> ERPError:
    """The typed error for a python-oracledb exception, with no bind value in its text."""
    detail = exc.args[0] if exc.args else None
    full_code = getattr(detail, "full_code", "") or ""
    ora_number = getattr(detail, "code", 0) or 0
    codes = [full_code, f"ORA-{ora_number:05d}" if ora_number else ""]
    error_class = None
    for code in filter(None, codes):
        if code in _UNAVAILABLE_CODES:
            error_class = ERPUnavailable
        elif code in _CONFIG_CODES:
            error_class = ERPConfigError
        if error_class is not None:
            break
    if error_class is None:
        transient = (oracledb.OperationalError, oracledb.InterfaceError)
        error_class = ERPUnavailable if isinstance(exc, transient) else ERPConfigError
    text = getattr(detail, "message", None) or str(exc)
    lines = [line.strip() for line in text.splitlines()]
    text = " ".join(line for line in lines if line and not line.startswith("Help:"))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return error_class(f"Oracle EBS {operation} failed: {text[:500]}", code=full_code)


def _as_date(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _profile_from_row(row, responsibilities: list[str]) -> ERPProfile:
    username, email, first, last, full, number, department, start, end = row
    return ERPProfile(
        username=username,
        email=email or "",
        first_name=first or "",
        last_name=last or "",
        full_name=full or "",
        employee_number=str(number or ""),
        department=department or "",
        start_date=_as_date(start),
        end_date=_as_date(end),
        responsibilities=tuple(responsibilities),
    )


class OracleERPGateway:
    """The ERPGateway of a real EBS instance: a small lazy pool, bind variables only.

    Construction only reads settings, so an unconfigured gateway can still be built (for
    ``erp_check``); the first call validates the configuration and creates the pool.
    """

    def __init__(self, *, driver=None):
        self.driver = driver or oracledb
        self.user = settings.ORACLE_USER
        self._password = settings.ORACLE_PASSWORD
        self.dsn = settings.ORACLE_DSN or self._easy_connect()
        self.client_lib_dir = settings.ORACLE_CLIENT_LIB_DIR
        self.connect_timeout = float(settings.ORACLE_CONNECT_TIMEOUT)
        self.call_timeout_ms = int(float(settings.ORACLE_CALL_TIMEOUT) * 1000)
        self.pool_max = int(settings.ORACLE_POOL_MAX)
        self.schema = settings.ERP_SCHEMA
        self.validate_function = settings.ERP_VALIDATE_FUNCTION
        self._pool = None
        self._pool_lock = threading.Lock()
        self._refused: tuple[float, ERPConfigError] | None = None

    def __repr__(self) -> str:
        return f"<OracleERPGateway {self.user or '?'}@{self.dsn or '?'}>"

    @staticmethod
    def _easy_connect() -> str:
        host, service = settings.ORACLE_HOST, settings.ORACLE_SERVICE
        if not (host and service):
            return ""
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        return f"{host}:{settings.ORACLE_PORT or 1521}/{service}"

    def describe(self) -> dict:
        """The configuration in effect, without connecting (and without the password)."""
        return {
            "dsn": self.dsn,
            "user": self.user,
            "mode": "thick" if self.client_lib_dir else "thin",
            "client_lib_dir": self.client_lib_dir,
            "schema": self.schema,
            "validate_function": self.validate_function,
            "connect_timeout": self.connect_timeout,
            "call_timeout": self.call_timeout_ms / 1000,
            "pool_max": self.pool_max,
        }

    # --- connections ----------------------------------------------------------------

    def _check_config(self) -> None:
        missing = [
            name
            for name, value in (
                ("ORACLE_USER", self.user),
                ("ORACLE_PASSWORD", self._password),
                ("ORACLE_DSN (or ORACLE_HOST and ORACLE_SERVICE)", self.dsn),
            )
            if not value
        ]
        if missing:
            raise ERPConfigError(f"Oracle EBS is not configured: set {', '.join(missing)}.")
        if not _SCHEMA_NAME.fullmatch(self.schema or ""):
            raise ERPConfigError(f"ERP_SCHEMA is not a plain Oracle identifier: {self.schema!r}")
        if not _FUNCTION_NAME.fullmatch(self.validate_function or ""):
            raise ERPConfigError(
                "ERP_VALIDATE_FUNCTION must be [schema.][package.]function made of plain "
                f"Oracle identifiers: {self.validate_function!r}"
            )

    def _init_client(self) -> None:
        with _CLIENT_LOCK:
            if self.driver.is_thin_mode():
                self.driver.init_oracle_client(lib_dir=self.client_lib_dir)
                logger.info("Oracle Client libraries loaded from %s", self.client_lib_dir)

    def _get_pool(self):
        if self._pool is not None:
            return self._pool
        with self._pool_lock:
            if self._pool is None:
                self._check_config()
                try:
                    if self.client_lib_dir:
                        self._init_client()
                    self._pool = self.driver.create_pool(
                        user=self.user,
                        password=self._password,
                        dsn=self.dsn,
                        min=0,
                        max=self.pool_max,
                        increment=1,
                        getmode=self.driver.POOL_GETMODE_TIMEDWAIT,
                        # Long enough to open a connection or wait out one busy call.
                        wait_timeout=int(self.connect_timeout * 1000) + self.call_timeout_ms,
                        tcp_connect_timeout=self.connect_timeout,
                        retry_count=0,
                    )
                except self.driver.Error as exc:
                    raise self._logged(oracle_error(exc, operation="pool setup")) from exc
                logger.info("Oracle EBS pool created for %s@%s", self.user, self.dsn)
        return self._pool

    def _acquire(self, pool, operation: str):
        refused = self._refused
        if refused is not None and time.monotonic() < refused[0]:
            pause = f"not retried for {_REFUSED_LOGIN_PAUSE:.0f} s"
            raise ERPConfigError(f"{refused[1]} ({pause})", code=refused[1].code)
        try:
            connection = pool.acquire()
        except self.driver.Error as exc:
            error = self._logged(oracle_error(exc, operation=operation))
            if error.code in _REFUSED_LOGIN_CODES:
                self._refused = (time.monotonic() + _REFUSED_LOGIN_PAUSE, error)
            raise error from exc
        self._refused = None
        connection.call_timeout = self.call_timeout_ms
        return connection

    @contextmanager
    def _connection(self, operation: str, *, secrets: tuple[str, ...] = ()):
        """A pooled connection with the call timeout set; driver errors become ERPErrors."""
        pool = self._get_pool()
        connection = self._acquire(pool, operation)
        try:
            yield connection
        except self.driver.Error as exc:
            error = self._logged(oracle_error(exc, operation=operation, secrets=secrets))
            if isinstance(error, ERPUnavailable):
                # The session may be dead or mid-call: never hand it to the next caller.
                with suppress(self.driver.Error):
                    pool.drop(connection)
                connection = None
            raise error from exc
        finally:
            if connection is not None:
                with suppress(self.driver.Error):
                    pool.release(connection)

    @staticmethod
    def _logged(error: ERPError) -> ERPError:
        logger.warning("%s (%s)", error, type(error).__name__)
        return error

    def _sql(self, template: str, **names: str) -> str:
        return template.format(schema=self.schema, **names)

    @staticmethod
    def _today() -> dt.date:
        return dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()

    # --- the gateway ----------------------------------------------------------------

    @sensitive_variables("password")
    def validate_login(self, username: str, password: str) -> bool:
        username = (username or "").strip().upper()
        if not username or not password:
            return False
        with (
            self._connection("validate_login", secrets=(password,)) as connection,
            connection.cursor() as cursor,
        ):
            result = cursor.var(str)
            sql = _VALIDATE_SQL.format(function=self.validate_function)
            cursor.execute(sql, {"username": username, "password": password, "result": result})
            return result.getvalue() == "Y"

    def get_profile(self, username: str) -> ERPProfile | None:
        username = (username or "").strip().upper()
        if not username:
            return None
        as_of = self._today()
        with self._connection("get_profile") as connection, connection.cursor() as cursor:
            cursor.execute(self._sql(_PROFILE_SQL), {"username": username, "as_of": as_of})
            row = cursor.fetchone()
            if row is None:
                return None
            granted = self._responsibilities(cursor, [username], as_of)
        return _profile_from_row(row, granted.get(username, []))

    def responsibilities(self, username: str) -> list[str]:
        username = (username or "").strip().upper()
        if not username:
            return []
        with self._connection("responsibilities") as connection, connection.cursor() as cursor:
            granted = self._responsibilities(cursor, [username], self._today())
        return granted.get(username, [])

    def users_changed_since(self, since: dt.datetime) -> list[ERPProfile]:
        # EBS stores DATEs without a zone in the server's local time, which we assume is
        # TIME_ZONE; an aware ``since`` is turned into that wall-clock time.
        if timezone.is_aware(since):
            since = timezone.make_naive(since, ZoneInfo(settings.TIME_ZONE))
        as_of = self._today()
        rows: dict[str, tuple] = {}
        with self._connection("users_changed_since") as connection, connection.cursor() as cursor:
            cursor.arraysize = _FETCH_BATCH
            cursor.execute(self._sql(_CHANGED_SQL), {"since": since, "as_of": as_of})
            while batch := cursor.fetchmany(_FETCH_BATCH):
                for row in batch:
                    rows.setdefault(row[0], row)  # the first, primary assignment wins
            granted = self._responsibilities(cursor, list(rows), as_of)
        logger.info("Oracle EBS: %d users changed since %s", len(rows), since)
        return [_profile_from_row(row, granted.get(name, [])) for name, row in rows.items()]

    def _responsibilities(self, cursor, usernames: list[str], as_of: dt.date) -> dict:
        """Active responsibility keys by user name, in IN lists Oracle accepts."""
        granted: dict[str, list[str]] = {}
        for start in range(0, len(usernames), _IN_LIST_MAX):
            chunk = usernames[start : start + _IN_LIST_MAX]
            size = min(_IN_LIST_MAX, 1 << (len(chunk) - 1).bit_length())
            padded = chunk + [chunk[-1]] * (size - len(chunk))
            binds = {f"u{index}": name for index, name in enumerate(padded)}
            placeholders = ", ".join(f":{name}" for name in binds)
            cursor.execute(
                self._sql(_RESPONSIBILITIES_SQL, usernames=placeholders), {**binds, "as_of": as_of}
            )
            while batch := cursor.fetchmany(_FETCH_BATCH):
                for username, key in batch:
                    granted.setdefault(username, []).append(key)
        return granted

    def check(self) -> dict:
        facts = {
            "dsn": self.dsn,
            "user": self.user,
            "validate_function": self.validate_function,
        }
        with self._connection("check") as connection, connection.cursor() as cursor:
            facts["mode"] = "thin" if self.driver.is_thin_mode() else "thick"
            facts["server_version"] = connection.version
            cursor.execute(self._sql(_CHECK_SQL))
            row = cursor.fetchone()
        if not (row and row[0]):
            raise ERPConfigError(
                f"The service account {self.user} sees no rows in {self.schema}.FND_USER: "
                "grant SELECT on the EBS objects or fix ERP_SCHEMA."
            )
        return facts
