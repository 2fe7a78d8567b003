"""The Redmine client against a local HTTP server that answers with recorded Redmine JSON.

The answers in ``data/`` were recorded from Redmine 5.0.4 by
``scripts/record_redmine_json.py`` (the API key replaced by a placeholder). The server
here is a plain ``http.server`` on 127.0.0.1, so these tests need no Redmine and run
everywhere; what they check is the HTTP the client sends and how it reads what comes back.
"""

import copy
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.redmine.client import (
    SUBJECT_MAX,
    RedmineAuthError,
    RedmineClient,
    RedmineForbidden,
    RedmineInvalid,
    RedmineNotFound,
    RedmineRefused,
    RedmineUnavailable,
    format_time,
    parse_time,
)

DATA = Path(__file__).resolve().parent / "data"
KEY = "RECORDED-API-KEY"  # the placeholder the recordings carry instead of the real key
TIMEOUT = 0.5


def recorded(name: str) -> dict:
    """A recorded answer: its request, status, content type and body."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


class Answer:
    def __init__(
        self,
        status: int,
        body: Any = "",  # text, or JSON to encode
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        self.status, self.body, self.content_type = status, body, content_type

    @classmethod
    def of(cls, name: str) -> "Answer":
        envelope = recorded(name)
        return cls(envelope["status"], envelope["body"], envelope["content_type"])

    def payload(self) -> bytes:
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class Seen:
    """One request as the server got it."""

    def __init__(self, method: str, target: str, headers: Message, body: bytes) -> None:
        parts = urlsplit(target)
        self.method, self.path = method, parts.path
        self.query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.headers = headers
        self.json = json.loads(body) if body else None


# An answer, or a handler that makes one from the request (None: it gave up).
Route = Answer | Callable[[Seen], Answer | None]


class FakeServer:
    """Routes ``(METHOD, path)`` to an ``Answer`` or to ``handler(seen) -> Answer``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.seen: list[Seen] = []
        self.released = threading.Event()  # wakes handlers that sleep
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, self.headers, self.rfile.read(length))
                fake.seen.append(seen)
                route = fake.routes.get((self.command, seen.path))
                answer: Answer | None
                if route is None:
                    answer = Answer(404, "")
                elif callable(route):
                    answer = route(seen)
                else:
                    answer = route
                if answer is None:  # the handler gave up (the test is over)
                    return
                payload = answer.payload()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client went away (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def client(self, key: str = KEY, timeout: float = TIMEOUT) -> RedmineClient:
        return RedmineClient(self.url, key, timeout=timeout)


@pytest.fixture
def server():
    fake = FakeServer()
    fake.thread.start()
    yield fake
    fake.released.set()
    fake.httpd.shutdown()
    fake.httpd.server_close()


@pytest.fixture(autouse=True)
def _client_settings(settings):
    settings.REDMINE_VERIFY_TLS = True
    settings.REDMINE_TIMEOUT = 15.0


def issues_pages(total: int) -> Callable[[Seen], Answer]:
    """``/issues.json`` with ``total`` issues made from the recorded list page, paged by
    limit/offset as Redmine pages it."""
    page = recorded("issues_page")["body"]
    templates = page["issues"]

    def handler(seen: Seen) -> Answer:
        limit, offset = int(seen.query.get("limit", 25)), int(seen.query.get("offset", 0))
        issues = []
        for n in range(offset, min(offset + limit, total)):
            issue = copy.deepcopy(templates[n % len(templates)])
            issue["id"] = n + 1
            issues.append(issue)
        body = {"issues": issues, "total_count": total, "offset": offset, "limit": limit}
        return Answer(200, body)

    return handler


# --- what the client sends ------------------------------------------------------------


def test_the_api_key_goes_in_the_header(server):
    server.routes["GET", "/users/current.json"] = Answer.of("users_current")

    user = server.client(key="secret-key-123").current_user()

    assert user["login"] == "admin" and user["admin"] is True
    (seen,) = server.seen
    assert seen.headers["X-Redmine-API-Key"] == "secret-key-123"
    assert "key" not in seen.query  # never in the URL, where logs would keep it


def test_issues_asks_for_every_status_no_subprojects_and_changes_since_in_utc(server):
    server.routes["GET", "/issues.json"] = issues_pages(150)
    day = dt.date.today()  # any day: 04:52:10.123456 at UTC+3 is 01:52:10Z the same day
    moscow = dt.timezone(dt.timedelta(hours=3))
    since = dt.datetime.combine(day, dt.time(4, 52, 10, 123456), tzinfo=moscow)

    issues = server.client().issues(4, updated_since=since)

    assert [issue["id"] for issue in issues] == list(range(1, 151))
    assert len(server.seen) == 2
    for seen in server.seen:
        assert seen.headers["X-Redmine-API-Key"] == KEY
        assert seen.query["project_id"] == "4"
        assert seen.query["status_id"] == "*"  # closed issues too
        assert seen.query["subproject_id"] == "!*"
        assert seen.query["updated_on"] == f">={day.isoformat()}T01:52:10Z"
        assert seen.query["sort"] == "updated_on,id"
    pages = [(s.query["limit"], s.query["offset"]) for s in server.seen]
    assert pages == [("100", "0"), ("100", "100")]


def test_a_list_that_shifted_while_it_was_paged_is_read_again(server):
    """Issue 5 changes between the two pages: sorted by update time it moves to the
    end, so the second page repeats it and issue 101 is never seen."""
    pages = issues_pages(150)
    calls = []

    def shifting(seen: Seen) -> Answer:
        calls.append(seen.query["offset"])
        answer = pages(seen)
        if len(calls) == 2:
            answer.body["issues"][0] = copy.deepcopy(answer.body["issues"][0]) | {"id": 5}
        return answer

    server.routes["GET", "/issues.json"] = shifting

    issues = server.client().issues(4)

    assert sorted(issue["id"] for issue in issues) == list(range(1, 151))
    assert calls == ["0", "100", "0", "100"]


def test_issues_without_a_cursor_has_no_date_filter(server):
    server.routes["GET", "/issues.json"] = issues_pages(3)

    issues = server.client().issues(4)

    assert len(issues) == 3
    (seen,) = server.seen
    assert "updated_on" not in seen.query
    assert seen.query["status_id"] == "*"


def test_issue_is_read_with_its_journals(server):
    server.routes["GET", "/issues/43.json"] = Answer.of("issue_with_journals")

    issue = server.client().issue(43)

    assert server.seen[0].query == {"include": "journals"}
    assert issue["subject"] == "Не работает VPN"
    # A private note sent with a status change came as two journals; then a change only.
    assert [(j["notes"], j["private_notes"]) for j in issue["journals"]] == [
        ("Смотрю", False),
        (None, False),
        ("Внутреннее: перезагрузить шлюз", True),
        ("", False),
    ]
    assert issue["journals"][1]["details"][0]["name"] == "status_id"


def test_reference_lists_are_read_as_recorded(server):
    for name, path in [
        ("issue_statuses", "/issue_statuses.json"),
        ("issue_priorities", "/enumerations/issue_priorities.json"),
        ("users", "/users.json"),
    ]:
        server.routes["GET", path] = Answer.of(name)
    client = server.client()

    statuses, priorities, users = client.statuses(), client.priorities(), client.users()

    assert statuses == recorded("issue_statuses")["body"]["issue_statuses"]
    assert {"Новая", "Закрыта"} <= {s["name"] for s in statuses}
    assert any(s["is_closed"] for s in statuses)
    assert priorities == recorded("issue_priorities")["body"]["issue_priorities"]
    assert [p["name"] for p in priorities if p["is_default"]] == ["Нормальный"]
    assert users == recorded("users")["body"]["users"]
    users_request = next(s for s in server.seen if s.path == "/users.json")
    assert users_request.query["status"] == ""  # locked users too


def test_create_issue_shortens_the_subject_and_sends_json(server):
    created = copy.deepcopy(recorded("issue_with_journals")["body"])
    del created["issue"]["journals"]
    server.routes["POST", "/issues.json"] = Answer(201, created)

    issue = server.client().create_issue(project_id=4, subject="Я" * 300, description="x")

    assert issue["id"] == 43
    (seen,) = server.seen
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.json["issue"]["subject"] == "Я" * SUBJECT_MAX
    assert seen.json["issue"]["project_id"] == 4


def test_update_issue_puts_the_fields(server):
    server.routes["PUT", "/issues/43.json"] = Answer(204, "")

    server.client().update_issue(43, notes="Заметка", private_notes=True, status_id=2)

    (seen,) = server.seen
    assert seen.json == {"issue": {"notes": "Заметка", "private_notes": True, "status_id": 2}}


# --- faults ---------------------------------------------------------------------------


def test_a_server_slower_than_the_timeout_is_unavailable_quickly(server):
    def slow(seen):
        server.released.wait(5)
        return None

    server.routes["GET", "/issues/43.json"] = slow
    client = server.client(timeout=TIMEOUT)

    started = time.monotonic()
    with pytest.raises(RedmineUnavailable) as caught:
        client.issue(43)
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT + 1.0
    assert caught.value.transient
    assert "in time" in caught.value.message


def test_a_slow_second_page_times_out_too(server):
    pages = issues_pages(150)

    def second_page_slow(seen):
        if seen.query.get("offset") != "0":
            server.released.wait(5)
            return None
        return pages(seen)

    server.routes["GET", "/issues.json"] = second_page_slow

    started = time.monotonic()
    with pytest.raises(RedmineUnavailable):
        server.client().issues(4)
    assert time.monotonic() - started < TIMEOUT + 1.5


def test_connection_refused_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there now.
    client = RedmineClient(f"http://127.0.0.1:{port}", KEY, timeout=TIMEOUT)

    started = time.monotonic()
    with pytest.raises(RedmineUnavailable) as caught:
        client.current_user()

    assert time.monotonic() - started < 2
    assert "cannot be reached" in caught.value.message


@pytest.mark.parametrize(
    ("answer", "error", "status"),
    [
        (lambda: Answer.of("error_401_wrong_key"), RedmineAuthError, 401),
        (lambda: Answer(403, ""), RedmineForbidden, 403),
        (lambda: Answer.of("error_404_issue"), RedmineNotFound, 404),
    ],
    ids=["401", "403", "404"],
)
def test_refusals_are_typed(server, answer, error, status):
    server.routes["GET", "/issues/43.json"] = answer()

    with pytest.raises(error) as caught:
        server.client().issue(43)

    assert isinstance(caught.value, RedmineRefused)
    assert not caught.value.transient
    assert caught.value.status == status


def test_422_is_invalid_with_redmines_message(server):
    server.routes["POST", "/issues.json"] = Answer.of("error_422_long_subject")
    message = recorded("error_422_long_subject")["body"]["errors"][0]

    with pytest.raises(RedmineInvalid) as caught:
        server.client().create_issue(project_id=4, subject="Тема")

    assert caught.value.status == 422
    assert not caught.value.transient
    assert message in caught.value.message
    assert "too long" in message  # what Redmine 5.0.4 said for a 256-character subject


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_failures_are_unavailable(server, status):
    body = "<html><body><h1>Bad Gateway</h1></body></html>"
    server.routes["GET", "/issues/43.json"] = Answer(status, body, "text/html")

    with pytest.raises(RedmineUnavailable) as caught:
        server.client().issue(43)

    assert caught.value.transient
    assert caught.value.status == status


@pytest.mark.parametrize("path", ["/issues/43.json", "/issues.json"])
def test_an_html_page_with_200_is_unavailable(server, path):
    # What a sign-in page of a proxy, or Redmine's own home page, looks like to the client.
    server.routes["GET", path] = Answer.of("html_home_page")
    assert recorded("html_home_page")["content_type"].startswith("text/html")
    client = server.client()

    with pytest.raises(RedmineUnavailable) as caught:
        client.issue(43) if path != "/issues.json" else client.issues(4)

    assert "JSON" in caught.value.message


@pytest.mark.parametrize("path", ["/users/current.json", "/issues.json"])
def test_an_empty_200_answer_to_a_read_is_unavailable(server, path):
    # A proxy or a half-started Redmine answering 200 with no body: python-redmine gives
    # ``True`` for it, which is no JSON either (single reads and paged lists alike).
    server.routes["GET", path] = Answer(200, "")
    client = server.client()

    with pytest.raises(RedmineUnavailable):
        client.current_user() if path != "/issues.json" else client.issues(4)


def test_a_422_without_redmines_json_is_still_a_typed_refusal(server):
    # A proxy's HTML error page with 422: python-redmine reads ``response.json()["errors"]``
    # unguarded.
    server.routes["POST", "/issues.json"] = Answer(422, "<html>Unprocessable</html>", "text/html")

    with pytest.raises(RedmineRefused) as caught:
        server.client().create_issue(project_id=4, subject="Тема")

    assert caught.value.status == 422


@pytest.mark.parametrize("status", [408, 429])
def test_timeouts_and_slow_down_answers_are_unavailable_not_refusals(server, status):
    server.routes["GET", "/issues/43.json"] = Answer(status, "")
    with pytest.raises(RedmineUnavailable) as caught:
        server.client().issue(43)
    assert caught.value.status == status


def test_json_that_is_not_redmines_is_unavailable(server):
    server.routes["GET", "/users/current.json"] = Answer(200, {"hello": "world"})
    with pytest.raises(RedmineUnavailable, match="unexpected answer"):
        server.client().current_user()


def test_a_list_that_keeps_moving_is_given_up_on(server):
    """Issues deleted on every read: the total changes from page to page each time."""
    totals = iter(range(150, 0, -1))

    def shrinking(seen: Seen) -> Answer:
        answer = issues_pages(next(totals))(seen)
        return answer

    server.routes["GET", "/issues.json"] = shrinking
    with pytest.raises(RedmineUnavailable, match="kept changing"):
        server.client().issues(4)


# --- time stamps ----------------------------------------------------------------------


def test_recorded_stamps_parse_as_utc():
    issue = recorded("issue_with_journals")["body"]["issue"]
    user = recorded("users_current")["body"]["user"]
    stamps = [
        issue["created_on"],
        issue["updated_on"],
        *(j["created_on"] for j in issue["journals"]),
        user["created_on"],
        user["updated_on"],
    ]
    for stamp in stamps:
        assert stamp.endswith("Z")
        moment = parse_time(stamp)
        assert moment is not None
        assert moment.tzinfo is not None
        assert moment.utcoffset() == dt.timedelta(0)
        assert format_time(moment) == stamp
    assert parse_time(None) is None and parse_time("") is None
