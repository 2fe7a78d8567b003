"""OracleERPGateway against a fake python-oracledb: SQL, binds, pool, errors, secrets."""

import datetime as dt
import logging
import threading
import time
from typing import cast

import oracledb
import pytest

from accounts import erp
from accounts.erp import (
    ERPConfigError,
    ERPProfile,
    ERPUnavailable,
    LoginStatus,
    OracleERPGateway,
    forget_gateway,
    get_gateway,
)
from accounts.erp_errors import classify, oracle_error
from accounts.tests.fake_oracledb import FakeOracleDB, oracle_exception

PASSWORD = "Tr0ub4dor&3-user"
SERVICE_PASSWORD = "s3rvice-Secret!"
PACKAGE = "APPS.XX_HELPDESK_AUTH"
LAST_WEEK = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=7)


@pytest.fixture
def oracle_settings(settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    settings.ORACLE_DSN = "ebs.example.test:1521/EBSPROD"
    settings.ORACLE_HOST = ""
    settings.ORACLE_SERVICE = ""
    settings.ORACLE_USER = "HELPDESK_RO"
    settings.ORACLE_PASSWORD = SERVICE_PASSWORD
    settings.ORACLE_DRIVER_MODE = "thin"
    settings.ORACLE_CLIENT_LIB_DIR = ""
    settings.ORACLE_CONNECT_TIMEOUT = 2.5
    settings.ORACLE_CALL_TIMEOUT = 7.5
    settings.ORACLE_POOL_MAX = 3
    settings.ERP_SCHEMA = "APPS"
    settings.ERP_AUTH_PACKAGE = PACKAGE
    settings.LANGUAGE_CODE = "ru"
    return settings


@pytest.fixture
def ora():
    """The fake python-oracledb, answering what ``check()`` asks."""
    fake = FakeOracleDB()
    fake.respond("SELECT SYSDATE FROM DUAL", rows=[(LAST_WEEK,)])
    fake.respond("COUNT(*)", rows=[(1,)])
    fake.respond("SYS_CONTEXT('USERENV', 'NETWORK_PROTOCOL')", rows=[(LAST_WEEK, "tcp")])
    fake.respond(".login(", out={"result": "UNKNOWN"})
    fake.respond(".failure_limit", out={"result": 5})
    return fake


@pytest.fixture
def gateway(oracle_settings, ora):
    gateway = OracleERPGateway(driver=ora)
    yield gateway
    gateway.close()


def profile_row(username="JSMITH", **overrides):
    row = {
        "user_name": username,
        "email": f"{username.lower()}@example.test",
        "first_name": "John",
        "middle_names": "Quincy",
        "last_name": "Smith",
        "full_name": "Smith, John",
        "employee_number": "10042",
        "department": "IT Service Desk",
        "start_date": dt.datetime(2020, 1, 9, 0, 0),
        "end_date": None,
        "person_id": 501,
        "current_employee_flag": "Y",
        "current_npw_flag": None,
    }
    row.update(overrides)
    return tuple(row.values())


def by_bound_user(table: dict[str, list]):
    """A responder answering only for the user names bound to the statement."""

    def rows(binds):
        asked = {value for name, value in binds.items() if name.startswith("u")}
        return [row for user in sorted(asked) for row in table.get(user, [])]

    return rows


def flat(sql: str) -> str:
    return " ".join(sql.split())


# --- configuration -----------------------------------------------------------------------


def test_get_gateway_builds_the_oracle_gateway_even_unconfigured(settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    settings.ORACLE_USER = settings.ORACLE_PASSWORD = settings.ORACLE_DSN = ""
    forget_gateway()

    assert isinstance(get_gateway(), OracleERPGateway)
    assert get_gateway() is get_gateway()


def test_changing_a_setting_closes_the_old_gateway_and_builds_a_new_one(gateway, ora, settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    forget_gateway()
    first = cast(erp.OracleERPGateway, get_gateway())
    first.driver = ora
    first.now()

    settings.ORACLE_POOL_MAX = 2

    assert get_gateway() is not first
    assert first._pool is None and ora.connection.closed


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
    assert ora.connections == []


def test_dsn_is_built_from_host_port_and_service_without_oracle_dsn(oracle_settings, ora):
    oracle_settings.ORACLE_DSN = ""
    oracle_settings.ORACLE_HOST = "ebs-ora.example.test"
    oracle_settings.ORACLE_PORT = 1531
    oracle_settings.ORACLE_SERVICE = "EBSPROD"
    gateway = OracleERPGateway(driver=ora)

    gateway.now()

    assert ora.connection.kwargs["dsn"] == "ebs-ora.example.test:1531/EBSPROD"


@pytest.mark.parametrize(
    "package",
    ["APPS.FND_USER_PKG", "fnd_web_sec", "APPS.FND_USER_PKG.VALIDATELOGIN"],
)
def test_ebs_own_invoker_rights_packages_are_refused_with_the_fix(oracle_settings, ora, package):
    oracle_settings.ERP_AUTH_PACKAGE = package

    with pytest.raises(ERPConfigError) as raised:
        OracleERPGateway(driver=ora).check_login("jsmith", PASSWORD)

    assert "ERP_AUTH_PACKAGE" in str(raised.value)
    assert ora.executed == []


@pytest.mark.parametrize(
    "package",
    [
        "APPS.XX_HELPDESK_AUTH.login(:username, :password) OR TRUE --",
        "APPS.XX; EXECUTE IMMEDIATE 'DROP TABLE X'",
        'APPS."XX_HELPDESK_AUTH"',
        "A.B.C",
        "1APPS.F",
        "APPS..F",
        "",
    ],
)
def test_a_malicious_package_name_is_refused(oracle_settings, ora, package):
    oracle_settings.ERP_AUTH_PACKAGE = package

    with pytest.raises(ERPConfigError, match="ERP_AUTH_PACKAGE"):
        OracleERPGateway(driver=ora).check_login("jsmith", PASSWORD)
    assert ora.executed == []


@pytest.mark.parametrize("schema", ["APPS.X", "APPS; DROP", "APPS --", "", '"APPS"'])
def test_a_malicious_schema_is_refused(oracle_settings, ora, schema):
    oracle_settings.ERP_SCHEMA = schema

    with pytest.raises(ERPConfigError, match="ERP_SCHEMA"):
        OracleERPGateway(driver=ora).get_profile("jsmith")
    assert ora.executed == []


# --- connections ---------------------------------------------------------------------------


def test_connections_are_opened_lazily_with_the_timeouts_and_reused(gateway, ora):
    assert ora.connections == []

    gateway.now()
    gateway.now()

    (connection,) = ora.connections
    assert connection.kwargs == {
        "user": "HELPDESK_RO",
        "password": SERVICE_PASSWORD,
        "dsn": "ebs.example.test:1521/EBSPROD",
        "tcp_connect_timeout": 2.5,
        "retry_count": 0,
    }
    assert connection.call_timeout == 7500
    assert gateway._pool.idle_count == 1


def test_concurrent_calls_open_at_most_the_pool_size(gateway, ora):
    ora.connect_delay = 0.05
    threads = [threading.Thread(target=gateway.now) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ora.statements("SYSDATE")) == 8
    assert 1 <= len(ora.connections) <= 3
    assert gateway._pool.open_count == len(ora.connections)


def test_an_idle_connection_is_pinged_and_replaced_when_dead(gateway, ora):
    gateway.now()
    gateway._pool.ping_after = 0
    ora.ping_errors.append(oracle_exception("DPY-4011: the database closed the connection"))

    gateway.now()

    first, second = ora.connections
    assert first.pings == 1 and second.pings == 0
    assert gateway._pool.open_count == 1


def test_no_free_connection_in_time_is_unavailable(gateway, ora):
    gateway.now()
    gateway._pool.size = 1
    gateway._pool.wait_timeout = 0.05
    with gateway._connection("first"), pytest.raises(ERPUnavailable, match="busy"):
        gateway.now()


def test_a_stalled_database_holds_at_most_the_pool_size_of_attempts(gateway, ora):
    ora.connect_delay = 0.5  # the database never answers in time
    gateway.connect_timeout = 0.02
    for _attempt in range(3):
        with pytest.raises(ERPUnavailable, match="did not complete the connection"):
            gateway.now()

    started = time.monotonic()
    with pytest.raises(ERPUnavailable, match="still waiting"):
        gateway.now()

    assert time.monotonic() - started < 0.1, "no wait for a database that hangs"
    assert gateway._pool.open_count == 3
    deadline = time.monotonic() + 3
    while gateway._pool.open_count and time.monotonic() < deadline:
        time.sleep(0.02)  # the attempts end; their connections are closed
    assert gateway._pool.open_count == 0
    assert all(connection.closed for connection in ora.connections)
    ora.connect_delay = 0
    gateway.connect_timeout = 1
    assert gateway.now() == LAST_WEEK


def test_close_closes_the_idle_connections(gateway, ora):
    gateway.now()

    gateway.close()

    assert ora.connection.closed


def test_thin_mode_by_default(gateway, ora):
    assert gateway.check()["mode"] == "thin"
    assert ora.client_inits == []


@pytest.mark.parametrize("lib_dir", ["/opt/oracle/instantclient_19_25", ""])
def test_thick_mode_initialises_the_client_once_per_process(oracle_settings, ora, lib_dir):
    oracle_settings.ORACLE_DRIVER_MODE = "thick"
    oracle_settings.ORACLE_CLIENT_LIB_DIR = lib_dir

    first = OracleERPGateway(driver=ora)
    facts = first.check()
    OracleERPGateway(driver=ora).check()  # e.g. rebuilt after a settings change

    # On Linux the libraries come from the loader's path when no folder is given.
    assert ora.client_inits == [{"lib_dir": lib_dir or None}]
    assert facts["mode"] == "thick"


def test_thick_mode_without_the_client_libraries_names_the_fix(oracle_settings, ora, monkeypatch):
    oracle_settings.ORACLE_DRIVER_MODE = "thick"

    def missing(**kwargs):
        raise oracle_exception(
            'DPI-1047: Cannot locate a 64-bit Oracle Client library: "libclntsh.so: cannot '
            'open shared object file: No such file or directory"'
        )

    monkeypatch.setattr(ora, "init_oracle_client", missing)

    with pytest.raises(ERPConfigError) as raised:
        OracleERPGateway(driver=ora).check()

    assert raised.value.code == "DPI-1047"
    assert "client setup failed" in str(raised.value) and "ldconfig" in str(raised.value)


# --- check_login and failure_limit --------------------------------------------------------


def test_check_login_calls_the_wrapper_in_a_plsql_block_with_binds_only(gateway, ora):
    ora.respond(".login(", out={"result": "VALID"})

    assert gateway.check_login("  jsmith ", PASSWORD) is LoginStatus.VALID

    (call,) = ora.executed
    assert flat(call.sql) == f"BEGIN :result := {PACKAGE}.login(:username, :password); END;"
    assert PASSWORD not in call.sql and "JSMITH" not in call.sql.upper()
    assert call.binds["username"] == "JSMITH"
    assert call.binds["password"] == PASSWORD
    (result,) = ora.vars
    assert call.binds["result"] is result and result.type is str


@pytest.mark.parametrize("answer", [status.value for status in LoginStatus])
def test_every_answer_of_the_wrapper_is_a_status(gateway, ora, answer):
    ora.respond(".login(", out={"result": answer.lower()})

    assert gateway.check_login("jsmith", PASSWORD) is LoginStatus(answer)


@pytest.mark.parametrize("answer", ["Y", None, "TRUE"])
def test_an_answer_that_is_not_the_wrappers_is_a_configuration_error(gateway, ora, answer):
    ora.respond(".login(", out={"result": answer})

    with pytest.raises(ERPConfigError, match=r"docs/integrations\.md"):
        gateway.check_login("jsmith", PASSWORD)


@pytest.mark.parametrize(("username", "password"), [("", PASSWORD), ("   ", PASSWORD), ("x", "")])
def test_check_login_without_username_or_password_does_not_ask_oracle(
    gateway, ora, username, password
):
    assert gateway.check_login(username, password) is LoginStatus.WRONG
    assert ora.connections == []


def test_failure_limit_is_read_through_the_wrapper_and_kept_a_while(gateway, ora):
    ora.respond(".failure_limit", out={"result": 3.0})

    assert gateway.failure_limit() == 3
    assert gateway.failure_limit() == 3

    (call,) = ora.executed
    assert flat(call.sql) == f"BEGIN :result := {PACKAGE}.failure_limit; END;"
    assert ora.vars[0].type is oracledb.DB_TYPE_NUMBER


def test_no_failure_limit_means_ebs_never_locks(gateway, ora):
    ora.respond(".failure_limit", out={"result": None})

    assert gateway.failure_limit() is None


# --- profiles --------------------------------------------------------------------------------


def test_get_profile_reads_the_current_person_assignment_and_department_name(gateway, ora):
    ora.respond("PER_ALL_PEOPLE_F", rows=[profile_row(end_date=dt.datetime(2026, 1, 1))])
    ora.respond("RESPONSIBILITY_KEY", rows=[("JSMITH", "HD_AGENT"), ("JSMITH", "HD_REQ")])

    profile = gateway.get_profile(" jsmith", language="en")

    assert profile == ERPProfile(
        username="JSMITH",
        email="jsmith@example.test",
        first_name="John",
        middle_name="Quincy",
        last_name="Smith",
        full_name="Smith, John",
        employee_number="10042",
        department="IT Service Desk",
        start_date=dt.date(2020, 1, 9),
        end_date=dt.date(2026, 1, 1),
        responsibilities=("HD_AGENT", "HD_REQ"),
        current_worker=True,
    )
    query, _responsibilities = ora.executed
    sql = flat(query.sql)
    assert "papf.middle_names" in sql
    assert "FROM APPS.FND_USER fu" in sql
    assert "LEFT JOIN APPS.PER_ALL_PEOPLE_F papf" in sql
    assert "TRUNC(SYSDATE) BETWEEN papf.effective_start_date AND papf.effective_end_date" in sql
    assert "paaf.primary_flag = 'Y'" in sql and "paaf.assignment_type IN ('E', 'C')" in sql
    assert "LEFT JOIN APPS.HR_ALL_ORGANIZATION_UNITS_TL haout" in sql
    assert "haout.language = :language" in sql and "NVL(haout.name, haou.name)" in sql
    assert "fu.user_name IN (:u0)" in sql
    assert "JSMITH" not in sql.upper()
    assert query.binds == {"u0": "JSMITH", "language": "US"}


@pytest.mark.parametrize(("language", "code"), [("ru", "RU"), ("en", "US"), ("", "RU")])
def test_the_department_is_named_in_the_users_language(gateway, ora, language, code):
    gateway.get_profile("jsmith", language=language)

    assert ora.executed[0].binds["language"] == code


def test_get_profile_of_an_unknown_user_is_none(gateway, ora):
    assert gateway.get_profile("nobody") is None
    assert len(ora.executed) == 1  # no responsibilities query


def test_a_technical_account_without_a_person_keeps_empty_strings(gateway, ora):
    row = profile_row(
        "SYSADMIN",
        email=None,
        first_name=None,
        middle_names=None,
        last_name=None,
        full_name=None,
        employee_number=None,
        department=None,
        start_date=dt.datetime(2000, 1, 1, 13, 5),
        person_id=None,
        current_employee_flag=None,
    )
    ora.respond("PER_ALL_PEOPLE_F", rows=[row])

    profile = gateway.get_profile("sysadmin")

    assert profile == ERPProfile(username="SYSADMIN", start_date=dt.date(2000, 1, 1))
    assert not profile.terminated


@pytest.mark.parametrize(
    ("employee", "worker", "current"),
    [("Y", None, True), (None, "Y", True), (None, None, False), ("N", "N", False)],
)
def test_current_employee_or_contingent_worker(gateway, ora, employee, worker, current):
    row = profile_row(current_employee_flag=employee, current_npw_flag=worker)
    ora.respond("PER_ALL_PEOPLE_F", rows=[row])

    profile = gateway.get_profile("jsmith")

    assert profile.current_worker is current
    assert profile.terminated is not current


def test_schema_prefixes_every_object(oracle_settings, ora):
    oracle_settings.ERP_SCHEMA = "XXRO"
    ora.respond("PER_ALL_PEOPLE_F", rows=[profile_row()])

    OracleERPGateway(driver=ora).get_profile("jsmith")

    sql = " ".join(call.sql for call in ora.executed)
    for table in (
        "FND_USER",
        "PER_ALL_PEOPLE_F",
        "PER_ALL_ASSIGNMENTS_F",
        "HR_ALL_ORGANIZATION_UNITS",
        "HR_ALL_ORGANIZATION_UNITS_TL",
        "FND_USER_RESP_GROUPS_DIRECT",
        "FND_USER_RESP_GROUPS_INDIRECT",
        "FND_RESPONSIBILITY",
    ):
        assert f"XXRO.{table}\n" in sql or f"XXRO.{table} " in sql
    assert "APPS." not in sql


def test_responsibilities_are_direct_and_indirect_grants_current_today(gateway, ora):
    ora.respond("PER_ALL_PEOPLE_F", rows=[profile_row()])

    gateway.get_profile("jsmith")

    sql = flat(ora.executed[1].sql)
    assert "FROM APPS.FND_USER_RESP_GROUPS_DIRECT UNION ALL" in sql
    assert "FROM APPS.FND_USER_RESP_GROUPS_INDIRECT )" in sql
    assert "TRUNC(furg.start_date) <= TRUNC(SYSDATE)" in sql
    assert "(furg.end_date IS NULL OR TRUNC(furg.end_date) > TRUNC(SYSDATE))" in sql
    assert "(fr.end_date IS NULL OR TRUNC(fr.end_date) > TRUNC(SYSDATE))" in sql
    assert ora.executed[1].binds == {"u0": "JSMITH"}


def test_profiles_come_in_pages_of_a_thousand_names_two_statements_a_page(gateway, ora):
    names = [f"USER{index:04d}" for index in range(1500)]
    people = {name: [profile_row(name)] for name in names}
    people["USER0007"].append(profile_row("USER0007", department="Second assignment"))
    ora.respond("PER_ALL_PEOPLE_F", rows=by_bound_user(people))
    grants = {"USER0001": [("USER0001", "HD_AGENT")], "USER1499": [("USER1499", "HD_REQ")]}
    ora.respond("RESPONSIBILITY_KEY", rows=by_bound_user(grants))

    profiles = gateway.profiles([name.lower() for name in names], language="ru")

    assert sorted(profiles) == names
    assert profiles["USER0001"].responsibilities == ("HD_AGENT",)
    assert profiles["USER1499"].responsibilities == ("HD_REQ",)
    assert profiles["USER0002"].responsibilities == ()
    assert profiles["USER0007"].department == "IT Service Desk"  # the primary assignment
    assert len(ora.statements("PER_ALL_PEOPLE_F")) == 2
    assert len(ora.statements("RESPONSIBILITY_KEY")) == 2
    assert len(ora.connections) == 1
    for call in ora.executed:
        user_binds = [name for name in call.binds if name.startswith("u")]
        assert len(user_binds) <= 1000
        assert not any(name in call.sql for name in names)
    assert ("fetchall", None) not in ora.fetches


def test_small_name_lists_are_padded_to_a_few_statement_shapes(gateway, ora):
    gateway.profiles(["A", "B", "C"])

    (call,) = ora.executed
    assert "IN (:u0, :u1, :u2, :u3)" in call.sql
    assert {call.binds[f"u{index}"] for index in range(4)} == {"A", "B", "C"}


# --- the directory sync ------------------------------------------------------------------


def test_now_is_the_databases_sysdate(gateway, ora):
    ora.respond("SELECT SYSDATE FROM DUAL", rows=[(LAST_WEEK,)])

    assert gateway.now() == LAST_WEEK


def test_changed_users_are_found_with_one_query_per_table(gateway, ora):
    until = LAST_WEEK + dt.timedelta(hours=1)
    answers = {
        "fu.last_update_date >= :since": [("A",)],
        "papf.last_update_date >= :since": [("B",)],
        "paaf.last_update_date >= :since": [("C",), ("A",)],
        "FROM APPS.FND_USER_RESP_GROUPS_DIRECT furg": [("D",)],
        "FROM APPS.FND_USER_RESP_GROUPS_INDIRECT furg": [("E",)],
        "fr.last_update_date >= :since": [("F",)],
    }
    for fragment, rows in answers.items():
        ora.respond(fragment, rows=rows)

    changed = gateway.changed_usernames(LAST_WEEK, until)

    assert changed == {"A", "B", "C", "D", "E", "F"}
    assert len(ora.executed) == 6
    sqls = [flat(call.sql) for call in ora.executed]
    for call, sql in zip(ora.executed, sqls, strict=True):
        assert call.binds == {"since": LAST_WEEK, "until": until}
        assert " OR fu." not in sql and "papf.last_update_date >= :since OR" not in sql
    # A revoked grant: its own dates, not the user's.
    direct = next(sql for sql in sqls if "RESP_GROUPS_DIRECT furg" in sql)
    assert "furg.last_update_date >= :since" in direct
    assert "(furg.end_date > :since AND furg.end_date <= :until)" in direct
    assert "(furg.start_date > :since AND furg.start_date <= :until)" in direct


# --- check -------------------------------------------------------------------------------


def test_check_reports_facts_and_every_grant(gateway, ora):
    facts = gateway.check()

    assert facts["mode"] == "thin"
    assert facts["server_version"] == "19.0.0.0.0"
    assert facts["database_time"] == LAST_WEEK
    assert facts["failure_limit"] == 5
    assert facts["missing"] == []
    assert list(facts["grants"]) == [
        "SELECT on APPS.FND_USER",
        "SELECT on APPS.FND_USER_RESP_GROUPS_DIRECT",
        "SELECT on APPS.FND_USER_RESP_GROUPS_INDIRECT",
        "SELECT on APPS.FND_RESPONSIBILITY",
        "SELECT on APPS.PER_ALL_PEOPLE_F",
        "SELECT on APPS.PER_ALL_ASSIGNMENTS_F",
        "SELECT on APPS.HR_ALL_ORGANIZATION_UNITS",
        "SELECT on APPS.HR_ALL_ORGANIZATION_UNITS_TL",
        f"EXECUTE on {PACKAGE}",
    ]
    probe = ora.statements("FND_USER_RESP_GROUPS_INDIRECT WHERE 1 = 0")
    assert (
        probe and probe[0].sql == "SELECT NULL FROM APPS.FND_USER_RESP_GROUPS_INDIRECT WHERE 1 = 0"
    )
    (login,) = ora.statements(".login(")
    assert login.binds["password"] is None and login.binds["username"].startswith(" ")


def test_check_lists_each_missing_grant(gateway, ora):
    missing = oracle_exception("ORA-00942: table or view does not exist", 942)
    ora.respond("FND_USER_RESP_GROUPS_INDIRECT WHERE 1 = 0", error=missing)
    ora.respond("HR_ALL_ORGANIZATION_UNITS_TL WHERE 1 = 0", error=missing)
    no_package = oracle_exception(
        "ORA-06550: line 2, column 15:\n"
        "PLS-00201: identifier 'APPS.XX_HELPDESK_AUTH' must be declared",
        6550,
    )
    ora.respond(".login(", error=no_package)

    facts = gateway.check()

    assert facts["missing"] == [
        "SELECT on APPS.FND_USER_RESP_GROUPS_INDIRECT",
        "SELECT on APPS.HR_ALL_ORGANIZATION_UNITS_TL",
        f"EXECUTE on {PACKAGE}",
    ]
    assert facts["grants"][f"EXECUTE on {PACKAGE}"] == "ORA-06550"
    assert facts["grants"]["SELECT on APPS.FND_USER"] == ""


def test_check_fails_when_the_service_account_sees_no_fnd_user(gateway, ora):
    ora.respond("COUNT(*)", rows=[(0,)])

    assert gateway.check()["grants"]["SELECT on APPS.FND_USER"] == "no rows visible"


def test_check_warns_when_the_package_is_not_the_wrapper(gateway, ora):
    ora.respond(".login(", out={"result": "WRONG"})

    (warning,) = [w for w in gateway.check()["warnings"] if "wrapper" in w]
    assert "UNKNOWN" in warning


def test_an_unencrypted_thin_connection_is_warned_about(gateway, ora):
    facts = gateway.check()

    assert facts["encryption"] == "none"
    assert any("cross the network in clear" in w and "TCPS" in w for w in facts["warnings"])


def test_tcps_is_encrypted(gateway, ora):
    ora.respond("SYS_CONTEXT('USERENV', 'NETWORK_PROTOCOL')", rows=[(LAST_WEEK, "tcps")])

    facts = gateway.check()

    assert facts["encryption"] == "TLS"
    assert facts["warnings"] == []


@pytest.mark.parametrize(
    ("banners", "error", "encryption"),
    [
        (
            [("AES256 Encryption service adapter for Linux: Version 19.0.0.0.0",)],
            None,
            "native network encryption",
        ),
        ([("Encryption service for Linux: Version 19.0.0.0.0",)], None, "none"),
        ([], oracle_exception("ORA-00942: table or view does not exist", 942), "unknown"),
    ],
)
def test_thick_mode_reads_native_encryption_when_it_may(
    oracle_settings, ora, banners, error, encryption
):
    oracle_settings.ORACLE_DRIVER_MODE = "thick"
    ora.respond("v$session_connect_info", rows=banners, error=error)

    facts = OracleERPGateway(driver=ora).check()

    assert facts["encryption"] == encryption
    assert bool(facts["warnings"]) is (encryption != "native network encryption")


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
    ("DPY-3010: connections to this database server version are not supported", 0, "DPY-3010"),
    # Not listed and not an OperationalError: our side.
    ("ORA-00060: deadlock detected while waiting for resource", 60, "ORA-00060"),
    ("DPY-2003: expecting a dictionary", 0, "DPY-2003"),
]


@pytest.mark.parametrize(("message", "number", "code"), UNAVAILABLE)
def test_transient_driver_errors_are_unavailable_and_drop_the_connection(
    gateway, ora, message, number, code
):
    ora.respond("SYSDATE", error=oracle_exception(message, number))

    with pytest.raises(ERPUnavailable) as raised:
        gateway.now()

    assert raised.value.code == code
    assert str(raised.value).startswith("Oracle EBS now failed: ")
    assert isinstance(raised.value.__cause__, oracledb.Error)
    assert gateway._pool.idle_count == 0 and gateway._pool.open_count == 0
    deadline = time.monotonic() + 2
    while not ora.connection.closed and time.monotonic() < deadline:
        time.sleep(0.01)  # closed in the background
    assert ora.connection.closed


@pytest.mark.parametrize(("message", "number", "code"), CONFIG)
def test_configuration_errors_are_config_errors_and_keep_the_connection(
    gateway, ora, message, number, code
):
    ora.respond("SYSDATE", error=oracle_exception(message, number))

    with pytest.raises(ERPConfigError) as raised:
        gateway.now()

    assert raised.value.code == code
    assert "Help:" not in str(raised.value)
    assert gateway._pool.idle_count == 1
    assert not ora.connection.closed


def wrapped(inner: oracledb.Error) -> oracledb.Error:
    """What thin mode raises when connecting fails: DPY-6005 caused by the reason."""
    outer = oracle_exception(f"DPY-6005: cannot connect to database (CONNECTION_ID=x).\n{inner}")
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("inner", "code", "fix"),
    [
        (
            oracle_exception(
                "DPY-3010: connections to this database server version are not supported"
            ),
            "DPY-3010",
            ["ORACLE_DRIVER_MODE=thick", "Instant Client 19", "11.2"],
        ),
        (
            oracle_exception(
                "DPY-3001: Native Network Encryption and Data Integrity is only supported in "
                "python-oracledb thick mode"
            ),
            "DPY-3001",
            ["TCPS", "tcps://", "ORACLE_DRIVER_MODE=thick"],
        ),
        (
            oracle_exception("DPY-3015: password verifier type 0x939 is not supported"),
            "DPY-3015",
            ["10G verifier", "ORACLE_DRIVER_MODE=thick"],
        ),
    ],
)
def test_the_real_reason_inside_cannot_connect_is_a_configuration_error_with_its_fix(
    inner, code, fix
):
    error = oracle_error(wrapped(inner), operation="check")

    assert isinstance(error, ERPConfigError)
    assert error.code == code
    for words in fix:
        assert words in str(error)


def test_a_refused_connection_stays_an_outage():
    inner = ConnectionRefusedError(111, "Connection refused")
    outer = oracle_exception(
        "DPY-6005: cannot connect to database.\n[Errno 111] Connection refused"
    )
    outer.__cause__ = inner

    assert classify(outer) == (ERPUnavailable, "DPY-6005")


def test_errors_while_connecting_are_mapped_and_the_next_call_tries_again(gateway, ora):
    ora.connect_errors.append(wrapped(oracle_exception("DPY-3010: not supported in thin mode")))

    with pytest.raises(ERPConfigError) as raised:
        gateway.now()

    assert raised.value.code == "DPY-3010"
    assert gateway._pool.open_count == 0
    assert gateway.now() == LAST_WEEK  # connects this time


def test_a_refused_service_account_is_not_retried_at_once(gateway, ora, monkeypatch):
    ora.connect_errors.append(oracle_exception("ORA-01017: invalid credential", 1017))

    with pytest.raises(ERPConfigError):
        gateway.now()
    with pytest.raises(ERPConfigError) as raised:  # no new logon that counts as a failure
        gateway.now()
    assert raised.value.code == "ORA-01017"
    assert ora.connections == []

    monkeypatch.setattr(erp, "_REFUSED_LOGIN_PAUSE", 0)
    gateway._refused = None
    gateway.now()
    assert len(ora.connections) == 1


# --- secrets ---------------------------------------------------------------------------


def test_the_password_never_reaches_logs_errors_or_repr(gateway, ora, caplog):
    caplog.set_level(logging.DEBUG)
    # Contrived: even a driver message that echoed the password is scrubbed.
    error = oracle_exception(f"ORA-06550: line 3, column 8: near {PASSWORD}", 6550)
    ora.respond(".login(", error=error)

    with pytest.raises(ERPConfigError) as raised:
        gateway.check_login("jsmith", PASSWORD)

    assert "ORA-06550" in str(raised.value)
    for text in (str(raised.value), repr(raised.value), caplog.text, repr(gateway)):
        assert PASSWORD not in text
        assert SERVICE_PASSWORD not in text
    assert SERVICE_PASSWORD not in str(gateway.describe())


def test_a_successful_sign_in_logs_no_password(gateway, ora, caplog):
    caplog.set_level(logging.DEBUG)
    ora.respond(".login(", out={"result": "VALID"})

    assert gateway.check_login("jsmith", PASSWORD) is LoginStatus.VALID

    assert PASSWORD not in caplog.text
    assert SERVICE_PASSWORD not in caplog.text
