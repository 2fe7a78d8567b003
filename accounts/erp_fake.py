"""A stand-in ERP for tests, demos and trying the sign-in without Oracle.

Enabled with ``ERP_GATEWAY=accounts.erp_fake.FakeERPGateway``; its directory is the JSON
file named by ``ERP_FAKE_DIRECTORY``, read on every call so a test (or a browser test's
server in another process) sees changes at once. ``FakeDirectory`` writes it::

    {"down": false, "failure_limit": 3, "time_zone": "Europe/Moscow",
     "users": {"IVANOV": {
        "password": "...", "first_name": "Иван", "middle_name": "Иванович",
        "last_name": "Иванов", "email": "ivanov@example.com", "employee_number": "1001",
        "department": "Бухгалтерия", "department_tl": {"US": "Accounting"},
        "current_worker": true, "start_date": "2020-01-01", "end_date": null,
        "password_date": "2026-01-10", "password_lifespan_days": 90,
        "password_lifespan_accesses": null, "password_accesses_left": null,
        "user_guid": null, "failed_logins": 0, "checks": 0,
        "grants": [{"key": "XX_HELPDESK_AGENT", "start_date": "2020-01-01",
                    "end_date": null, "indirect": false,
                    "updated_at": "2026-11-01T10:00:00"}],
        "updated_at": "2026-11-01T10:00:00"}}}

It behaves as EBS and the wrapper package of docs/integrations.md do: a wrong password
is counted (``failed_logins``) and at ``failure_limit`` the stored password becomes
``INVALID`` (locked); ``password_date`` null means reset by an administrator; a
``user_guid`` or the password ``EXTERNAL`` means single sign-on. Times are the ERP's own
wall clock (``time_zone``), without a zone, as EBS stores them; a user's ``updated_at``
changes only with the user's own fields, a grant's with the grant. ``"down": true`` makes
every call fail like an unreachable ERP; ``"down": "config"`` like a refused service
account.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.erp import ERPConfigError, ERPProfile, ERPUnavailable, LoginStatus, erp_language

PROFILE_FIELDS = (
    "email",
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "employee_number",
)
# Fields of the FND_USER and person rows: changing one stamps the user's updated_at.
USER_FIELDS = (
    *PROFILE_FIELDS,
    "department",
    "department_tl",
    "current_worker",
    "start_date",
    "end_date",
    "password",
    "password_date",
    "password_lifespan_days",
    "password_lifespan_accesses",
    "password_accesses_left",
    "user_guid",
)
LONG_AGO = dt.date(2000, 1, 1).isoformat()


def erp_now(data: dict) -> dt.datetime:
    """The fake ERP's clock: wall-clock time in its time zone, without the zone."""
    zone = ZoneInfo(data.get("time_zone") or settings.TIME_ZONE)
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _passed(day: str | None, since: dt.datetime, until: dt.datetime) -> bool:
    """Whether midnight of ``day`` (when an FND date takes effect) is in (since, until]."""
    moment = _moment(day)
    return moment is not None and since < moment <= until


