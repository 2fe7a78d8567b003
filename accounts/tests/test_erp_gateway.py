"""OracleERPGateway against a fake python-oracledb: SQL, binds, pool, errors, secrets."""

import datetime as dt
import logging
import threading

import oracledb
import pytest

from accounts import erp
from accounts.erp import (
    ERPConfigError,
    ERPProfile,
    ERPUnavailable,
    OracleERPGateway,
    get_gateway,
)
from accounts.tests.fake_oracledb import FakeOracleDB, oracle_exception

PASSWORD = "Tr0ub4dor&3-user"
SERVICE_PASSWORD = "s3rvice-Secret!"
TODAY = dt.date(2025, 3, 14)


@pytest.fixture
def oracle_settings(settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    settings.ORACLE_DSN = "ebs.example.test:1521/EBSPROD"
    settings.ORACLE_HOST = ""
    settings.ORACLE_SERVICE = ""
    settings.ORACLE_USER = "HELPDESK_RO"
    settings.ORACLE_PASSWORD = SERVICE_PASSWORD
    settings.ORACLE_CLIENT_LIB_DIR = ""
    settings.ORACLE_CONNECT_TIMEOUT = 2.5
    settings.ORACLE_CALL_TIMEOUT = 7.5
    settings.ORACLE_POOL_MAX = 3
    settings.ERP_SCHEMA = "APPS"
    settings.ERP_VALIDATE_FUNCTION = "APPS.FND_USER_PKG.VALIDATELOGIN"
    settings.TIME_ZONE = "Europe/Moscow"
    return settings


@pytest.fixture
def ora():
    """The fake python-oracledb, answering the FND_USER visibility check of ``check()``."""
    fake = FakeOracleDB()
    fake.respond("COUNT(*)", rows=[(1,)])
    return fake


@pytest.fixture
def make_gateway(oracle_settings, ora):
    def make(**kwargs) -> OracleERPGateway:
        gateway = OracleERPGateway(driver=kwargs.pop("driver", ora))
        gateway._today = lambda: TODAY
        return gateway

    return make


@pytest.fixture
def gateway(make_gateway):
    return make_gateway()


def profile_row(username="JSMITH", **overrides):
    row = {
        "user_name": username,
        "email": f"{username.lower()}@example.test",
        "first_name": "John",
        "last_name": "Smith",
        "full_name": "Smith, John",
        "employee_number": "10042",
        "department": "IT Service Desk",
        "start_date": dt.datetime(2020, 1, 9, 0, 0),
        "end_date": None,
    }
    row.update(overrides)
    return tuple(row.values())


def responsibilities_by_user(grants: dict[str, list[str]]):
    """A responder answering only for the user names bound to the statement."""

    def rows(binds):
        asked = {value for name, value in binds.items() if name.startswith("u")}
        return [(user, key) for user in sorted(asked) for key in grants.get(user, [])]

    return rows


# --- configuration, pool and timeouts --------------------------------------------------


def test_get_gateway_builds_the_oracle_gateway_even_unconfigured(settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    settings.ORACLE_USER = settings.ORACLE_PASSWORD = settings.ORACLE_DSN = ""
    get_gateway.cache_clear()

    assert isinstance(get_gateway(), OracleERPGateway)


def test_missing_configuration_is_reported_on_first_use_naming_the_variables(oracle_settings, ora):
    oracle_settings.ORACLE_DSN = ""
    oracle_settings.ORACLE_USER = ""
    oracle_settings.ORACLE_PASSWORD = ""
    gateway = OracleERPGateway(driver=ora)  # building it is fine

    with pytest.raises(ERPConfigError) as raised:
        gateway.check()

    message = str(raised.value)
    for name in ("ORACLE_USER", "ORACLE_PASSWORD", "ORACLE_DSN", "ORACLE_HOST", "ORACLE_SERVICE"):
        assert name in message
    assert ora.pools == []


def test_dsn_is_built_from_host_port_and_service_without_oracle_dsn(oracle_settings, ora):
    oracle_settings.ORACLE_DSN = ""
    oracle_settings.ORACLE_HOST = "ebs-ora.example.test"
    oracle_settings.ORACLE_PORT = 1531
    oracle_settings.ORACLE_SERVICE = "EBSPROD"
    gateway = OracleERPGateway(driver=ora)

    gateway.responsibilities("jsmith")

    assert ora.pool.kwargs["dsn"] == "ebs-ora.example.test:1531/EBSPROD"


def test_pool_is_created_lazily_once_with_the_timeouts(gateway, ora):
    assert ora.pools == []

    gateway.responsibilities("jsmith")
    gateway.responsibilities("jdoe")

    assert len(ora.pools) == 1
    kwargs = ora.pool.kwargs
    assert kwargs["user"] == "HELPDESK_RO"
    assert kwargs["password"] == SERVICE_PASSWORD
    assert kwargs["dsn"] == "ebs.example.test:1521/EBSPROD"
    assert kwargs["min"] == 0
    assert kwargs["max"] == 3
    assert kwargs["getmode"] == oracledb.POOL_GETMODE_TIMEDWAIT
    assert kwargs["wait_timeout"] > 0
    assert kwargs["tcp_connect_timeout"] == 2.5
    assert kwargs["retry_count"] == 0


def test_every_connection_gets_the_call_timeout_and_goes_back_to_the_pool(gateway, ora):
    gateway.responsibilities("jsmith")
    gateway.get_profile("jsmith")

    assert len(ora.pool.acquired) == 2
    assert [connection.call_timeout for connection in ora.pool.acquired] == [7500, 7500]
    assert ora.pool.released == ora.pool.acquired


def test_concurrent_first_calls_create_one_pool(oracle_settings, ora):
    ora.create_pool_delay = 0.05
    gateway = OracleERPGateway(driver=ora)
    threads = [threading.Thread(target=gateway.responsibilities, args=("x",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ora.pools) == 1
    assert len(ora.pool.acquired) == 8


def test_thin_mode_by_default(gateway, ora):
    assert gateway.check()["mode"] == "thin"
    assert ora.client_inits == []


def test_thick_mode_initialises_the_client_once_per_process(oracle_settings, ora):
    oracle_settings.ORACLE_CLIENT_LIB_DIR = "/opt/oracle/instantclient_19_25"

    first = OracleERPGateway(driver=ora)
    facts = first.check()
    OracleERPGateway(driver=ora).check()  # e.g. rebuilt after a settings change

    assert ora.client_inits == [{"lib_dir": "/opt/oracle/instantclient_19_25"}]
    assert facts["mode"] == "thick"
    assert len(ora.pools) == 2


# --- validate_login --------------------------------------------------------------------


def test_validate_login_calls_the_function_in_a_plsql_block_with_binds_only(gateway, ora):
    ora.respond("VALIDATELOGIN", out={"result": "Y"})

    assert gateway.validate_login("  jsmith ", PASSWORD) is True

    (call,) = ora.executed
    assert "APPS.FND_USER_PKG.VALIDATELOGIN(:username, :password)" in call.sql
    assert "IF " in call.sql and " THEN" in call.sql and "ELSE" in call.sql
    assert ":result := 'Y'" in call.sql
    assert PASSWORD not in call.sql
    assert "JSMITH" not in call.sql.upper()
    assert call.binds["username"] == "JSMITH"
    assert call.binds["password"] == PASSWORD
    (result,) = ora.vars
    assert call.binds["result"] is result
    assert result.type is str


@pytest.mark.parametrize("answer", ["N", None, "y"])
def test_validate_login_is_false_unless_the_block_answers_y(gateway, ora, answer):
    ora.respond("VALIDATELOGIN", out={"result": answer})

    assert gateway.validate_login("jsmith", PASSWORD) is False


@pytest.mark.parametrize(("username", "password"), [("", PASSWORD), ("   ", PASSWORD), ("x", "")])
def test_validate_login_without_username_or_password_does_not_ask_oracle(
    gateway, ora, username, password
):
    assert gateway.validate_login(username, password) is False
    assert ora.pools == []


def test_validate_function_is_configurable(oracle_settings, ora):
    oracle_settings.ERP_VALIDATE_FUNCTION = "XXHD.XXHD_AUTH_PKG.CHECK_LOGIN"
    ora.respond("CHECK_LOGIN", out={"result": "Y"})

    assert OracleERPGateway(driver=ora).validate_login("jsmith", PASSWORD) is True
    assert "XXHD.XXHD_AUTH_PKG.CHECK_LOGIN(:username, :password)" in ora.executed[0].sql


@pytest.mark.parametrize(
    "function",
    [
        "APPS.FND_USER_PKG.VALIDATELOGIN(:username, :password) OR TRUE --",
        "APPS.FND_USER_PKG.VALIDATELOGIN; EXECUTE IMMEDIATE 'DROP TABLE X'",
        'APPS."FND_USER_PKG".VALIDATELOGIN',
        "A.B.C.D",
        "1APPS.F",
        "APPS..F",
        "",
    ],
)
def test_a_malicious_validate_function_is_refused(oracle_settings, ora, function):
    oracle_settings.ERP_VALIDATE_FUNCTION = function

    with pytest.raises(ERPConfigError, match="ERP_VALIDATE_FUNCTION"):
        OracleERPGateway(driver=ora).validate_login("jsmith", PASSWORD)
    assert ora.executed == []


@pytest.mark.parametrize("schema", ["APPS.X", "APPS; DROP", "APPS --", "", '"APPS"'])
def test_a_malicious_schema_is_refused(oracle_settings, ora, schema):
    oracle_settings.ERP_SCHEMA = schema

    with pytest.raises(ERPConfigError, match="ERP_SCHEMA"):
        OracleERPGateway(driver=ora).get_profile("jsmith")
    assert ora.executed == []


# --- get_profile and responsibilities --------------------------------------------------


def test_get_profile_reads_the_current_person_and_primary_assignment(gateway, ora):
    ora.respond("PER_ALL_PEOPLE_F", rows=[profile_row(end_date=dt.datetime(2026, 1, 1))])
    ora.respond("FND_USER_RESP_GROUPS", rows=[("JSMITH", "HD_AGENT"), ("JSMITH", "HD_REQ")])

    profile = gateway.get_profile(" jsmith")

    assert profile == ERPProfile(
        username="JSMITH",
        email="jsmith@example.test",
        first_name="John",
        last_name="Smith",
        full_name="Smith, John",
        employee_number="10042",
        department="IT Service Desk",
        start_date=dt.date(2020, 1, 9),
        end_date=dt.date(2026, 1, 1),
        responsibilities=("HD_AGENT", "HD_REQ"),
    )
    query, _ = ora.executed
    sql = " ".join(query.sql.split())
    assert "FROM APPS.FND_USER fu" in sql
    assert "LEFT JOIN APPS.PER_ALL_PEOPLE_F papf" in sql
    assert ":as_of BETWEEN papf.effective_start_date AND papf.effective_end_date" in sql
    assert "APPS.PER_ALL_ASSIGNMENTS_F paaf" in sql
    assert "paaf.primary_flag = 'Y'" in sql
    assert "paaf.assignment_type IN ('E', 'C')" in sql
    assert ":as_of BETWEEN paaf.effective_start_date AND paaf.effective_end_date" in sql
    assert "APPS.HR_ALL_ORGANIZATION_UNITS haou" in sql
    assert "fu.user_name = :username" in sql
    assert "SYSDATE" not in sql.upper()
    assert "JSMITH" not in sql.upper()
    assert query.binds == {"username": "JSMITH", "as_of": TODAY}


def test_get_profile_of_an_unknown_user_is_none(gateway, ora):
    assert gateway.get_profile("nobody") is None
    assert len(ora.executed) == 1  # no responsibilities query


def test_get_profile_without_a_person_keeps_empty_strings(gateway, ora):
    row = (
        "SYSADMIN",
        None,
        None,
        None,
        None,
        None,
        None,
        dt.datetime(2000, 1, 1, 13, 5),
        None,
    )
    ora.respond("PER_ALL_PEOPLE_F", rows=[row])

    profile = gateway.get_profile("sysadmin")

    assert profile == ERPProfile(username="SYSADMIN", start_date=dt.date(2000, 1, 1))


def test_schema_prefixes_every_object(oracle_settings, ora):
    oracle_settings.ERP_SCHEMA = "XXRO"
    ora.respond("PER_ALL_PEOPLE_F", rows=[profile_row()])
    gateway = OracleERPGateway(driver=ora)

    gateway.get_profile("jsmith")

    sql = " ".join(call.sql for call in ora.executed)
    for table in (
        "FND_USER",
        "PER_ALL_PEOPLE_F",
        "PER_ALL_ASSIGNMENTS_F",
        "HR_ALL_ORGANIZATION_UNITS",
        "FND_USER_RESP_GROUPS",
        "FND_RESPONSIBILITY",
    ):
        assert f"XXRO.{table} " in sql
    assert "APPS." not in sql


def test_responsibilities_are_effective_dated_with_binds(gateway, ora):
    ora.respond("FND_USER_RESP_GROUPS", rows=[("JSMITH", "HD_AGENT"), ("JSMITH", "SYS_ADMIN")])

    assert gateway.responsibilities("jsmith") == ["HD_AGENT", "SYS_ADMIN"]

    (call,) = ora.executed
    sql = " ".join(call.sql.split())
    assert "JOIN APPS.FND_USER_RESP_GROUPS furg" in sql
    assert "JOIN APPS.FND_RESPONSIBILITY fr" in sql
    assert "fu.user_name IN (:u0)" in sql
    assert "TRUNC(furg.start_date) <= :as_of" in sql
    assert "(furg.end_date IS NULL OR TRUNC(furg.end_date) > :as_of)" in sql
    assert "TRUNC(fr.start_date) <= :as_of" in sql
    assert "(fr.end_date IS NULL OR TRUNC(fr.end_date) > :as_of)" in sql
    assert "SYSDATE" not in sql.upper()
    assert call.binds == {"u0": "JSMITH", "as_of": TODAY}


# --- users_changed_since ---------------------------------------------------------------


def test_users_changed_since_binds_local_wall_clock_time(gateway, ora):
    since = dt.datetime(2025, 3, 14, 6, 30, tzinfo=dt.UTC)

    assert gateway.users_changed_since(since) == []

    (call,) = ora.executed
    sql = " ".join(call.sql.split())
    assert "fu.last_update_date >= :since" in sql
    assert "papf.last_update_date >= :since" in sql
    assert ":as_of BETWEEN papf.effective_start_date AND papf.effective_end_date" in sql
    # Europe/Moscow is UTC+3; the EBS DATE columns hold that wall-clock time.
    assert call.binds == {"since": dt.datetime(2025, 3, 14, 9, 30), "as_of": TODAY}


def test_users_changed_since_fetches_in_batches_and_chunks_the_responsibilities(gateway, ora):
    names = [f"USER{index:04d}" for index in range(1500)]
    ora.respond("last_update_date >= :since", rows=[profile_row(name) for name in names])
    grants = {"USER0001": ["HD_AGENT"], "USER1499": ["HD_MANAGER", "HD_REQ"]}
    ora.respond("FND_USER_RESP_GROUPS", rows=responsibilities_by_user(grants))

    profiles = gateway.users_changed_since(dt.datetime(2025, 3, 1, 0, 0))

    assert [profile.username for profile in profiles] == names
    by_name = {profile.username: profile for profile in profiles}
    assert by_name["USER0001"].responsibilities == ("HD_AGENT",)
    assert by_name["USER1499"].responsibilities == ("HD_MANAGER", "HD_REQ")
    assert by_name["USER0002"].responsibilities == ()
    # One query for the users, one per 1000 names for the responsibilities: never N+1,
    # never an IN list Oracle refuses.
    assert len(ora.statements("last_update_date >= :since")) == 1
    chunks = ora.statements("FND_USER_RESP_GROUPS")
    assert len(chunks) == 2
    for chunk in chunks:
        user_binds = [name for name in chunk.binds if name.startswith("u")]
        assert len(user_binds) <= 1000
        assert chunk.binds["as_of"] == TODAY
        assert all(bind not in chunk.sql for bind in names)
    assert {
        value for chunk in chunks for name, value in chunk.binds.items() if name != "as_of"
    } == set(names)
    assert ("fetchall", None) not in ora.fetches
    assert ("fetchmany", 500) in ora.fetches


def test_users_changed_since_keeps_one_row_per_user(gateway, ora):
    rows = [profile_row("JSMITH"), profile_row("JSMITH", department="Second assignment")]
    ora.respond("last_update_date >= :since", rows=rows)

    (profile,) = gateway.users_changed_since(dt.datetime(2025, 3, 1))

    assert profile.department == "IT Service Desk"


def test_small_responsibility_lists_are_padded_to_a_few_statement_shapes(gateway, ora):
    names = ["A", "B", "C"]
    ora.respond("last_update_date >= :since", rows=[profile_row(name) for name in names])

    gateway.users_changed_since(dt.datetime(2025, 3, 1))

    (chunk,) = ora.statements("FND_USER_RESP_GROUPS")
    assert "IN (:u0, :u1, :u2, :u3)" in chunk.sql
    assert {chunk.binds[f"u{index}"] for index in range(4)} == set(names)


# --- check -----------------------------------------------------------------------------


def test_check_reports_facts_and_reads_fnd_user(gateway, ora):
    ora.respond("COUNT(*)", rows=[(1,)])

    facts = gateway.check()

    assert facts == {
        "dsn": "ebs.example.test:1521/EBSPROD",
        "user": "HELPDESK_RO",
        "mode": "thin",
        "server_version": "19.0.0.0.0",
        "validate_function": "APPS.FND_USER_PKG.VALIDATELOGIN",
    }
    assert ora.executed[0].sql == "SELECT COUNT(*) FROM APPS.FND_USER WHERE ROWNUM = 1"


def test_check_fails_when_the_service_account_sees_no_fnd_user(gateway, ora):
    ora.respond("COUNT(*)", rows=[(0,)])

    with pytest.raises(ERPConfigError, match="FND_USER"):
        gateway.check()


def test_check_fails_without_the_grant(gateway, ora):
    ora.respond("COUNT(*)", error=oracle_exception("ORA-00942: table or view does not exist", 942))

    with pytest.raises(ERPConfigError) as raised:
        gateway.check()
    assert raised.value.code == "ORA-00942"


# --- errors ----------------------------------------------------------------------------

UNAVAILABLE = [
    (
        "DPY-6005: cannot connect to database (CONNECTION_ID=a1).\n[Errno 111] refused",
        0,
        "DPY-6005",
    ),
    ("DPY-6000: Listener refused connection. (Similar to ORA-12519)", 0, "DPY-6000"),
    ("DPY-4011: the database or network closed the connection", 0, "DPY-4011"),
    ("ORA-03113: end-of-file on communication channel", 3113, "DPY-4011"),
    ("ORA-03135: connection lost contact", 3135, "DPY-4011"),
    ("DPY-4024: call timeout of 7500 ms exceeded", 0, "DPY-4024"),
    ("DPI-1067: call timeout of 7500 ms exceeded with ORA-3156", 0, "DPY-4024"),
    ("DPI-1080: connection was closed by ORA-3113", 0, "DPY-4011"),
    ("DPY-4005: timed out waiting for the connection pool to return a connection", 0, "DPY-4005"),
    ("DPY-1001: not connected to database", 0, "DPY-1001"),
    ("ORA-12170: TNS:Connect timeout occurred", 12170, "ORA-12170"),
    ("ORA-12541: TNS:no listener", 12541, "ORA-12541"),
    ("ORA-12543: TNS:destination host unreachable", 12543, "ORA-12543"),
    ("ORA-12516: TNS:listener could not find available handler", 12516, "ORA-12516"),
    ("ORA-01034: ORACLE not available", 1034, "ORA-01034"),
    # Not listed: an OperationalError is taken as transient.
    ("ORA-12571: TNS:packet writer failure", 12571, "ORA-12571"),
]
CONFIG = [
    ("ORA-01017: invalid credential or not authorized; logon denied", 1017, "ORA-01017"),
    ("ORA-28000: The account is locked.", 28000, "ORA-28000"),
    ("ORA-28001: the password has expired", 28001, "ORA-28001"),
    ("ORA-01045: user lacks CREATE SESSION privilege", 1045, "ORA-01045"),
    ("ORA-00942: table or view does not exist", 942, "ORA-00942"),
    ("ORA-06550: line 3, column 8:\nPLS-00201: identifier 'X' must be declared", 6550, "ORA-06550"),
    ("ORA-01031: insufficient privileges", 1031, "ORA-01031"),
    ("ORA-00904: invalid identifier", 904, "ORA-00904"),
    ("ORA-12514: TNS:listener does not currently know of service", 12514, "ORA-12514"),
    ('DPY-6001: Service "EBS" is not registered (Similar to ORA-12514)', 0, "DPY-6001"),
    ("ORA-12154: TNS:could not resolve the connect identifier", 12154, "ORA-12154"),
    ('DPY-4000: unable to find "EBSPROD" in /etc/tnsnames.ora', 0, "DPY-4000"),
    ("DPY-4026: file '/etc/tnsnames.ora' is missing or unreadable", 0, "DPY-4026"),
    ("DPY-4027: no configuration directory specified", 0, "DPY-4027"),
    ("DPY-3015: password verifier type 0x939 is not supported", 0, "DPY-3015"),
    # Not listed and not an OperationalError: our side.
    ("ORA-00060: deadlock detected while waiting for resource", 60, "ORA-00060"),
    ("DPY-2003: expecting a dictionary", 0, "DPY-2003"),
]


@pytest.mark.parametrize(("message", "number", "code"), UNAVAILABLE)
def test_transient_driver_errors_are_unavailable_and_drop_the_connection(
    gateway, ora, message, number, code
):
    ora.respond("FND_USER_RESP_GROUPS", error=oracle_exception(message, number))

    with pytest.raises(ERPUnavailable) as raised:
        gateway.responsibilities("jsmith")

    assert raised.value.code == code
    assert str(raised.value).startswith("Oracle EBS responsibilities failed: ")
    assert isinstance(raised.value.__cause__, oracledb.Error)
    assert ora.pool.dropped == ora.pool.acquired
    assert ora.pool.released == []


@pytest.mark.parametrize(("message", "number", "code"), CONFIG)
def test_configuration_errors_are_config_errors_and_release_the_connection(
    gateway, ora, message, number, code
):
    ora.respond("FND_USER_RESP_GROUPS", error=oracle_exception(message, number))

    with pytest.raises(ERPConfigError) as raised:
        gateway.responsibilities("jsmith")

    assert raised.value.code == code
    assert "Help:" not in str(raised.value)
    assert ora.pool.released == ora.pool.acquired
    assert ora.pool.dropped == []


@pytest.mark.parametrize(
    ("message", "number", "error_class"),
    [
        ("DPY-6005: cannot connect to database.\ntimed out", 0, ERPUnavailable),
        ("DPY-4005: timed out waiting for the connection pool", 0, ERPUnavailable),
        ('DPY-6001: Service "EBS" is not registered (Similar to ORA-12514)', 0, ERPConfigError),
    ],
)
def test_errors_while_connecting_are_mapped(gateway, ora, message, number, error_class):
    gateway.responsibilities("warm-up")  # creates the pool
    ora.acquire_errors.append(oracle_exception(message, number))

    with pytest.raises(error_class):
        gateway.responsibilities("jsmith")

    assert gateway.responsibilities("jsmith") == []  # the next call tries again


def test_a_refused_service_account_is_not_retried_at_once(gateway, ora, monkeypatch):
    gateway.responsibilities("warm-up")
    ora.acquire_errors.append(oracle_exception("ORA-01017: invalid credential", 1017))

    with pytest.raises(ERPConfigError):
        gateway.responsibilities("jsmith")
    acquired = len(ora.pool.acquired)
    with pytest.raises(ERPConfigError) as raised:  # no new logon that counts as a failure
        gateway.responsibilities("jsmith")
    assert raised.value.code == "ORA-01017"
    assert len(ora.pool.acquired) == acquired

    monkeypatch.setattr(erp, "_REFUSED_LOGIN_PAUSE", 0)
    gateway._refused = None
    assert gateway.responsibilities("jsmith") == []


def test_a_failing_pool_setup_is_retried_on_the_next_call(gateway, ora, monkeypatch):
    create_pool = ora.create_pool

    def broken(**kwargs):
        raise oracle_exception('DPY-4000: unable to find "EBSPROD" in tnsnames.ora')

    monkeypatch.setattr(ora, "create_pool", broken)
    with pytest.raises(ERPConfigError, match="pool setup"):
        gateway.responsibilities("jsmith")

    monkeypatch.setattr(ora, "create_pool", create_pool)
    assert gateway.responsibilities("jsmith") == []


# --- secrets ---------------------------------------------------------------------------


def test_the_password_never_reaches_logs_errors_or_repr(gateway, ora, caplog):
    caplog.set_level(logging.DEBUG)
    # Contrived: even a driver message that echoed the password is scrubbed.
    error = oracle_exception(f"ORA-06550: line 3, column 8: near {PASSWORD}", 6550)
    ora.respond("VALIDATELOGIN", error=error)

    with pytest.raises(ERPConfigError) as raised:
        gateway.validate_login("jsmith", PASSWORD)

    assert "ORA-06550" in str(raised.value)
    for text in (str(raised.value), repr(raised.value), caplog.text, repr(gateway)):
        assert PASSWORD not in text
        assert SERVICE_PASSWORD not in text
    assert SERVICE_PASSWORD not in str(gateway.describe())


def test_a_successful_sign_in_logs_no_password(gateway, ora, caplog):
    caplog.set_level(logging.DEBUG)
    ora.respond("VALIDATELOGIN", out={"result": "Y"})

    assert gateway.validate_login("jsmith", PASSWORD)

    assert PASSWORD not in caplog.text
    assert SERVICE_PASSWORD not in caplog.text
