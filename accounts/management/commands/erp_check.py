"""Check the Oracle E-Business Suite connection, and optionally one user's sign-in."""

import sys
from argparse import ArgumentParser
from collections.abc import Callable, Iterable
from getpass import getpass
from typing import Any, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.erp import (
    ERPConfigError,
    ERPError,
    ERPGateway,
    ERPProfile,
    ERPUnavailable,
    LoginStatus,
    get_gateway,
)

_T = TypeVar("_T")

LABELS = {
    "dsn": "DSN",
    "client_lib_dir": "Client library dir",
    "connect_timeout": "Connect timeout (s)",
    "call_timeout": "Call timeout (s)",
    "pool_max": "Pool size (max)",
    "mode": "Driver mode",
    "database_time": "Database time",
    "failure_limit": "EBS failure limit",
}
# Listed on their own, not as facts.
REPORT_KEYS = ("grants", "missing", "warnings", "failure_limit")

STATUS_TEXT = {
    LoginStatus.WRONG: "the password is wrong (EBS counted a failure)",
    LoginStatus.UNKNOWN: "EBS has no such user",
    LoginStatus.INACTIVE: "the account is end-dated or not started yet (FND_USER dates)",
    LoginStatus.LOCKED: (
        "the account is locked after too many wrong passwords (its stored password is "
        "INVALID): an EBS administrator must reset it"
    ),
    LoginStatus.EXPIRED: "the password is right but has expired: change it in EBS",
    LoginStatus.RESET: (
        "the password is right but was reset by an administrator: change it in EBS"
    ),
    LoginStatus.EXTERNAL: (
        "the account signs in through single sign-on (USER_GUID set or password EXTERNAL): "
        "this backend cannot check it; such sites need SSO in front of Helpdesk"
    ),
}


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def grant_fix(grant: str, account: str) -> str:
    """The statements that give ``account`` this grant on EBS 12.2 and 12.1."""
    privilege, _on, name = grant.split(" ", 2)
    bare = name.split(".")[-1]
    return (
        f"12.2: exec AD_ZD.GRANT_PRIVS('{privilege}', '{bare}', '{account.upper()}'); "
        f"12.1: GRANT {privilege} ON {name.lower()} TO {account.lower()};"
    )


