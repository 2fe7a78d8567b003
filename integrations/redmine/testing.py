"""An in-memory Redmine for the unit tests: the client's interface, Redmine 5's JSON.

It behaves as Redmine 5.0.4 was seen to: closed issues only with ``status_id=*`` (the
client always asks for them), second-precise ``updated_on``, a private note sent with a
field change stored as two journals (the changes with ``notes: null``, then the note),
change-only journals with ``notes: ""``, descriptions with ``\\r\\n``, deleted issues
answering 404 and private ones 403, subjects over 255 characters refused (422).
The integration tests run the same scenarios against a real Redmine.
"""

import contextlib
import copy
import datetime as dt
import http.server
import itertools
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from integrations.redmine.client import (
    SUBJECT_MAX,
    RedmineForbidden,
    RedmineInvalid,
    RedmineNotFound,
    RedmineUnavailable,
    assignable_members,
    format_time,
    parse_time,
)

STATUSES = [
    {"id": 1, "name": "Новая", "is_closed": False},
    {"id": 2, "name": "В работе", "is_closed": False},
    {"id": 3, "name": "Решена", "is_closed": False},
    {"id": 5, "name": "Закрыта", "is_closed": True},
    {"id": 6, "name": "Отклонена", "is_closed": True},
]
PRIORITIES = [
    {"id": 1, "name": "Низкий", "is_default": False, "active": True},
    {"id": 2, "name": "Нормальный", "is_default": True, "active": True},
    {"id": 3, "name": "Высокий", "is_default": False, "active": True},
    {"id": 4, "name": "Срочный", "is_default": False, "active": True},
    {"id": 5, "name": "Немедленный", "is_default": False, "active": True},
]
ADMIN = {"id": 1, "login": "admin", "firstname": "Redmine", "lastname": "Admin", "admin": True}


