"""``manage.py erp_check``: configuration, connectivity facts and one user's sign-in."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from accounts.erp import ERPConfigError, ERPProfile, ERPUnavailable, LoginStatus, forget_gateway
from accounts.management.commands import erp_check

PASSWORD = "correct horse battery"
SERVICE_PASSWORD = "s3rvice-Secret!"


class StubGateway:
    """An ERPGateway whose answers each test sets on the class."""

    check_error: Exception | None = None
    login_error: Exception | None = None
    passwords: dict[str, str] = {}
    statuses: dict[str, LoginStatus] = {}
    profiles: dict[str, ERPProfile] = {}
    logins: list[tuple[str, str]] = []
    report: dict = {}

    def describe(self) -> dict:
        return {"dsn": "ebs.example.test:1521/EBSPROD", "user": "HELPDESK_RO", "mode": "thin"}

    def check(self) -> dict:
        if self.check_error is not None:
            raise self.check_error
        return {
            "server_version": "19.0.0.0.0",
            "user": "HELPDESK_RO",
            "failure_limit": 3,
            "grants": {"SELECT on APPS.FND_USER": "", "EXECUTE on APPS.XX_HELPDESK_AUTH": ""},
            "missing": [],
            "warnings": [],
            **self.report,
        }

    def check_login(self, username: str, password: str) -> LoginStatus:
        self.logins.append((username, password))
        if self.login_error is not None:
            raise self.login_error
        if username.upper() in self.statuses:
            return self.statuses[username.upper()]
        if self.passwords.get(username.upper()) == password:
            return LoginStatus.VALID
        return LoginStatus.WRONG

    def get_profile(self, username: str) -> ERPProfile | None:
        return self.profiles.get(username.upper())


@pytest.fixture
def stub(settings, monkeypatch):
    settings.ERP_GATEWAY = f"{__name__}.StubGateway"
    settings.ORACLE_PASSWORD = SERVICE_PASSWORD
    monkeypatch.setattr(StubGateway, "check_error", None)
    monkeypatch.setattr(StubGateway, "login_error", None)
    monkeypatch.setattr(StubGateway, "passwords", {"JSMITH": PASSWORD})
    monkeypatch.setattr(StubGateway, "logins", [])
    monkeypatch.setattr(StubGateway, "statuses", {})
    monkeypatch.setattr(StubGateway, "report", {})
    monkeypatch.setattr(
        StubGateway,
        "profiles",
        {
            "JSMITH": ERPProfile(
                username="JSMITH",
                email="jsmith@example.test",
                full_name="Smith, John",
                middle_name="Quincy",
                employee_number="10042",
                department="IT Service Desk",
                start_date=dt.date(2020, 1, 9),
                responsibilities=("HD_AGENT", "HD_REQUESTER"),
            )
        },
    )
    forget_gateway()
    yield StubGateway
    forget_gateway()


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("erp_check", *args, stdout=out)
    return out.getvalue()


def test_prints_the_configuration_and_the_facts(stub):
    output = run()

    assert f"{__name__}.StubGateway" in output
    assert "ebs.example.test:1521/EBSPROD" in output
    assert "HELPDESK_RO" in output
    assert "Connected." in output
    assert "19.0.0.0.0" in output
    assert SERVICE_PASSWORD not in output


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            ERPUnavailable("cannot connect", code="DPY-6005"),
            "unavailable.*cannot connect.*DPY-6005",
        ),
        (ERPConfigError("ORA-01017: invalid", code="ORA-01017"), "configuration error: ORA-01017"),
    ],
)
def test_an_erp_error_fails_with_the_reason(stub, error, reason):
    stub.check_error = error

    with pytest.raises(CommandError, match=reason):
        run()


def test_user_with_password_from_stdin_prints_the_profile(stub, monkeypatch):
    output = run(
        "--user", "jsmith", "--password-stdin", stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch
    )

    assert stub.logins == [("jsmith", PASSWORD)]
    assert "Credentials valid for jsmith." in output
    assert "Smith, John" in output
    assert "jsmith@example.test" in output
    assert "10042" in output
    assert "IT Service Desk" in output
    assert "2020-01-09" in output
    assert "Active today:" in output and "yes" in output
    assert "HD_AGENT, HD_REQUESTER" in output
    assert "Middle name:" in output and "Quincy" in output
    assert PASSWORD not in output


def test_user_password_is_asked_without_echo(stub, monkeypatch):
    prompts = []

    def fake_getpass(prompt):
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr(erp_check, "getpass", fake_getpass)

    output = run("--user", "jsmith")

    assert prompts == ["ERP password for jsmith: "]
    assert "Credentials valid" in output


def test_invalid_credentials_fail(stub, monkeypatch):
    with pytest.raises(CommandError, match=r"Sign-in of jsmith refused \[WRONG\].*wrong"):
        run("--user", "jsmith", "--password-stdin", stdin="wrong\n", monkeypatch=monkeypatch)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (LoginStatus.LOCKED, "locked"),
        (LoginStatus.EXPIRED, "expired"),
        (LoginStatus.RESET, "reset by an administrator"),
        (LoginStatus.EXTERNAL, "single sign-on"),
        (LoginStatus.UNKNOWN, "no such user"),
    ],
)
def test_each_refusal_is_explained(stub, monkeypatch, status, words):
    stub.statuses = {"JSMITH": status}

    with pytest.raises(CommandError, match=words):
        run("--user", "jsmith", "--password-stdin", stdin=PASSWORD, monkeypatch=monkeypatch)


def test_an_inactive_account_still_shows_its_profile(stub, monkeypatch):
    stub.statuses = {"JSMITH": LoginStatus.INACTIVE}

    output = run("--user", "jsmith", "--password-stdin", stdin=PASSWORD, monkeypatch=monkeypatch)

    assert "end-dated or not started" in output
    assert "Smith, John" in output


def test_every_grant_is_listed_and_a_missing_one_fails_with_the_statements_to_run(stub):
    stub.report = {
        "grants": {
            "SELECT on APPS.FND_USER": "",
            "SELECT on APPS.FND_USER_RESP_GROUPS_INDIRECT": "ORA-00942",
            "EXECUTE on APPS.XX_HELPDESK_AUTH": "ORA-06550",
        },
        "missing": [
            "SELECT on APPS.FND_USER_RESP_GROUPS_INDIRECT",
            "EXECUTE on APPS.XX_HELPDESK_AUTH",
        ],
    }
    out = io.StringIO()

    with pytest.raises(CommandError, match="2 grant"):
        call_command("erp_check", stdout=out)

    output = out.getvalue()
    assert "  ok       SELECT on APPS.FND_USER" in output
    assert "  MISSING  SELECT on APPS.FND_USER_RESP_GROUPS_INDIRECT (ORA-00942)" in output
    assert (
        "exec AD_ZD.GRANT_PRIVS('SELECT', 'FND_USER_RESP_GROUPS_INDIRECT', 'HELPDESK_RO');"
        in output
    )
    assert "GRANT SELECT ON apps.fnd_user_resp_groups_indirect TO helpdesk_ro;" in output
    assert "create the wrapper package of docs/integrations.md" in output
    assert "exec AD_ZD.GRANT_PRIVS('EXECUTE', 'XX_HELPDESK_AUTH', 'HELPDESK_RO');" in output


@pytest.mark.parametrize(
    ("limit", "words"),
    [
        (3, "at most 2 wrong password(s) per user in 24 h"),
        (None, "EBS never locks an account"),
        (1, "ERP users cannot sign in here"),
    ],
)
def test_the_ebs_failure_limit_is_read_and_explained(stub, limit, words):
    stub.report = {"failure_limit": limit}

    assert words in run()


def test_warnings_are_shown(stub):
    stub.report = {"warnings": ["The connection is not encrypted: use TCPS."]}

    assert "Warning: The connection is not encrypted: use TCPS." in run()


def test_an_empty_password_is_refused_before_asking_the_erp(stub, monkeypatch):
    with pytest.raises(CommandError, match="No password"):
        run("--user", "jsmith", "--password-stdin", stdin="\n", monkeypatch=monkeypatch)
    assert stub.logins == []


def test_an_erp_error_during_the_sign_in_fails_with_the_reason(stub, monkeypatch):
    stub.login_error = ERPUnavailable("DPY-4024: call timeout", code="DPY-4024")

    with pytest.raises(CommandError, match="ERP unavailable"):
        run("--user", "jsmith", "--password-stdin", stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch)


def test_a_valid_user_without_profile_is_reported(stub, monkeypatch):
    stub.passwords = {"SYSADMIN": PASSWORD}

    output = run("--user", "sysadmin", "--password-stdin", stdin=PASSWORD, monkeypatch=monkeypatch)

    assert "no profile for sysadmin" in output


def test_an_ended_account_is_shown_inactive(stub, monkeypatch):
    stub.profiles = {"JSMITH": ERPProfile(username="JSMITH", end_date=dt.date(2021, 1, 1))}

    output = run("--user", "jsmith", "--password-stdin", stdin=PASSWORD, monkeypatch=monkeypatch)

    assert "Active today:" in output
    assert "  Active today:        no" in output
    assert "Responsibilities:    none" in output


def test_password_stdin_needs_a_user(stub):
    with pytest.raises(CommandError, match="--password-stdin needs --user"):
        run("--password-stdin")


def test_the_unconfigured_oracle_gateway_names_the_missing_settings(settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    settings.ORACLE_DSN = settings.ORACLE_HOST = settings.ORACLE_SERVICE = ""
    settings.ORACLE_USER = settings.ORACLE_PASSWORD = ""
    forget_gateway()

    out = io.StringIO()
    with pytest.raises(CommandError, match="ORACLE_USER") as raised:
        call_command("erp_check", stdout=out)

    assert "ORACLE_PASSWORD" in str(raised.value)
    assert "DSN:" in out.getvalue() and "(not set)" in out.getvalue()
    forget_gateway()


def test_ebs_own_package_as_the_wrapper_is_refused_with_the_fix(settings):
    settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
    settings.ORACLE_DSN = "ebs.example.test:1521/EBSPROD"
    settings.ORACLE_USER, settings.ORACLE_PASSWORD = "HELPDESK_RO", SERVICE_PASSWORD
    settings.ERP_AUTH_PACKAGE = "APPS.FND_USER_PKG"
    forget_gateway()

    with pytest.raises(CommandError, match="caller's rights") as raised:
        call_command("erp_check", stdout=io.StringIO())

    assert "XX_HELPDESK_AUTH" in str(raised.value)
    forget_gateway()
