"""A Redmine REST client over python-redmine, with enforced timeouts and typed errors.

python-redmine 2.5.0 ignores a ``timeout`` passed in its ``requests`` options and lets
connection errors out as raw ``requests`` exceptions; the engine below puts a timeout on
every request and turns those into ``RedmineUnavailable``. Reads return Redmine's JSON as
dicts: its datetimes stay explicit UTC ("...Z") and a page of 100 issues costs no
resource objects. python-redmine's own errors become:

- ``RedmineUnavailable`` (transient: connection, timeout, 5xx, a page that is not JSON):
  try again later;
- ``RedmineRefused`` (permanent) and its kinds ``RedmineAuthError`` (401),
  ``RedmineForbidden`` (403), ``RedmineNotFound`` (404), ``RedmineInvalid`` (422, with
  Redmine's messages): retrying the same request will not help.
"""

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import requests
from django.conf import settings
from redminelib import Redmine, exceptions
from redminelib.engines.sync import SyncEngine

# Redmine answers 256-character subjects with 422.
SUBJECT_MAX = 255
PAGE = 100
LIST_ATTEMPTS = 3

P = ParamSpec("P")
R = TypeVar("R")


class RedmineError(Exception):
    transient = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RedmineUnavailable(RedmineError):
    transient = True


class RedmineRefused(RedmineError):
    pass


class RedmineNotConfigured(RedmineRefused):
    pass


class RedmineAuthError(RedmineRefused):
    pass


class RedmineForbidden(RedmineRefused):
    pass


class RedmineNotFound(RedmineRefused):
    pass


class RedmineInvalid(RedmineRefused):
    pass


class TimeoutEngine(SyncEngine):
    """python-redmine's blocking engine with a (connect, read) timeout on every request."""

    timeout: tuple[float, float] = (5.0, 15.0)

    def request(
        self,
        method: str,
        url: str,
        headers: dict | None = None,
        params: dict | None = None,
        data: dict | None = None,
    ) -> Any:
        kwargs = self.construct_request_kwargs(method, headers, params, data)
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise RedmineUnavailable(f"Redmine did not answer in time ({exc})") from exc
        except requests.RequestException as exc:
            raise RedmineUnavailable(f"Redmine cannot be reached ({exc})") from exc
        return self.process_response(response)

    def process_response(self, response: requests.Response) -> Any:
        try:
            answer = super().process_response(response)
        except ValueError as exc:  # a body that is not JSON where JSON was due
            if response.status_code == 422:
                raise RedmineInvalid(f"refused (422): {response.text[:200]}", status=422) from exc
            raise RedmineUnavailable("Redmine answered with something other than JSON") from exc
        if response.request.method == "GET" and not isinstance(answer, dict):
            raise RedmineUnavailable("Redmine gave an empty answer")
        return answer


def _translate(call: Callable[P, R]) -> Callable[P, R]:
    """python-redmine's exceptions as ours."""

    @functools.wraps(call)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except RedmineError:
            raise
        except exceptions.AuthError as exc:
            raise RedmineAuthError("the API key was refused (401)", status=401) from exc
        except exceptions.ForbiddenError as exc:
            raise RedmineForbidden("access denied (403)", status=403) from exc
        except exceptions.ResourceNotFoundError as exc:
            raise RedmineNotFound("not found (404)", status=404) from exc
        except exceptions.ValidationError as exc:
            raise RedmineInvalid(f"refused: {exc}", status=422) from exc
        except exceptions.ServerError as exc:
            raise RedmineUnavailable("Redmine failed (500)", status=500) from exc
        except exceptions.JSONDecodeError as exc:
            raise RedmineUnavailable("Redmine answered with something other than JSON") from exc
        except exceptions.UnknownError as exc:
            status = getattr(exc, "status_code", None)
            if status is not None and (status >= 500 or status in (408, 429)):
                raise RedmineUnavailable(f"Redmine failed ({status})", status=status) from exc
            raise RedmineRefused(f"Redmine refused the request ({status})", status=status) from exc
        except exceptions.BaseRedmineError as exc:
            raise RedmineRefused(f"{type(exc).__name__}: {exc}") from exc
        except (KeyError, TypeError, AttributeError) as exc:
            # JSON, but not what Redmine gives (a proxy's page, another application).
            raise RedmineUnavailable(f"Redmine gave an unexpected answer ({exc!r})") from exc

    return wrapper


