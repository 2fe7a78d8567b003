"""Content-Security-Policy: the header on HTML pages, and pages that need nothing it forbids.

The browser run (test_e2e_csp.py) proves the pages work under the policy; these tests
read the HTML itself, page by page and role by role: no inline script, no inline style
(attribute or block), no event-handler attribute, no javascript: address.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"
ADDRESSES = {"href", "src", "action", "formaction"}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class InlineFinder(HTMLParser):
    """Collects what a strict policy would refuse to run or apply."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            elif name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            elif name in ADDRESSES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script" and "src" not in values:
            kind = (values.get("type") or "").lower()
            self._inline_script = kind not in {"application/json", "application/ld+json"}

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = False


def inline_parts(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.problems


def test_html_pages_carry_a_strict_policy(client):
    response = client.get(reverse("accounts:login"))

    policy = directives(response[CSP])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert "unsafe" not in response[CSP]


def test_https_pages_allow_only_secure_websockets(client):
    response = client.get(reverse("accounts:login"), secure=True)
    assert directives(response[CSP])["connect-src"] == ["'self'", "wss://testserver"]


def test_the_paused_sign_in_page_carries_it_too(client, settings, admin):
    settings.AXES_FAILURE_LIMIT = 1
    response = client.post(reverse("accounts:login"), {"username": "admin", "password": "x"})
    assert response.status_code == 429
    assert "default-src 'self'" in response[CSP]
    assert inline_parts(response.content.decode()) == []


@pytest.fixture
def desk(db):
    agent = UserFactory(username="csp-agent", roles=[Role.AGENT])
    requester = UserFactory(username="csp-requester", roles=[Role.REQUESTER])
    manager = UserFactory(username="csp-manager", roles=[Role.MANAGER], is_staff=True)
    admin = UserFactory(username="csp-admin", is_staff=True, is_superuser=True)
    queue = QueueFactory(name="Служба", key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(
        queue=queue,
        requester=requester,
        actor=requester,
        title="Принтер",
        description="Горит **красная** лампа.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |",
    )
    return {
        "agent": agent,
        "requester": requester,
        "manager": manager,
        "admin": admin,
        "queue": queue,
        "ticket": ticket,
    }


def pages(desk) -> list[str]:
    key = desk["ticket"].key
    return [
        reverse("home"),
        reverse("tickets:list"),
        reverse("tickets:list") + "?status=new&priority=normal",
        reverse("tickets:detail", kwargs={"key": key}),
        reverse("tickets:new"),
        reverse("tickets:board"),
        reverse("tickets:board_queue", kwargs={"slug": "hd"}),
        reverse("accounts:profile"),
        reverse("accounts:logout"),
        "/no-such-page/",
    ]


ADMIN_PAGES = [
    "admin:index",
    "admin:tickets_ticket_changelist",
    "admin:tickets_status_changelist",
    "admin:tickets_priority_changelist",
    "admin:accounts_user_changelist",
    "admin:accounts_signinlockout_changelist",
    "admin:integrations_syncrun_changelist",
    "admin:notifications_notification_changelist",
]


@pytest.mark.parametrize("role", ["requester", "agent", "manager", "admin"])
def test_pages_need_no_inline_script_or_style(client, desk, role):
    client.force_login(desk[role])
    for url in pages(desk):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert CSP in response, url
        assert inline_parts(response.content.decode()) == [], url


def test_the_sign_in_page_needs_none(client):
    response = client.get(reverse("accounts:login"))
    assert inline_parts(response.content.decode()) == []


def test_admin_pages_need_none(client, desk):
    from tickets.models import Priority, Status

    client.force_login(desk["admin"])
    status, priority = Status.objects.first(), Priority.objects.first()
    assert status is not None and priority is not None
    urls = [reverse(name) for name in ADMIN_PAGES]
    urls += [
        reverse("admin:tickets_ticket_change", args=[desk["ticket"].pk]),
        reverse("admin:tickets_status_change", args=[status.pk]),
        reverse("admin:tickets_priority_change", args=[priority.pk]),
        reverse("admin:accounts_user_change", args=[desk["agent"].pk]),
        reverse("admin:tickets_queue_change", args=[desk["queue"].pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_parts(response.content.decode()) == [], url


def test_api_pages_need_none(client, desk):
    client.force_login(desk["agent"])
    for url in [
        reverse("api-docs"),
        reverse("api-docs") + "?script=",
        reverse("api-tickets"),
        reverse("api-ticket", kwargs={"ref": desk["ticket"].key}),
        reverse("api-ticket-comments", kwargs={"ref": desk["ticket"].key}),
        reverse("api-statuses"),
        reverse("api-saved-views"),
        reverse("api-notifications"),
        reverse("api-notification-preferences"),
        reverse("api-me"),
    ]:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert inline_parts(response.content.decode()) == [], url