class FakeRedmine:
    url = "http://redmine.test"

    def __init__(self) -> None:
        # An hour ago, to the second: stamps read now are settled (see pull._seen).
        self.clock = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        self.projects_by_id: dict[int, dict] = {}
        self.issues_by_id: dict[int, dict] = {}
        self.hidden: set[int] = set()
        self.users_by_id: dict[int, dict] = {1: dict(ADMIN, mail="admin@example.com")}
        self.ids = itertools.count(1)
        self.journal_ids = itertools.count(1)
        self.down = False
        self.fail_after: int | None = None
        self.calls: list[str] = []
        # Faults and limits of a real installation, switched on by the tests:
        self.admin = True  # the key's user is an administrator
        self.forbidden_projects: set[int] = set()  # archived, or the key lost access
        self.ignored_statuses: set[int] = set()  # the workflow drops these, silently
        self.lose_next_answer = False  # the next update is made, its answer lost
        # Project members {project id: {user id: [role ids]}}; a project not here takes
        # any assignee.
        self.members: dict[int, dict[int, list[int]]] = {}
        self.roles = {
            3: {"id": 3, "name": "Менеджер", "assignable": True},
            4: {"id": 4, "name": "Разработчик", "assignable": True},
            5: {"id": 5, "name": "Наблюдатель", "assignable": False},
        }

    # --- set-up -------------------------------------------------------------------------

    def tick(self) -> str:
        self.clock += dt.timedelta(seconds=1)
        return format_time(self.clock)

    def add_project(self, project_id: int, name: str, identifier: str = "") -> dict:
        project = {"id": project_id, "name": name, "identifier": identifier or name.lower()}
        self.projects_by_id[project_id] = project
        return project

    def add_user(self, user_id: int, login: str, mail: str = "", name: str = "") -> dict:
        first, _, last = (name or login).partition(" ")
        user = {"id": user_id, "login": login, "firstname": first, "lastname": last, "mail": mail}
        self.users_by_id[user_id] = user
        return user

    def _ref(self, user_id: int | None) -> dict | None:
        if user_id is None:
            return None
        user = self.users_by_id[user_id]
        return {"id": user_id, "name": f"{user['firstname']} {user['lastname']}".strip()}

    def add_issue(
        self,
        project_id: int,
        subject: str,
        *,
        description: str = "",
        status_id: int = 1,
        priority_id: int = 2,
        author_id: int = 1,
        assigned_to_id: int | None = None,
        due_date: str | None = None,
        notes: Sequence[tuple[int, str, bool]] = (),
        private: bool = False,
    ) -> dict:
        now = self.tick()
        issue: dict[str, Any] = {
            "id": next(self.ids),
            "project": {"id": project_id, "name": self.projects_by_id[project_id]["name"]},
            "tracker": {"id": 1, "name": "Ошибка"},
            "status": self._status(status_id),
            "priority": self._priority(priority_id),
            "author": self._ref(author_id),
            "assigned_to": self._ref(assigned_to_id),
            "subject": subject,
            "description": description.replace("\n", "\r\n"),
            "start_date": now[:10],
            "due_date": due_date,
            "done_ratio": 0,
            "is_private": private,
            "estimated_hours": None,
            "created_on": now,
            "updated_on": now,
            "closed_on": now if self._status(status_id)["is_closed"] else None,
            "journals": [],
        }
        if issue["assigned_to"] is None:
            del issue["assigned_to"]
        self.issues_by_id[issue["id"]] = issue
        for user_id, text, private in notes:
            self.change(issue["id"], user_id=user_id, notes=text, private_notes=private)
        return issue

    def _status(self, status_id: int) -> dict:
        found = next(s for s in STATUSES if s["id"] == status_id)
        return {"id": status_id, "name": found["name"], "is_closed": found["is_closed"]}

    def _priority(self, priority_id: int) -> dict:
        found = next(p for p in PRIORITIES if p["id"] == priority_id)
        return {"id": priority_id, "name": found["name"]}

    def _journal(
        self, issue: dict, user_id: int, notes: str | None, private: bool, details: list[dict]
    ) -> None:
        issue["journals"].append(
            {
                "id": next(self.journal_ids),
                "user": self._ref(user_id),
                "notes": notes,
                "created_on": format_time(self.clock),
                "private_notes": private,
                "details": details,
            }
        )

    def change(self, issue_id: int, *, user_id: int = 1, notes: str = "", **fields: Any) -> None:
        """Change an issue as a Redmine user would (fields by their API names)."""
        issue = self.issues_by_id[issue_id]
        private = fields.pop("private_notes", False)
        details = []
        for name, value in fields.items():
            old = self._value(issue, name)
            if str(old or "") == str(value or ""):
                continue
            details.append({"property": "attr", "name": name, "old_value": old, "new_value": value})
            self._set(issue, name, value)
        if not details and not notes:
            return
        issue["updated_on"] = self.tick()
        if any(d["name"] == "status_id" for d in details) and issue["status"]["is_closed"]:
            issue["closed_on"] = issue["updated_on"]  # as Redmine: the last closing
        if private and details and notes:
            self._journal(issue, user_id, None, False, details)
            self._journal(issue, user_id, notes, True, [])
        else:
            self._journal(issue, user_id, notes or "", private, details)

    @staticmethod
    def _value(issue: dict, name: str) -> Any:
        if name.endswith("_id"):
            key = {"assigned_to_id": "assigned_to"}.get(name, name[:-3])
            return (issue.get(key) or {}).get("id")
        return issue.get(name)

    def _set(self, issue: dict, name: str, value: Any) -> None:
        value = None if value == "" else value
        if name == "status_id":
            issue["status"] = self._status(int(value))
        elif name == "priority_id":
            issue["priority"] = self._priority(int(value))
        elif name == "assigned_to_id":
            if value is None:
                issue.pop("assigned_to", None)
            else:
                issue["assigned_to"] = self._ref(int(value))
        elif name == "project_id":
            project = self.projects_by_id[int(value)]
            issue["project"] = {"id": project["id"], "name": project["name"]}
        else:
            issue[name] = value

    def move(self, issue_id: int, project_id: int) -> None:
        """Redmine keeps the id; a journal with empty notes and a project_id detail."""
        self.change(issue_id, project_id=project_id)

    def delete(self, issue_id: int) -> None:
        del self.issues_by_id[issue_id]

    # --- the client's interface ---------------------------------------------------------

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down or (self.fail_after is not None and len(self.calls) > self.fail_after):
            raise RedmineUnavailable("Redmine cannot be reached (connection refused)")

    def current_user(self) -> dict:
        self._call("current_user")
        return dict(ADMIN, admin=self.admin)

    def projects(self) -> list[dict]:
        self._call("projects")
        return [dict(p) for p in self.projects_by_id.values()]

    def statuses(self) -> list[dict]:
        self._call("statuses")
        return copy.deepcopy(STATUSES)

    def priorities(self) -> list[dict]:
        self._call("priorities")
        return copy.deepcopy(PRIORITIES)

    def users(self) -> list[dict]:
        self._call("users")
        return copy.deepcopy(list(self.users_by_id.values()))

    def user(self, user_id: int) -> dict:
        self._call("user")
        if user_id not in self.users_by_id:
            raise RedmineNotFound("not found (404)", status=404)
        return copy.deepcopy(self.users_by_id[user_id])

    def issue(self, issue_id: int, *, journals: bool = True) -> dict:
        self._call("issue")
        if issue_id in self.hidden:
            raise RedmineForbidden("access denied (403)", status=403)
        if issue_id not in self.issues_by_id:
            raise RedmineNotFound("not found (404)", status=404)
        issue = copy.deepcopy(self.issues_by_id[issue_id])
        if not journals:
            del issue["journals"]
        return issue

    def issues(self, project_id: int, *, updated_since: dt.datetime | None = None) -> list[dict]:
        self._call("issues")
        if project_id in self.forbidden_projects:
            raise RedmineForbidden("access denied (403)", status=403)
        since = updated_since.replace(microsecond=0) if updated_since else None
        found = [
            issue
            for issue in self.issues_by_id.values()
            if issue["project"]["id"] == project_id
            and issue["id"] not in self.hidden
            and (since is None or _updated_on(issue) >= since)
        ]
        found.sort(key=lambda i: (i["updated_on"], i["id"]))
        return [{k: v for k, v in copy.deepcopy(i).items() if k != "journals"} for i in found]

    def issue_ids(self, project_id: int) -> set[int]:
        return {issue["id"] for issue in self.issues(project_id)}

    def memberships(self, project_id: int) -> list[dict]:
        self._call("memberships")
        return [
            {
                "id": index,
                "project": {"id": project_id},
                "user": self._ref(user_id),
                "roles": [{"id": rid, "name": self.roles[rid]["name"]} for rid in role_ids],
            }
            for index, (user_id, role_ids) in enumerate(self.members.get(project_id, {}).items())
        ]

    def role(self, role_id: int) -> dict:
        self._call("role")
        return dict(self.roles[role_id])

    def assignable_user_ids(self, project_id: int) -> set[int]:
        return assignable_members(self.memberships(project_id), self.role)

    def _assignable(self, issue_id: int, user_id: int | str | None) -> bool:
        members = self.members.get(self.issues_by_id[issue_id]["project"]["id"])
        if members is None or user_id in (None, ""):
            return True
        roles = members.get(int(user_id), [])
        return any(self.roles[rid]["assignable"] for rid in roles)

    def create_issue(self, **fields: Any) -> dict:
        self._call("create_issue")
        if len(fields.get("subject", "")) > SUBJECT_MAX:
            raise RedmineInvalid("refused: Тема слишком длинная", status=422)
        issue = self.add_issue(
            fields["project_id"],
            fields["subject"],
            description=fields.get("description", ""),
            # Like Redmine: a new issue takes its tracker's first status, whatever was asked.
            priority_id=fields.get("priority_id", 2),
            assigned_to_id=fields.get("assigned_to_id"),
        )
        return self.issue(issue["id"], journals=False)

    def update_issue(self, issue_id: int, **fields: Any) -> None:
        self._call("update_issue")
        if issue_id not in self.issues_by_id:
            raise RedmineNotFound("not found (404)", status=404)
        if fields.get("status_id") in self.ignored_statuses:
            del fields["status_id"]
        if "assigned_to_id" in fields and not self._assignable(issue_id, fields["assigned_to_id"]):
            raise RedmineInvalid("refused: Назначена is invalid", status=422)
        if fields.get("private_notes") and not self.admin:
            fields["private_notes"] = False  # as Redmine does without the permission
        self.change(issue_id, user_id=1, **fields)
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise RedmineUnavailable("Redmine did not answer in time (read timeout)")


