"""What ``erp_check`` asks the ERP database: the session, every grant, the wrapper.

A mixin of ``OracleERPGateway``: each object the gateway reads is probed with a
statement that reads no row, so a missing grant shows as its own line instead of the
first ORA-00942 of a sign-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from accounts import erp_sql
from accounts.erp_errors import ERPUnavailable, classify

# A user name the wrapper cannot find (EBS user names have no leading space).
_PROBE_USER = " helpdesk-erp-check"
# SIGNON_PASSWORD_FAILURE_LIMIT is read again after this many seconds.
FAILURE_LIMIT_TTL = 600.0


class GatewayChecks:
    """``check()`` of the Oracle gateway; uses its connection, SQL and driver."""

    # What the gateway (``accounts.erp.OracleERPGateway``) provides.
    driver: Any  # the oracledb module, or the tests' fake of it
    dsn: str
    user: str
    schema: str
    auth_package: str
    _failure_limit: tuple[float, int | None] | None
    _connection: Callable[..., AbstractContextManager[Any]]
    _sql: Callable[..., str]
    _read_failure_limit: Callable[[Any], int | None]

    def check(self) -> dict:
        facts: dict = {"dsn": self.dsn, "user": self.user, "auth_package": self.auth_package}
        grants: dict[str, str] = {}
        warnings: list[str] = []
        with self._connection("check") as connection, connection.cursor() as cursor:
            facts["mode"] = "thin" if self.driver.is_thin_mode() else "thick"
            facts["server_version"] = connection.version
            cursor.execute(erp_sql.SESSION)
            facts["database_time"], protocol = cursor.fetchone()
            facts["transport"] = (protocol or "").lower() or "?"
            facts["encryption"] = self._encryption(cursor, facts, warnings)
            for table in erp_sql.TABLES:
                name = f"{self.schema}.{table}"
                grants[f"SELECT on {name}"] = self._probe(
                    cursor, self._sql(erp_sql.PROBE, table=table)
                )
            limit, grants[f"EXECUTE on {self.auth_package}"] = self._probe_package(cursor, warnings)
            if not grants[f"SELECT on {self.schema}.FND_USER"]:
                cursor.execute(self._sql(erp_sql.FND_USER_VISIBLE))
                row = cursor.fetchone()
                if not (row and row[0]):
                    grants[f"SELECT on {self.schema}.FND_USER"] = "no rows visible"
        facts["failure_limit"] = limit
        facts["grants"] = grants
        facts["missing"] = [name for name, error in grants.items() if error]
        facts["warnings"] = warnings
        return facts

    def _probe(self, cursor: Any, sql: str, binds: dict[str, Any] | None = None) -> str:
        """'' when the statement runs, else the code of the configuration error."""
        try:
            cursor.execute(sql, binds or {})
        except self.driver.Error as exc:
            error_class, code = classify(exc)
            if error_class is ERPUnavailable:
                raise
            return code or type(exc).__name__
        return ""

    def _probe_package(self, cursor: Any, warnings: list[str]) -> tuple[int | None, str]:
        status = cursor.var(str, 20)
        error = self._probe(
            cursor,
            erp_sql.LOGIN.format(package=self.auth_package),
            {"username": _PROBE_USER, "password": None, "result": status},
        )
        if error:
            return None, error
        if status.getvalue() != "UNKNOWN":
            warnings.append(
                f"{self.auth_package}.login answered {status.getvalue()!r} for a user that "
                "cannot exist (expected 'UNKNOWN'): is it the wrapper of docs/integrations.md?"
            )
        try:
            limit = self._read_failure_limit(cursor)
        except self.driver.Error as exc:
            error_class, code = classify(exc)
            if error_class is ERPUnavailable:
                raise
            return None, code or type(exc).__name__
        self._failure_limit = (time.monotonic() + FAILURE_LIMIT_TTL, limit)
        return limit, ""

    def _encryption(self, cursor: Any, facts: dict[str, Any], warnings: list[str]) -> str:
        if facts["transport"] == "tcps":
            return "TLS"
        if facts["mode"] == "thick":
            try:
                cursor.execute(erp_sql.SESSION_ENCRYPTION)
                banners = " ".join(row[0] or "" for row in cursor.fetchall()).lower()
            except self.driver.Error:
                warnings.append(
                    "Cannot tell whether native network encryption is on (the service "
                    "account may not read V$SESSION_CONNECT_INFO): make sure it is, or use TCPS."
                )
                return "unknown"
            if "encryption service adapter" in banners:
                return "native network encryption"
        warnings.append(
            "The connection is not encrypted: the passwords Helpdesk checks cross the network "
            "in clear. Use TCPS (recommended; ORACLE_DSN=tcps://host:port/service) or thick "
            "mode with native network encryption required by the database."
        )
        return "none"
