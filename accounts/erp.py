"""The gateway to Oracle E-Business Suite: the only code that talks to the ERP.

Everything else asks ``get_gateway()`` (the class named by ``ERP_GATEWAY``; the Oracle
one in production, a fake in tests and demos) and gets plain values or one of the typed
errors of ``accounts.erp_errors``. Passwords are bind variables only and never logged or
stored. The password check goes through an APPS-owned wrapper package with definer's
rights (docs/integrations.md): EBS's own ``FND_USER_PKG`` and ``FND_WEB_SEC`` run with
the caller's rights, and a read-only account cannot see the tables they read.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import oracledb
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables

from accounts import erp_sql
from accounts.erp_errors import (
    ERPConfigError,
    ERPError,
    ERPUnavailable,
    oracle_error,
)
from accounts.erp_pool import ConnectionPool, PoolError
from accounts.erp_probe import FAILURE_LIMIT_TTL, GatewayChecks

__all__ = [
    "ERPConfigError",
    "ERPError",
    "ERPGateway",
    "ERPProfile",
    "ERPUnavailable",
    "LoginStatus",
    "OracleERPGateway",
    "erp_language",
    "forget_gateway",
    "get_gateway",
    "oracle_error",
]


class LoginStatus(StrEnum):
    """What EBS says of a user name and password (the wrapper package's answer)."""

    VALID = "VALID"  # the right password of an active account with a current password
    WRONG = "WRONG"  # a wrong password: EBS counted a failure
    UNKNOWN = "UNKNOWN"  # no such user
    INACTIVE = "INACTIVE"  # end-dated, or not started yet
    LOCKED = "LOCKED"  # locked after too many failures (stored password INVALID)
    EXPIRED = "EXPIRED"  # the right password, but expired (days or accesses)
    RESET = "RESET"  # the right password, reset by an administrator: must be changed
    EXTERNAL = "EXTERNAL"  # authenticated outside EBS (single sign-on): not checkable here


# Helpdesk's interface languages and the EBS language codes of their _TL rows.
ERP_LANGUAGES = {"ru": "RU", "en": "US"}


def erp_language(language: str = "") -> str:
    """The EBS language code for a Helpdesk language (the site's default when empty)."""
    code = (language or settings.LANGUAGE_CODE or "en").split("-")[0].lower()
    return ERP_LANGUAGES.get(code, "US")


@dataclass(frozen=True)
class ERPProfile:
    """One ERP user as FND_USER and the current PER_ALL_PEOPLE_F row describe them."""

    username: str
    email: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    full_name: str = ""
    employee_number: str = ""
    department: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    responsibilities: tuple[str, ...] = field(default=())
    # None: no person linked (a technical account); else whether today's person row is
    # a current employee or contingent worker.
    current_worker: bool | None = None

    def is_active_on(self, day: dt.date) -> bool:
        """FND_USER rule: usable from the start date, no longer on the end date."""
        if self.start_date is not None and day < self.start_date:
            return False
        return self.end_date is None or day < self.end_date

    @property
    def terminated(self) -> bool:
        """Linked to a person who is no longer a current employee or contingent worker."""
        return self.current_worker is False


class ERPGateway(Protocol):
    def check_login(self, username: str, password: str) -> LoginStatus:
        """EBS's answer for this user name and password (see ``LoginStatus``)."""

    def failure_limit(self) -> int | None:
        """EBS's SIGNON_PASSWORD_FAILURE_LIMIT (None: EBS never locks an account)."""

    def get_profile(self, username: str, *, language: str = "") -> ERPProfile | None:
        """The user's profile, or None when the ERP has no such user."""

    def profiles(self, usernames: Iterable[str], *, language: str = "") -> dict[str, ERPProfile]:
        """Profiles by user name of those the ERP knows, in a few round trips."""

    def now(self) -> dt.datetime:
        """The ERP database's clock (SYSDATE, its own wall-clock time, naive)."""

    def changed_usernames(self, since: dt.datetime, until: dt.datetime) -> set[str]:
        """Users whose user, person, assignment or responsibility rows changed, or whose
        effective dates passed, in (since, until] of the ERP's clock."""

    def check(self) -> dict:
        """Connectivity facts for operators; raises ERPError when it cannot connect."""


_gateway: ERPGateway | None = None
_gateway_lock = threading.Lock()


def get_gateway() -> ERPGateway:
    """The configured gateway, built once per process."""
    global _gateway
    if _gateway is None:
        with _gateway_lock:
            if _gateway is None:
                _gateway = import_string(settings.ERP_GATEWAY)()
    return _gateway


def forget_gateway() -> None:
    """Close the gateway (its connections) and build a new one at the next use."""
    global _gateway
    with _gateway_lock:
        old, _gateway = _gateway, None
    close = getattr(old, "close", None)
    if close is not None:
        close()


def _forget_gateway(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(("ERP_", "ORACLE_")):
        forget_gateway()


setting_changed.connect(_forget_gateway)


# --- Oracle E-Business Suite over python-oracledb ---------------------------------------

logger = logging.getLogger(__name__)

# Quoted or dotted-beyond-two names never reach the SQL: the package and schema names
# are spliced into the statement text (PL/SQL cannot bind a name), so only plain
# identifiers pass.
_NAME_PART = r"[A-Za-z][A-Za-z0-9_$#]{0,127}"
_PACKAGE_NAME = re.compile(rf"{_NAME_PART}(?:\.{_NAME_PART})?")
_SCHEMA_NAME = re.compile(_NAME_PART)
# EBS's own packages run with the caller's rights: called by a read-only account they
# cannot see FND_USER, and every password would be refused.
_INVOKER_RIGHTS_PACKAGES = ("FND_USER_PKG", "FND_WEB_SEC")

# Oracle allows 1000 expressions in an IN list; sizes are rounded up to a power of two so
# the statement cache sees a handful of texts, not one per list length.
IN_LIST_MAX = 1000
_FETCH_BATCH = 1000
# After the database refuses the service account, stop asking for a while: every retry
# counts towards FAILED_LOGIN_ATTEMPTS and would lock the account for everybody.
_REFUSED_LOGIN_PAUSE = 60.0
_REFUSED_LOGIN_CODES = frozenset({"ORA-01017", "ORA-28000", "ORA-28001"})

# init_oracle_client() may run once per process, before any connection.
_CLIENT_LOCK = threading.Lock()


def _as_date(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _flag(value: str | None) -> bool:
    return (value or "").upper() == "Y"


def _profile_from_row(row: tuple[Any, ...], responsibilities: list[str]) -> ERPProfile:
    (
        username,
        email,
        first,
        middle,
        last,
        full,
        number,
        department,
        start,
        end,
        person_id,
        employee_flag,
        worker_flag,
    ) = row
    return ERPProfile(
        username=username,
        email=email or "",
        first_name=first or "",
        middle_name=middle or "",
        last_name=last or "",
        full_name=full or "",
        employee_number=str(number or ""),
        department=department or "",
        start_date=_as_date(start),
        end_date=_as_date(end),
        responsibilities=tuple(responsibilities),
        current_worker=None if person_id is None else _flag(employee_flag) or _flag(worker_flag),
    )


def in_lists(names: list[str]) -> Iterable[tuple[str, dict]]:
    """``(placeholders, binds)`` for IN lists Oracle accepts, padded to a few sizes."""
    for start in range(0, len(names), IN_LIST_MAX):
        chunk = names[start : start + IN_LIST_MAX]
        size = min(IN_LIST_MAX, 1 << (len(chunk) - 1).bit_length())
        padded = chunk + [chunk[-1]] * (size - len(chunk))
        binds = {f"u{index}": name for index, name in enumerate(padded)}
        yield ", ".join(f":{name}" for name in binds), binds


class OracleERPGateway(GatewayChecks):
    """The ERPGateway of a real EBS instance: a small bounded pool, bind variables only.

    Construction only reads settings, so an unconfigured gateway can still be built (for
    ``erp_check``); the first call validates the configuration and creates the pool.
    """

    def __init__(self, *, driver: Any = None) -> None:  # the oracledb module, or a fake
        self.driver = driver or oracledb
        self.user = settings.ORACLE_USER
        self._password = settings.ORACLE_PASSWORD
        self.dsn = settings.ORACLE_DSN or self._easy_connect()
        self.driver_mode = settings.ORACLE_DRIVER_MODE
        self.client_lib_dir = settings.ORACLE_CLIENT_LIB_DIR
        self.connect_timeout = float(settings.ORACLE_CONNECT_TIMEOUT)
        self.call_timeout_ms = int(float(settings.ORACLE_CALL_TIMEOUT) * 1000)
        self.pool_max = int(settings.ORACLE_POOL_MAX)
        self.schema = settings.ERP_SCHEMA
        self.auth_package = settings.ERP_AUTH_PACKAGE
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._refused: tuple[float, ERPError] | None = None
        self._failure_limit: tuple[float, int | None] | None = None

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
            "mode": self.driver_mode,
            "client_lib_dir": self.client_lib_dir,
            "schema": self.schema,
            "auth_package": self.auth_package,
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
        if not _PACKAGE_NAME.fullmatch(self.auth_package or ""):
            raise ERPConfigError(
                "ERP_AUTH_PACKAGE must be [schema.]package made of plain Oracle "
                f"identifiers: {self.auth_package!r}"
            )
        if self.auth_package.upper().split(".")[-1] in _INVOKER_RIGHTS_PACKAGES:
            raise ERPConfigError(
                f"ERP_AUTH_PACKAGE names {self.auth_package}, which runs with the caller's "
                "rights: called by the service account it cannot see the EBS user tables "
                "and refuses every password. Create the wrapper package of "
                "docs/integrations.md (APPS.XX_HELPDESK_AUTH) and name it instead."
            )

    def _init_client(self) -> None:
        with _CLIENT_LOCK:
            if self.driver.is_thin_mode():
                self.driver.init_oracle_client(lib_dir=self.client_lib_dir or None)
                logger.info(
                    "Oracle Client libraries loaded (%s)", self.client_lib_dir or "system path"
                )

    def _connect(self) -> Any:
        connection = self.driver.connect(
            user=self.user,
            password=self._password,
            dsn=self.dsn,
            tcp_connect_timeout=self.connect_timeout,
            retry_count=0,
        )
        connection.call_timeout = self.call_timeout_ms
        return connection

    def _get_pool(self) -> ConnectionPool:
        if self._pool is not None:
            return self._pool
        with self._pool_lock:
            if self._pool is None:
                self._check_config()
                if self.driver_mode == "thick":
                    try:
                        self._init_client()
                    except self.driver.Error as exc:
                        raise self._logged(oracle_error(exc, operation="client setup")) from exc
                self._pool = ConnectionPool(
                    self._connect,
                    size=self.pool_max,
                    connect_timeout=self.connect_timeout,
                    # Long enough to open a connection or wait out one busy call.
                    wait_timeout=self.connect_timeout + self.call_timeout_ms / 1000,
                    name="oracle-ebs",
                )
                logger.info("Oracle EBS pool created for %s@%s", self.user, self.dsn)
        return self._pool

    def close(self) -> None:
        """Close the pool's connections (at exit, or when the settings change)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _acquire(self, pool: ConnectionPool, operation: str) -> Any:
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
        except PoolError as exc:
            raise self._logged(ERPUnavailable(f"Oracle EBS {operation} failed: {exc}")) from exc
        self._refused = None
        return connection

    @contextmanager
    def _connection(self, operation: str, *, secrets: tuple[str, ...] = ()) -> Iterator[Any]:
        """A pooled connection with the call timeout set; driver errors become ERPErrors."""
        pool = self._get_pool()
        connection = self._acquire(pool, operation)
        try:
            yield connection
        except self.driver.Error as exc:
            error = self._logged(oracle_error(exc, operation=operation, secrets=secrets))
            if isinstance(error, ERPUnavailable):
                # The session may be dead or mid-call: never hand it to the next caller.
                pool.discard(connection)
                connection = None
            raise error from exc
        finally:
            if connection is not None:
                pool.release(connection)

    @staticmethod
    def _logged(error: ERPError) -> ERPError:
        logger.warning("%s (%s)", error, type(error).__name__)
        return error

    def _sql(self, template: str, **names: str) -> str:
        return template.format(schema=self.schema, **names)

    # --- sign-in --------------------------------------------------------------------

    @sensitive_variables("password")
    def check_login(self, username: str, password: str) -> LoginStatus:
        username = (username or "").strip().upper()
        if not username or not password:
            return LoginStatus.WRONG
        with (
            self._connection("check_login", secrets=(password,)) as connection,
            connection.cursor() as cursor,
        ):
            result = cursor.var(str, 20)
            sql = erp_sql.LOGIN.format(package=self.auth_package)
            cursor.execute(sql, {"username": username, "password": password, "result": result})
            answer = (result.getvalue() or "").strip().upper()
        try:
            return LoginStatus(answer)
        except ValueError:
            raise self._logged(
                ERPConfigError(
                    f"{self.auth_package}.login answered {answer!r}: not the wrapper of "
                    "docs/integrations.md"
                )
            ) from None

    def failure_limit(self) -> int | None:
        cached = self._failure_limit
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        with self._connection("failure_limit") as connection, connection.cursor() as cursor:
            limit = self._read_failure_limit(cursor)
        self._failure_limit = (time.monotonic() + FAILURE_LIMIT_TTL, limit)
        return limit

    def _read_failure_limit(self, cursor: Any) -> int | None:
        result = cursor.var(self.driver.DB_TYPE_NUMBER)
        cursor.execute(erp_sql.FAILURE_LIMIT.format(package=self.auth_package), {"result": result})
        value = result.getvalue()
        return None if value is None else int(value)

    # --- profiles -------------------------------------------------------------------

    def get_profile(self, username: str, *, language: str = "") -> ERPProfile | None:
        username = (username or "").strip().upper()
        if not username:
            return None
        return self.profiles([username], language=language).get(username)

    def profiles(self, usernames: Iterable[str], *, language: str = "") -> dict[str, ERPProfile]:
        names = sorted({(name or "").strip().upper() for name in usernames} - {""})
        if not names:
            return {}
        code = erp_language(language)
        found: dict[str, ERPProfile] = {}
        with self._connection("profiles") as connection, connection.cursor() as cursor:
            cursor.arraysize = _FETCH_BATCH
            for placeholders, binds in in_lists(names):
                rows: dict[str, tuple] = {}
                cursor.execute(
                    self._sql(erp_sql.PROFILES, usernames=placeholders),
                    {**binds, "language": code},
                )
                while batch := cursor.fetchmany(_FETCH_BATCH):
                    for row in batch:
                        rows.setdefault(row[0], row)  # the first, primary assignment wins
                if not rows:
                    continue
                granted = self._responsibilities(cursor, list(rows))
                for name, row in rows.items():
                    found[name] = _profile_from_row(row, granted.get(name, []))
        return found

    def _responsibilities(self, cursor: Any, usernames: list[str]) -> dict[str, list[str]]:
        """Keys of the responsibilities active today, by user name."""
        granted: dict[str, list[str]] = {}
        for placeholders, binds in in_lists(usernames):
            cursor.execute(self._sql(erp_sql.RESPONSIBILITIES, usernames=placeholders), binds)
            while batch := cursor.fetchmany(_FETCH_BATCH):
                for username, key in batch:
                    granted.setdefault(username, []).append(key)
        return granted

    # --- the directory sync ---------------------------------------------------------

    def now(self) -> dt.datetime:
        with self._connection("now") as connection, connection.cursor() as cursor:
            cursor.execute(erp_sql.NOW)
            (value,) = cursor.fetchone()
        return value

    def changed_usernames(self, since: dt.datetime, until: dt.datetime) -> set[str]:
        changed: set[str] = set()
        binds = {"since": since, "until": until}
        with self._connection("changed_usernames") as connection, connection.cursor() as cursor:
            cursor.arraysize = _FETCH_BATCH
            for table, template in erp_sql.CHANGED.items():
                cursor.execute(self._sql(template), binds)
                found = 0
                while batch := cursor.fetchmany(_FETCH_BATCH):
                    changed.update(name for (name,) in batch)
                    found += len(batch)
                logger.debug("Oracle EBS: %d users changed in %s", found, table)
        logger.info("Oracle EBS: %d users changed in (%s, %s]", len(changed), since, until)
        return changed
