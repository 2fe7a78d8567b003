"""``manage.py erp_check``: configuration, connectivity facts and one user's sign-in."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from accounts.erp import ERPConfigError, ERPProfile, ERPUnavailable, get_gateway
from accounts.management.commands import erp_check

PASSWORD = "correct horse battery"
SERVICE_PASSWORD = "s3rvice-Secret!"


class StubGateway:
    """An ERPGateway whose answers each test sets on the class."""

    check_error: Exception | None = None
    login_error: Exception | None = None
    passwords: dict[str, str] = {}
    profiles: dict[str, ERPProfile] = {}
    logins: list[tuple[str, str]] = []

    def describe(self) -> dict:
        return {"dsn": "ebs.example.test:1521/EBSPROD", "user": "HELPDESK_RO", "mode": "thin"}

    def check(self) -> dict:
        if self.check_error is not None:
            raise self.check_error
        return {"server_version": "19.0.0.0.0", "user": "HELPDESK_RO"}

    def validate_login(self, username: str, password: str) -> bool:
        self.logins.append((username, password))
        if self.login_error is not None:
            raise self.login_error
        return self.passwords.get(username.upper()) == password

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
    monkeypatch.setattr(
        StubGateway,
        "profiles",
        {
            "JSMITH": ERPProfile(
                username="JSMITH",
                email="jsmith@example.test",
                full_name="Smith, John",
                employee_number="10042",
                department="IT Service Desk",
                start_date=dt.date(2020, 1, 9),
                responsibilities=("HD_AGENT", "HD_REQUESTER"),
            )
        },
    )
    get_gateway.cache_clear()
    yield StubGateway
    get_gateway.cache_clear()


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
    with pytest.raises(CommandError, match="Invalid credentials for jsmith"):
        run("--user", "jsmith", "--password-stdin", stdin="wrong\n", monkeypatch=monkeypatch)


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
    get_gateway.cache_clear()

    out = io.StringIO()
    with pytest.raises(CommandError, match="ORACLE_USER") as raised:
        call_command("erp_check", stdout=out)

    assert "ORACLE_PASSWORD" in str(raised.value)
    assert "DSN:" in out.getvalue() and "(not set)" in out.getvalue()
    get_gateway.cache_clear()
