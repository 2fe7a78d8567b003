"""Check the Oracle E-Business Suite connection, and optionally one user's sign-in."""

import sys
from getpass import getpass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.erp import ERPConfigError, ERPError, ERPProfile, ERPUnavailable, get_gateway

LABELS = {
    "dsn": "DSN",
    "client_lib_dir": "Client library dir",
    "connect_timeout": "Connect timeout (s)",
    "call_timeout": "Call timeout (s)",
    "pool_max": "Pool size (max)",
}


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


class Command(BaseCommand):
    help = (
        "Show the ERP configuration in effect, connect and report what the database says. "
        "With --user, also validate that user's password and show the ERP profile."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="ERP user name whose sign-in and profile to check")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input instead of prompting",
        )

    def handle(self, *args, user: str | None = None, password_stdin: bool = False, **options):
        if password_stdin and not user:
            raise CommandError("--password-stdin needs --user.")
        gateway = get_gateway()
        self._print_configuration(gateway)
        facts = self._call(gateway.check)
        self.stdout.write(self.style.SUCCESS("Connected."))
        self._print_rows(
            (_label(key), value) for key, value in facts.items() if "password" not in key.lower()
        )
        if user:
            self._check_user(gateway, user.strip(), self._read_password(user, password_stdin))

    def _print_configuration(self, gateway) -> None:
        self.stdout.write("Configuration in effect (the password is never shown):")
        rows = [("Gateway", settings.ERP_GATEWAY)]
        describe = getattr(gateway, "describe", None)
        if describe is not None:
            rows += [
                (_label(key), value)
                for key, value in describe().items()
                if "password" not in key.lower()
            ]
        self._print_rows(rows)

    def _print_rows(self, rows) -> None:
        for label, value in rows:
            shown = "(not set)" if value in ("", None) else value
            self.stdout.write(f"  {label + ':':<20} {shown}")

    def _call(self, method, *args):
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

    def _check_user(self, gateway, user: str, password: str) -> None:
        if not self._call(gateway.validate_login, user, password):
            raise CommandError(
                f"Invalid credentials for {user}: the ERP refused the sign-in (a wrong "
                "password, or an account that is not active: check its dates in FND_USER)."
            )
        self.stdout.write(self.style.SUCCESS(f"Credentials valid for {user}."))
        profile = self._call(gateway.get_profile, user)
        if profile is None:
            self.stdout.write(self.style.WARNING(f"The ERP has no profile for {user}."))
            return
        self._print_profile(profile)

    def _print_profile(self, profile: ERPProfile) -> None:
        active = profile.is_active_on(timezone.localdate())
        self._print_rows(
            [
                ("User name", profile.username),
                ("Name", profile.full_name),
                ("Email", profile.email),
                ("Employee number", profile.employee_number),
                ("Department", profile.department),
                ("Start date", profile.start_date),
                ("End date", profile.end_date),
                ("Active today", "yes" if active else "no"),
                ("Responsibilities", ", ".join(profile.responsibilities) or "none"),
            ]
        )
