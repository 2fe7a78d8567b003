"""A stand-in for the python-oracledb module, in the shape of its API, recording every call.

``FakeOracleDB()`` plays the module: ``connect(**kwargs)`` returns a connection (a
context manager) whose ``cursor()`` records ``execute(sql, binds)``, ``callfunc`` and
``var()``. Answers come from rules registered
with ``respond(fragment, ...)``: the first rule whose fragment occurs in the SQL decides
the rows, the OUT values or the exception. The exception classes are python-oracledb's
own, and ``oracle_exception`` builds real ones, so the code under test sees what the
driver would raise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import oracledb


def oracle_exception(message: str, code: int = 0) -> oracledb.Error:
    """The exception python-oracledb raises for this message (and Oracle error number).

    The driver's own ``_Error`` computes ``full_code``, translates ORA/DPI codes it knows
    (ORA-03113 becomes DPY-4011, DPI-1067 DPY-4024) and picks the exception class.
    """
    detail = oracledb._Error(message, code=code)
    return detail.exc_type(detail)


@dataclass
class Executed:
    sql: str
    binds: dict


@dataclass
class Rule:
    fragment: str
    rows: Iterable[tuple] | Callable[[dict], Iterable[tuple]] = ()
    columns: tuple[str, ...] = ()
    out: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None


class FakeVar:
    """What ``cursor.var(str)`` returns: an OUT bind the statement fills in."""

    def __init__(self, type_):
        self.type = type_
        self.value = None

    def getvalue(self, pos: int = 0):
        return self.value

    def setvalue(self, pos: int, value) -> None:
        self.value = value


class FakeCursor:
    def __init__(self, connection: FakeConnection):
        self.connection = connection
        self.db = connection.db
        self.arraysize = 100
        self.description: list[tuple[str, None, None, None, None, None, bool]] | None = None
        self.closed = False
        self._rows: list[tuple] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        self.closed = True

    def var(self, type_, size: int = 0, **kwargs) -> FakeVar:
        var = FakeVar(type_)
        self.db.vars.append(var)
        return var

    def execute(self, statement: str, parameters: dict | None = None, **keyword_parameters):
        binds = parameters if parameters is not None else keyword_parameters
        self.db.executed.append(Executed(statement, binds))
        rule = self.db.rule_for(statement)
        if rule.error is not None:
            raise rule.error
        for name, value in rule.out.items():
            binds[name].setvalue(0, value)
        rows = rule.rows(binds) if callable(rule.rows) else rule.rows
        self._rows = list(rows)
        self.description = [(name, None, None, None, None, None, True) for name in rule.columns]
        return self if rule.columns or self._rows else None

    def callfunc(self, name: str, return_type, parameters=None, keyword_parameters=None):
        self.db.called.append((name, return_type, parameters, keyword_parameters))
        rule = self.db.rule_for(name)
        if rule.error is not None:
            raise rule.error
        return rule.out.get("return")

    def fetchone(self):
        self.db.fetches.append(("fetchone", None))
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None):
        size = size or self.arraysize
        self.db.fetches.append(("fetchmany", size))
        batch, self._rows = self._rows[:size], self._rows[size:]
        return batch

    def fetchall(self):
        self.db.fetches.append(("fetchall", None))
        rows, self._rows = self._rows, []
        return rows


class FakeConnection:
    def __init__(self, db: FakeOracleDB, **kwargs):
        self.db = db
        self.kwargs = kwargs
        self.version = db.server_version
        self.call_timeout = 0
        self.closed = False
        self.pings = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def cursor(self) -> FakeCursor:
        if self.closed:
            raise oracle_exception("DPY-1001: not connected to database")
        return FakeCursor(self)

    def ping(self) -> None:
        self.pings += 1
        if self.db.ping_errors:
            raise self.db.ping_errors.pop(0)

    def close(self) -> None:
        self.closed = True


class FakeOracleDB:
    """The module: pass it as ``OracleERPGateway(driver=FakeOracleDB())``."""

    Error = oracledb.Error
    DatabaseError = oracledb.DatabaseError
    InterfaceError = oracledb.InterfaceError
    OperationalError = oracledb.OperationalError
    ProgrammingError = oracledb.ProgrammingError
    DB_TYPE_VARCHAR = oracledb.DB_TYPE_VARCHAR
    DB_TYPE_NUMBER = oracledb.DB_TYPE_NUMBER

    def __init__(self, *, server_version: str = "19.0.0.0.0", connect_delay: float = 0):
        self.server_version = server_version
        self.connect_delay = connect_delay
        self.connections: list[FakeConnection] = []
        self.client_inits: list[dict] = []
        self.executed: list[Executed] = []
        self.called: list[tuple] = []
        self.fetches: list[tuple[str, int | None]] = []
        self.vars: list[FakeVar] = []
        self.rules: list[Rule] = []
        self.connect_errors: list[Exception] = []
        self.ping_errors: list[Exception] = []
        self._thin = True
        self._lock = threading.Lock()

    # -- the module's functions --

    def connect(self, **kwargs) -> FakeConnection:
        time.sleep(self.connect_delay)  # widens the window a racing second caller hits
        with self._lock:
            if self.connect_errors:
                raise self.connect_errors.pop(0)
            connection = FakeConnection(self, **kwargs)
            self.connections.append(connection)
        return connection

    def init_oracle_client(self, **kwargs) -> None:
        if not self._thin:
            raise oracle_exception("DPY-2017: Oracle Client library has already been initialized")
        self.client_inits.append(kwargs)
        self._thin = False

    def is_thin_mode(self) -> bool:
        return self._thin

    # -- scripting the database --

    def respond(self, fragment: str, **answer) -> None:
        """Answer statements containing ``fragment`` (case-insensitive); newest rule wins."""
        self.rules.insert(0, Rule(fragment, **answer))

    def rule_for(self, statement: str) -> Rule:
        for rule in self.rules:
            if rule.fragment.upper() in statement.upper():
                return rule
        return Rule("")

    @property
    def connection(self) -> FakeConnection:
        (connection,) = self.connections
        return connection

    def statements(self, fragment: str) -> list[Executed]:
        return [call for call in self.executed if fragment.upper() in call.sql.upper()]
