"""A stand-in ERP for tests, demos and trying the sign-in without Oracle.

Enabled with ``ERP_GATEWAY=accounts.erp_fake.FakeERPGateway``; its directory is the JSON
file named by ``ERP_FAKE_DIRECTORY``, read on every call so a test (or a browser test's
server in another process) sees changes at once::

    {"down": false,
     "users": {"IVANOV": {"password": "...", "first_name": "Иван", "last_name": "Иванов",
                          "email": "ivanov@example.com", "employee_number": "1001",
                          "department": "IT", "start_date": "2020-01-01",
                          "end_date": null, "responsibilities": ["XX_HELPDESK_AGENT"],
                          "updated_at": "2026-11-01T10:00:00+00:00"}}}

``"down": true`` makes every call fail like an unreachable ERP; ``"down": "config"``
like a refused service account.
"""

import datetime as dt
import json
from pathlib import Path

from django.conf import settings

from accounts.erp import ERPConfigError, ERPProfile, ERPUnavailable

PROFILE_FIELDS = ("email", "first_name", "last_name", "full_name", "employee_number", "department")


class FakeERPGateway:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.ERP_FAKE_DIRECTORY)

    def _directory(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        if data.get("down") == "config":
            raise ERPConfigError("service account refused", code="ORA-01017")
        if data.get("down"):
            raise ERPUnavailable("cannot connect", code="DPY-6005")
        return {name.upper(): entry for name, entry in data.get("users", {}).items()}

    def validate_login(self, username: str, password: str) -> bool:
        entry = self._directory().get(username.strip().upper())
        return bool(entry and password and entry.get("password") == password)

    @staticmethod
    def _profile(name: str, entry: dict) -> ERPProfile:
        def day(value):
            return dt.date.fromisoformat(value) if value else None

        return ERPProfile(
            username=name,
            **{key: entry.get(key) or "" for key in PROFILE_FIELDS},
            start_date=day(entry.get("start_date")),
            end_date=day(entry.get("end_date")),
            responsibilities=tuple(entry.get("responsibilities", ())),
        )

    def get_profile(self, username: str) -> ERPProfile | None:
        name = username.strip().upper()
        entry = self._directory().get(name)
        return self._profile(name, entry) if entry is not None else None

    def responsibilities(self, username: str) -> list[str]:
        profile = self.get_profile(username)
        return sorted(profile.responsibilities) if profile else []

    def users_changed_since(self, since: dt.datetime) -> list[ERPProfile]:
        changed = []
        for name, entry in self._directory().items():
            updated = entry.get("updated_at")
            if updated is None or dt.datetime.fromisoformat(updated) >= since:
                changed.append(self._profile(name, entry))
        return changed

    def check(self) -> dict:
        return {"mode": "fake", "directory": str(self.path), "users": len(self._directory())}


class FakeDirectory:
    """Writes the fake ERP's directory file: what tests and demos use to set it up."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.data: dict = {"down": False, "users": {}}
        self._save()

    def _save(self) -> None:
        self.path.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), "utf-8")

    def add(self, username: str, password: str, **fields) -> dict:
        """Add or replace an ERP user; dates as ISO strings or ``datetime.date``."""
        entry = {"password": password, "start_date": "2000-01-01", **fields}
        for key, value in entry.items():
            if isinstance(value, dt.date):
                entry[key] = value.isoformat()
        entry.setdefault("updated_at", dt.datetime.now(dt.UTC).isoformat())
        self.data["users"][username.upper()] = entry
        self._save()
        return entry

    def change(self, username: str, **fields) -> None:
        """Change an ERP user as EBS would: the change is stamped with the time."""
        current = dict(self.data["users"][username.upper()])
        current.pop("updated_at", None)
        password = current.pop("password")
        self.add(username, password, **{**current, **fields})

    def set_down(self, down: bool | str = True) -> None:
        """True: unreachable; "config": the service account is refused; False: up."""
        self.data["down"] = down
        self._save()