class FakeERPGateway:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.ERP_FAKE_DIRECTORY)
        self._raw: bytes | None = None
        self._data: dict = {}

    def _load(self) -> dict:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = b"{}"
        if raw != self._raw:  # parsed once per content: the directory may be large
            self._data, self._raw = json.loads(raw.decode("utf-8")), raw
        data = self._data
        if data.get("down") == "config":
            raise ERPConfigError("service account refused", code="ORA-01017")
        if data.get("down"):
            raise ERPUnavailable("cannot connect", code="DPY-6005")
        return data

    def _users(self, data: dict) -> dict:
        return {name.upper(): entry for name, entry in data.get("users", {}).items()}

    def _save(self, data: dict) -> None:
        self.path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")

    # --- sign-in --------------------------------------------------------------------

    def check_login(self, username: str, password: str) -> LoginStatus:
        data = self._load()
        name = username.strip().upper()
        entry = data.get("users", {}).get(name)
        today = erp_now(data).date()
        if entry is None:
            return LoginStatus.UNKNOWN
        if not self._profile(name, entry, today).is_active_on(today):
            return LoginStatus.INACTIVE
        if entry.get("password") == "INVALID":
            return LoginStatus.LOCKED
        if entry.get("password") == "EXTERNAL" or entry.get("user_guid"):
            return LoginStatus.EXTERNAL
        # A copy to change and write back (_load() above read the raw file).
        data = json.loads(cast(bytes, self._raw))
        entry = data["users"][name]
        entry["checks"] = entry.get("checks", 0) + 1
        if not password or entry.get("password") != password:
            entry["failed_logins"] = entry.get("failed_logins", 0) + 1
            limit = data.get("failure_limit")
            if limit and entry["failed_logins"] >= limit:
                entry["password"] = "INVALID"  # noqa: S105 - EBS's mark of a locked account
            self._save(data)
            return LoginStatus.WRONG
        self._save(data)
        return self._password_status(entry, today)

    @staticmethod
    def _password_status(entry: dict, today: dt.date) -> LoginStatus:
        changed = _day(entry.get("password_date"))
        if changed is None:
            return LoginStatus.RESET
        days = entry.get("password_lifespan_days")
        if days and changed + dt.timedelta(days=days) < today:
            return LoginStatus.EXPIRED
        accesses = entry.get("password_lifespan_accesses")
        if accesses and (entry.get("password_accesses_left") or 0) < 1:
            return LoginStatus.EXPIRED
        return LoginStatus.VALID

    def failure_limit(self) -> int | None:
        return self._load().get("failure_limit")

    # --- profiles -------------------------------------------------------------------

    @staticmethod
    def _profile(name: str, entry: dict, today: dt.date, language: str = "") -> ERPProfile:
        department = (entry.get("department_tl") or {}).get(erp_language(language))
        return ERPProfile(
            username=name,
            **{key: entry.get(key) or "" for key in PROFILE_FIELDS},
            department=department or entry.get("department") or "",
            start_date=_day(entry.get("start_date")),
            end_date=_day(entry.get("end_date")),
            responsibilities=tuple(
                sorted(
                    {
                        grant["key"]
                        for grant in entry.get("grants", ())
                        if (_day(grant.get("start_date")) or today) <= today
                        and today < (_day(grant.get("end_date")) or dt.date.max)
                    }
                )
            ),
            current_worker=entry.get("current_worker", True),
        )

    def get_profile(self, username: str, *, language: str = "") -> ERPProfile | None:
        name = username.strip().upper()
        return self.profiles([name], language=language).get(name)

    def profiles(self, usernames: Iterable[str], *, language: str = "") -> dict[str, ERPProfile]:
        data = self._load()
        users = self._users(data)
        today = erp_now(data).date()
        found = {}
        for name in {username.strip().upper() for username in usernames}:
            entry = users.get(name)
            if entry is not None:
                found[name] = self._profile(name, entry, today, language)
        return found

    # --- the directory sync ---------------------------------------------------------

    def now(self) -> dt.datetime:
        return erp_now(self._load())

    def changed_usernames(self, since: dt.datetime, until: dt.datetime) -> set[str]:
        changed = set()
        for name, entry in self._users(self._load()).items():
            updated = _moment(entry.get("updated_at"))
            if updated is None or since <= updated <= until:
                changed.add(name)
                continue
            for grant in entry.get("grants", ()):
                stamped = _moment(grant.get("updated_at"))
                if (stamped is not None and since <= stamped <= until) or any(
                    _passed(grant.get(key), since, until) for key in ("start_date", "end_date")
                ):
                    changed.add(name)
                    break
        return changed

    def check(self) -> dict:
        data = self._load()
        return {
            "mode": "fake",
            "directory": str(self.path),
            "users": len(data.get("users", {})),
            "failure_limit": data.get("failure_limit"),
            "grants": {},
            "missing": [],
            "warnings": [],
        }


