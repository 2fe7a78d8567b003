"""Record real Redmine answers for the client's unit tests.

    .venv/bin/python scripts/record_redmine_json.py [--out integrations/redmine/tests/data]

Talks to the test Redmine of ``scripts/redmine-server.sh`` (``var/redmine-test.env``, or
``REDMINE_TEST_URL`` and ``REDMINE_TEST_API_KEY`` in the environment) with the admin's key.
It creates a throwaway project and user, makes there what the recordings need, and
deletes both at the end (also on failure):

- an issue with journals: a public note, a private note sent together with a status
  change (Redmine stores it as two journals: the change with ``notes: null``/``""``,
  then the private note), and a change-only journal;
- a page of the issue list as the client asks for it (``status_id=*``, ``subproject_id=!*``,
  ``sort=updated_on,id``, ``updated_on=>=...Z``), limited to 2 of 3 issues;
- ``issue_statuses``, ``enumerations/issue_priorities``, ``users`` (locked ones too),
  ``users/current``;
- refusals: a 256-character subject (422), a missing issue (404), a wrong key (401),
  and Redmine's HTML home page (200, not JSON).

Each file is an envelope: the request, the status, the content type and the body (JSON
parsed, anything else as text). The API key is replaced by ``RECORDED-API-KEY``
everywhere; the rest is what Redmine answered.
"""

import argparse
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.redmine.testing import project_payload  # noqa: E402

ENV_FILE = ROOT / "var" / "redmine-test.env"
DEFAULT_OUT = ROOT / "integrations" / "redmine" / "tests" / "data"
PLACEHOLDER = "RECORDED-API-KEY"
TIMEOUT = 30


def settings() -> tuple[str, str]:
    values = {}
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                values[name.strip()] = value.strip()
    url = os.environ.get("REDMINE_TEST_URL") or values.get("REDMINE_TEST_URL", "")
    key = os.environ.get("REDMINE_TEST_API_KEY") or values.get("REDMINE_TEST_API_KEY", "")
    if not url or not key:
        sys.exit(
            f"no Redmine: set REDMINE_TEST_URL and REDMINE_TEST_API_KEY or start it ({ENV_FILE})"
        )
    return url.rstrip("/"), key


class Recorder:
    def __init__(self, url: str, key: str, out: Path):
        self.url, self.key, self.out = url, key, out
        self.session = requests.Session()
        self.session.headers["X-Redmine-API-Key"] = key

    def call(self, method: str, path: str, *, ok=(200, 201, 204), **kwargs) -> requests.Response:
        response = self.session.request(method, f"{self.url}{path}", timeout=TIMEOUT, **kwargs)
        if ok and response.status_code not in ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response

    def record(self, name: str, method: str, path: str, *, params=None, json_body=None, **kw):
        response = self.call(method, path, params=params, json=json_body, **kw)
        content_type = response.headers.get("Content-Type", "")
        try:
            body = response.json()
        except ValueError:
            body = response.text
        envelope = {
            "request": {"method": method.upper(), "path": path, "params": params or {}},
            "status": response.status_code,
            "content_type": content_type,
            "body": body,
        }
        if json_body is not None:
            envelope["request"]["json"] = json_body
        text = json.dumps(envelope, ensure_ascii=False, indent=2) + "\n"
        text = text.replace(self.key, PLACEHOLDER)
        (self.out / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"{name}.json: {method.upper()} {path} -> {response.status_code}")
        return body


def record_all(rec: Recorder) -> None:
    trackers = rec.call("GET", "/trackers.json").json()["trackers"]
    payload = project_payload("Recording", trackers, prefix="rec")
    identifier = payload["project"]["identifier"]
    project = rec.call("POST", "/projects.json", json=payload).json()["project"]
    user = None
    try:
        user = rec.call(
            "POST",
            "/users.json",
            json={
                "user": {
                    "login": f"ivanov-{identifier}",
                    "firstname": "Иван",
                    "lastname": "Иванов",
                    "mail": f"ivanov-{identifier}@example.com",
                    "password": uuid.uuid4().hex,
                }
            },
        ).json()["user"]
        since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
        issue = rec.call(
            "POST",
            "/issues.json",
            json={
                "issue": {
                    "project_id": project["id"],
                    "subject": "Не работает VPN",
                    "description": "Строка 1\r\nСтрока 2",
                    "assigned_to_id": 1,
                    # Later than today: Redmine refuses a due date before the start date,
                    # which it sets to today.
                    "due_date": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
                }
            },
        ).json()["issue"]
        path = f"/issues/{issue['id']}.json"
        rec.call("PUT", path, json={"issue": {"notes": "Смотрю"}})
        rec.call(
            "PUT",
            path,
            json={
                "issue": {
                    "status_id": 2,
                    "notes": "Внутреннее: перезагрузить шлюз",
                    "private_notes": True,
                }
            },
        )
        rec.call("PUT", path, json={"issue": {"priority_id": 3}})
        for subject in ("Принтер не печатает", "Сканер 🖨️"):
            rec.call(
                "POST",
                "/issues.json",
                json={"issue": {"project_id": project["id"], "subject": subject}},
            )

        rec.record("issue_with_journals", "GET", path, params={"include": "journals"})
        rec.record(
            "issues_page",
            "GET",
            "/issues.json",
            params={
                "project_id": project["id"],
                "subproject_id": "!*",
                "status_id": "*",
                "sort": "updated_on,id",
                "updated_on": f">={since.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                "limit": 2,
                "offset": 0,
            },
        )
        rec.record("issue_statuses", "GET", "/issue_statuses.json")
        rec.record("issue_priorities", "GET", "/enumerations/issue_priorities.json")
        rec.record("users", "GET", "/users.json", params={"status": "", "limit": 100, "offset": 0})
        rec.record("users_current", "GET", "/users/current.json")
        rec.record(
            "error_422_long_subject",
            "POST",
            "/issues.json",
            json_body={"issue": {"project_id": project["id"], "subject": "Я" * 256}},
            ok=(422,),
        )
        rec.record("error_404_issue", "GET", "/issues/999999999.json", ok=(404,))
        wrong_key = {"X-Redmine-API-Key": "0" * 40}
        rec.record(
            "error_401_wrong_key", "GET", "/users/current.json", headers=wrong_key, ok=(401,)
        )
        rec.record("html_home_page", "GET", "/", ok=(200,))
    finally:
        rec.call("DELETE", f"/projects/{project['id']}.json", ok=None)
        if user is not None:
            rec.call("DELETE", f"/users/{user['id']}.json", ok=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    url, key = settings()
    args.out.mkdir(parents=True, exist_ok=True)
    record_all(Recorder(url, key, args.out))


if __name__ == "__main__":
    main()