def _updated_on(issue: dict) -> dt.datetime:
    stamp = parse_time(issue["updated_on"])
    if stamp is None:  # the fake stamps every issue it keeps
        raise ValueError(f"issue #{issue['id']} has no updated_on")
    return stamp


def project_payload(name: str, trackers: list[dict], prefix: str = "t") -> dict:
    """``POST /projects.json`` of a throwaway project with every tracker and issue
    tracking (the real-Redmine tests, the benchmark and the recordings make them)."""
    identifier = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return {
        "project": {
            "name": f"{name} {identifier}",
            "identifier": identifier,
            "tracker_ids": [tracker["id"] for tracker in trackers],
            "enabled_module_names": ["issue_tracking"],
        }
    }


class _Handler(http.server.BaseHTTPRequestHandler):
    """Redmine's REST reads over HTTP, answered from a ``FakeRedmine``."""

    fake: FakeRedmine
    delay: float = 0.0

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            body = self._answer(url.path, query)
        except (RedmineNotFound, RedmineForbidden) as exc:
            self.send_error(exc.status or 404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, path: str, query: dict) -> dict:
        fake = self.fake
        if path == "/users/current.json":
            return {"user": fake.current_user()}
        if path == "/issue_statuses.json":
            return {"issue_statuses": fake.statuses()}
        if path == "/enumerations/issue_priorities.json":
            return {"issue_priorities": fake.priorities()}
        if path == "/users.json":
            return {"users": fake.users()}
        if path == "/projects.json":
            return {"projects": fake.projects()}
        if path == "/issues.json":
            since = query.get("updated_on", "").removeprefix(">=")
            issues = fake.issues(int(query["project_id"]), updated_since=parse_time(since or None))
            return {"issues": issues}
        if path.startswith("/issues/"):
            time.sleep(self.delay)
            issue_id = int(path.removeprefix("/issues/").removesuffix(".json"))
            return {"issue": fake.issue(issue_id, journals="include" in query)}
        if path.startswith("/projects/") and path.endswith("/memberships.json"):
            project_id = int(path.split("/")[2])
            return {"memberships": fake.memberships(project_id)}
        if path.startswith("/roles/"):
            return {"role": fake.role(int(path.removeprefix("/roles/").removesuffix(".json")))}
        raise RedmineNotFound("not found (404)", status=404)


@contextlib.contextmanager
def served_over_http(fake: FakeRedmine, *, delay: float = 0.0) -> Iterator[str]:
    """Serve ``fake``'s reads on a loopback port (each issue read taking ``delay``
    seconds), for a pull running in another process; yields its URL."""
    handler = type("Handler", (_Handler,), {"fake": fake, "delay": delay})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