class Command(BaseCommand):
    help = (
        "Show the ERP configuration in effect, connect, verify every grant the gateway "
        "needs and report what the database says. With --user, also check that user's "
        "password and show the ERP profile."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help="ERP user name whose sign-in and profile to check")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input instead of prompting",
        )

    def handle(
        self,
        *args: Any,
        user: str | None = None,
        password_stdin: bool = False,
        **options: Any,
    ) -> None:
        if password_stdin and not user:
            raise CommandError("--password-stdin needs --user.")
        gateway = get_gateway()
        self._print_configuration(gateway)
        facts = self._call(gateway.check)
        self.stdout.write(self.style.SUCCESS("Connected."))
        self._print_rows(
            (_label(key), value)
            for key, value in facts.items()
            if key not in REPORT_KEYS and "password" not in key.lower()
        )
        self._print_grants(facts)
        self._print_failure_limit(facts)
        for warning in facts.get("warnings", ()):
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if facts.get("missing"):
            raise CommandError(
                f"{len(facts['missing'])} grant(s) missing: " + "; ".join(facts["missing"])
            )
        if user:
            self._check_user(gateway, user.strip(), self._read_password(user, password_stdin))

    def _print_configuration(self, gateway: ERPGateway) -> None:
        self.stdout.write("Configuration in effect (the password is never shown):")
        rows = [("Gateway", settings.ERP_GATEWAY)]
        describe = getattr(gateway, "describe", None)
        if describe is not None:
            rows += [
                (_label(key), value)
                for key, value in describe().items()
                if "password" not in key.lower()
            ]
        rows.append(("Failure window (h)", settings.ERP_FAILURE_WINDOW_HOURS))
        self._print_rows(rows)

    def _print_rows(self, rows: Iterable[tuple[str, Any]]) -> None:
        for label, value in rows:
            shown = "(not set)" if value in ("", None) else value
            self.stdout.write(f"  {label + ':':<20} {shown}")

    def _print_grants(self, facts: dict) -> None:
        grants = facts.get("grants") or {}
        if not grants:
            return
        account = facts.get("user") or "the service account"
        self.stdout.write("Grants the gateway needs:")
        for grant, error in grants.items():
            if not error:
                self.stdout.write(f"  ok       {grant}")
                continue
            self.stdout.write(self.style.ERROR(f"  MISSING  {grant} ({error})"))
            if grant.startswith("EXECUTE"):
                self.stdout.write(
                    "           create the wrapper package of docs/integrations.md as APPS, "
                    "then grant it: " + grant_fix(grant, account)
                )
            elif error == "no rows visible":
                self.stdout.write(f"           check ERP_SCHEMA; {grant_fix(grant, account)}")
            else:
                self.stdout.write(f"           {grant_fix(grant, account)}")

    def _print_failure_limit(self, facts: dict) -> None:
        if "failure_limit" not in facts or facts.get("missing"):
            return
        limit = facts["failure_limit"]
        window = settings.ERP_FAILURE_WINDOW_HOURS
        if limit is None:
            text = "not set: EBS never locks an account; Helpdesk's own sign-in lockout applies"
        elif limit <= 1:
            text = f"{limit}: EBS locks at the first wrong password, so Helpdesk checks none"
            self.stdout.write(
                self.style.WARNING(
                    "Warning: SIGNON_PASSWORD_FAILURE_LIMIT is 1: ERP users cannot sign in "
                    "here. Raise it to 3 or more."
                )
            )
        else:
            text = (
                f"{limit} (SIGNON_PASSWORD_FAILURE_LIMIT): Helpdesk lets through at most "
                f"{limit - 1} wrong password(s) per user in {window} h"
            )
        self._print_rows([(_label("failure_limit"), text)])

    def _call(self, method: Callable[..., _T], *args: Any) -> _T:
        try:
            return method(*args)
        except ERPError as exc:
            if isinstance(exc, ERPUnavailable):
                kind = "ERP unavailable, try again later"
            elif isinstance(exc, ERPConfigError):
                kind = "ERP configuration error"
            else:
                kind = "ERP error"
            reason = str(exc)
            if exc.code and exc.code not in reason:
                reason = f"{reason} [{exc.code}]"
            raise CommandError(f"{kind}: {reason}") from exc

    def _read_password(self, user: str, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass(f"ERP password for {user}: ")
        if not password:
            raise CommandError("No password given.")
        return password

    def _check_user(self, gateway: ERPGateway, user: str, password: str) -> None:
        status = self._call(gateway.check_login, user, password)
        if status is LoginStatus.VALID:
            self.stdout.write(self.style.SUCCESS(f"Credentials valid for {user}."))
        elif status is LoginStatus.INACTIVE:
            self.stdout.write(self.style.WARNING(f"{user}: {STATUS_TEXT[status]}."))
        else:
            raise CommandError(f"Sign-in of {user} refused [{status}]: {STATUS_TEXT[status]}.")
        profile = self._call(gateway.get_profile, user)
        if profile is None:
            self.stdout.write(self.style.WARNING(f"The ERP has no profile for {user}."))
            return
        self._print_profile(profile)

    def _print_profile(self, profile: ERPProfile) -> None:
        active = profile.is_active_on(timezone.localdate())
        worker = {None: "no person linked", True: "yes", False: "no (terminated)"}
        self._print_rows(
            [
                ("User name", profile.username),
                ("Name", profile.full_name),
                ("Middle name", profile.middle_name),
                ("Email", profile.email),
                ("Employee number", profile.employee_number),
                ("Department", profile.department),
                ("Current worker", worker[profile.current_worker]),
                ("Start date", profile.start_date),
                ("End date", profile.end_date),
                ("Active today", "yes" if active else "no"),
                ("Responsibilities", ", ".join(profile.responsibilities) or "none"),
            ]
        )