class FakeDirectory:
    """Writes the fake ERP's directory file: what tests and demos use to set it up."""

    def __init__(self, path: str | Path, *, failure_limit: int | None = None):
        self.path = Path(path)
        self.data: dict = {"down": False, "failure_limit": failure_limit, "users": {}}
        self._batching = False
        self._save()

    def _save(self) -> None:
        if not self._batching:
            self.path.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), "utf-8")

    def reload(self) -> dict:
        """What the fake ERP wrote back (failure counts, locks)."""
        self.data = json.loads(self.path.read_text("utf-8"))
        return self.data

    @contextmanager
    def batch(self) -> Iterator[FakeDirectory]:
        """Write the file once at the end (for thousands of users)."""
        self._batching = True
        try:
            yield self
        finally:
            self._batching = False
            self._save()

    def now(self) -> dt.datetime:
        return erp_now(self.data)

    def stamp(self) -> str:
        return self.now().isoformat()

    @staticmethod
    def _iso(fields: dict) -> dict:
        return {
            key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in fields.items()
        }

    def add(
        self,
        username: str,
        password: str,
        *,
        responsibilities: Iterable[str] = (),
        **fields: Any,
    ) -> dict:
        """Add or replace an ERP user; dates as ISO strings or ``datetime.date``; each of
        ``responsibilities`` becomes a direct grant."""
        stamp = self.stamp()
        entry = {
            "password": password,
            "start_date": LONG_AGO,
            "password_date": self.now().date().isoformat(),
            "failed_logins": 0,
            "checks": 0,
            "grants": [
                {"key": key, "start_date": LONG_AGO, "end_date": None, "indirect": False}
                for key in responsibilities
            ],
            **self._iso(fields),
        }
        for grant in entry["grants"]:
            grant.setdefault("updated_at", stamp)
        entry.setdefault("updated_at", stamp)
        self.data["users"][username.upper()] = entry
        self._save()
        return entry

    def entry(self, username: str) -> dict:
        return self.data["users"][username.upper()]

    def change(
        self, username: str, *, responsibilities: Iterable[str] | None = None, **fields: Any
    ) -> None:
        """Change an ERP user as EBS would: user fields stamp the user; a new list of
        ``responsibilities`` ends the direct grants left out and adds the new ones, each
        stamping only its grant."""
        entry = self.entry(username)
        fields = self._iso(fields)
        if any(entry.get(key) != value for key, value in fields.items() if key in USER_FIELDS):
            entry["updated_at"] = self.stamp()
        entry.update(fields)
        if responsibilities is not None:
            wanted = set(responsibilities)
            current = {
                grant["key"]
                for grant in entry["grants"]
                if not grant["indirect"] and not grant.get("end_date")
            }
            for key in current - wanted:
                self.revoke(username, key)
            for key in wanted - current:
                self.grant(username, key)
        self._save()

    def grant(
        self,
        username: str,
        key: str,
        *,
        start_date: dt.date | str | None = None,
        end_date: dt.date | str | None = None,
        indirect: bool = False,
        stamp: str | None = None,
    ) -> dict:
        """Grant a responsibility (through a role when ``indirect``)."""
        grant = {
            "key": key,
            "start_date": start_date or LONG_AGO,
            "end_date": end_date,
            "indirect": indirect,
            "updated_at": stamp or self.stamp(),
        }
        grant = self._iso(grant)
        self.entry(username)["grants"].append(grant)
        self._save()
        return grant

    def revoke(self, username: str, key: str, *, indirect: bool | None = None) -> None:
        """End-date a responsibility today, as the Define User form does."""
        for grant in self.entry(username)["grants"]:
            open_grant = grant["key"] == key and not grant.get("end_date")
            if open_grant and (indirect is None or grant["indirect"] == indirect):
                grant["end_date"] = self.now().date().isoformat()
                grant["updated_at"] = self.stamp()
        self._save()

    def set_down(self, down: bool | str = True) -> None:
        """True: unreachable; "config": the service account is refused; False: up."""
        self.data["down"] = down
        self._save()

    def set_failure_limit(self, limit: int | None) -> None:
        """EBS's SIGNON_PASSWORD_FAILURE_LIMIT (None: never locks)."""
        self.data["failure_limit"] = limit
        self._save()

    def set_time_zone(self, zone: str) -> None:
        """The ERP database server's time zone: its clock and stamps follow it."""
        self.data["time_zone"] = zone
        self._save()