def parse_time(value: str | None) -> dt.datetime | None:
    """Redmine's UTC timestamps ("2026-11-28T10:00:00Z")."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RedmineClient:
    def __init__(
        self, url: str | None = None, key: str | None = None, *, timeout: float | None = None
    ) -> None:
        self.url = (url if url is not None else settings.REDMINE_URL).rstrip("/")
        key = key if key is not None else settings.REDMINE_API_KEY
        if not self.url or not key:
            raise RedmineNotConfigured("REDMINE_URL and REDMINE_API_KEY are not both set")
        seconds = timeout if timeout is not None else settings.REDMINE_TIMEOUT
        engine = type("Engine", (TimeoutEngine,), {"timeout": (min(5.0, seconds), seconds)})
        self.redmine = Redmine(
            self.url,
            key=key,
            engine=engine,
            requests={"verify": settings.REDMINE_VERIFY_TLS},
        )

    def _get(self, path: str, **params: Any) -> dict:
        return self.redmine.engine.request("get", f"{self.url}{path}", params=params)

    def _all(self, path: str, container: str, **params: Any) -> list[dict]:
        """Every page of a list, by 100. A list read page by page shifts when an item
        changes meanwhile (sorted by ``updated_on`` it moves to the end; deleted, the
        rest move up): one item is read twice and another not at all. So the total must
        stay the same from page to page and the pages must add up to it, or the list is
        read again; a list that keeps moving is given up on as unavailable."""
        for _attempt in range(LIST_ATTEMPTS):
            found: dict = {}
            offset, totals = 0, set()
            while True:
                page = self._get(path, **params, offset=offset, limit=PAGE)
                items = page[container]
                if "total_count" not in page:
                    return items  # not paged by Redmine: the whole list
                totals.add(page["total_count"])
                found.update((item["id"], item) for item in items)
                offset += PAGE
                if not items or offset >= page["total_count"]:
                    break
            if len(totals) == 1 and len(found) == totals.pop():
                return list(found.values())
        raise RedmineUnavailable(f"the list {path} kept changing while it was read")

    # --- reads --------------------------------------------------------------------------

    @_translate
    def current_user(self) -> dict:
        return self._get("/users/current.json")["user"]

    @_translate
    def projects(self) -> list[dict]:
        return self._all("/projects.json", "projects")

    @_translate
    def statuses(self) -> list[dict]:
        return self._get("/issue_statuses.json")["issue_statuses"]

    @_translate
    def priorities(self) -> list[dict]:
        return self._get("/enumerations/issue_priorities.json")["issue_priorities"]

    @_translate
    def users(self) -> list[dict]:
        """Every user, locked ones too (the default list leaves them out); needs an
        administrator's key."""
        return self._all("/users.json", "users", status="")

    @_translate
    def user(self, user_id: int) -> dict:
        return self._get(f"/users/{user_id}.json")["user"]

    @_translate
    def issue(self, issue_id: int, *, journals: bool = True) -> dict:
        params = {"include": "journals"} if journals else {}
        return self._get(f"/issues/{issue_id}.json", **params)["issue"]

    @_translate
    def issues(self, project_id: int, *, updated_since: dt.datetime | None = None) -> list[dict]:
        """A project's issues, closed ones too, without its subprojects' issues, oldest
        change first (journals are only given per issue)."""
        params = {
            "project_id": project_id,
            "subproject_id": "!*",
            "status_id": "*",
            "sort": "updated_on,id",
        }
        if updated_since is not None:
            params["updated_on"] = f">={format_time(updated_since)}"
        return self._all("/issues.json", "issues", **params)

    def issue_ids(self, project_id: int) -> set[int]:
        return {issue["id"] for issue in self.issues(project_id)}

    @_translate
    def memberships(self, project_id: int) -> list[dict]:
        """The project's members: users (also those who are members through a group,
        marked ``inherited``) and groups, each with their roles."""
        return self._all(f"/projects/{project_id}/memberships.json", "memberships")

    @_translate
    def role(self, role_id: int) -> dict:
        return self._get(f"/roles/{role_id}.json")["role"]

    def assignable_user_ids(self, project_id: int) -> set[int]:
        """Users an issue of the project may be assigned to (see ``assignable_members``)."""
        return assignable_members(self.memberships(project_id), self.role)

    # --- writes -------------------------------------------------------------------------

    @_translate
    def create_issue(self, **fields: Any) -> dict:
        if "subject" in fields:
            fields["subject"] = fields["subject"][:SUBJECT_MAX]
        url = f"{self.url}/issues.json"
        return self.redmine.engine.request("post", url, data={"issue": fields})["issue"]

    @_translate
    def update_issue(self, issue_id: int, **fields: Any) -> None:
        url = f"{self.url}/issues/{issue_id}.json"
        self.redmine.engine.request("put", url, data={"issue": fields})


def assignable_members(memberships: list[dict], read_role: Callable[[int], dict]) -> set[int]:
    """The users of ``memberships`` an issue may be assigned to: members with a role
    Redmine lets take issues (``assignable``; a Redmine that does not say counts as yes).
    ``read_role(id)`` reads a role."""
    users = [m for m in memberships if m.get("user")]
    roles = {role["id"] for m in users for role in m.get("roles", [])}
    assignable = {rid for rid in roles if read_role(rid).get("assignable", True)}
    return {
        m["user"]["id"]
        for m in users
        if any(role["id"] in assignable for role in m.get("roles", []))
    }


def get_client() -> RedmineClient:
    """The client the jobs use (tests put a fake Redmine here)."""
    return RedmineClient()
