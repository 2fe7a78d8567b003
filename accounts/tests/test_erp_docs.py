"""The EBS setup in docs/integrations.md is the one the gateway and erp_check expect.

No EBS runs here, so the documented package and grants are read back: the package the
gateway calls, with the functions and answers it expects, and exactly the grants
``erp_check`` verifies, for 12.2 and for 12.1.
"""

import re
from pathlib import Path

from django.conf import settings

from accounts import erp_sql
from accounts.erp import LoginStatus
from accounts.management.commands.erp_check import grant_fix

DOC = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text("utf-8")
ERP_PART = DOC[DOC.index("## Oracle E-Business Suite sign-in") : DOC.index("## Redmine")]
ACCOUNT = "XX_HELPDESK_RO"


def sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", ERP_PART, flags=re.S)


def package_script() -> str:
    (script,) = [block for block in sql_blocks() if "CREATE OR REPLACE PACKAGE" in block]
    return script


def needed_grants() -> list[str]:
    """What erp_check verifies, named as in its report."""
    package = settings.ERP_AUTH_PACKAGE
    return [f"EXECUTE on {package}"] + [f"SELECT on APPS.{table}" for table in erp_sql.TABLES]


def test_the_documented_package_is_the_default_with_definers_rights():
    script = package_script()
    name = settings.ERP_AUTH_PACKAGE.lower()
    assert f"CREATE OR REPLACE PACKAGE {name} AUTHID DEFINER AS" in script
    assert f"CREATE OR REPLACE PACKAGE BODY {name} AS" in script
    assert "fnd_user_pkg.validatelogin(p_user, p_password)" in script


def test_the_package_has_the_functions_the_gateway_calls():
    script = " ".join(package_script().split())
    assert "FUNCTION login(p_user IN VARCHAR2, p_password IN VARCHAR2) RETURN VARCHAR2;" in script
    assert "FUNCTION failure_limit RETURN NUMBER;" in script
    assert ".login(:username, :password)" in erp_sql.LOGIN
    assert ".failure_limit;" in erp_sql.FAILURE_LIMIT
    assert "'SIGNON_PASSWORD_FAILURE_LIMIT'" in script


def test_the_package_answers_exactly_the_login_statuses():
    answers = set(re.findall(r"RETURN '([A-Z]+)'", package_script()))
    assert answers == {status.value for status in LoginStatus}


def test_the_12_2_grants_are_exactly_what_erp_check_verifies():
    documented = {
        line.strip()
        for block in sql_blocks()
        for line in block.splitlines()
        if line.startswith("exec AD_ZD.GRANT_PRIVS")
    }
    expected = {grant_fix(grant, ACCOUNT).split(" 12.1: ")[0][6:] for grant in needed_grants()}
    assert documented == expected


def test_the_12_1_grants_are_exactly_what_erp_check_verifies():
    documented = {
        line.strip()
        for block in sql_blocks()
        for line in block.splitlines()
        if re.match(r"GRANT (SELECT|EXECUTE) ON apps\.", line)
    }
    expected = {grant_fix(grant, ACCOUNT).split(" 12.1: ")[1] for grant in needed_grants()}
    assert documented == expected


def test_the_documented_settings_exist():
    for name in ("ERP_AUTH_PACKAGE", "ORACLE_DRIVER_MODE", "ERP_FAILURE_WINDOW_HOURS"):
        assert name in ERP_PART
        assert hasattr(settings, name)
    assert "ERP_VALIDATE_FUNCTION" not in ERP_PART
