"""Every main page, as each role, in real Chromium under the Content-Security-Policy.

The browser enforces the policy the server sends (nothing bypasses it here); each page is
checked for violations twice, as ``securitypolicyviolation`` events and as console
messages, and for its script having worked (preview, theme, drag, Swagger UI, ...).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import choose_theme, sign_in
from tickets.tests.factories import QueueFactory, TicketFactory, comment
from tickets.tests.test_e2e_board import column_cards, drag

pytestmark = pytest.mark.e2e

MOVE_URL = re.compile(r"/api/v1/tickets/\d+/move/$")
# Recorded in the page before any of its scripts run (Playwright's init scripts are not
# subject to the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const what = `${event.violatedDirective} ${event.blockedURI || "inline"}`;
  window.__cspViolations.push(`${what} ${event.sourceFile || ""}:${event.lineNumber}`);
});
"""


class Watch:
    """Console messages about the policy, across the pages of one browser tab."""

    def __init__(self, page: Page):
        self.page = page
        self.messages: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.messages.append(f"{self.page.url}: {text}")

    def assert_clean(self) -> None:
        """No violation on the current page, and none reported on any page so far."""
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{self.page.url}: {violations}"
        assert self.messages == []


@pytest.fixture
def desk(transactional_db):
    agent = UserFactory(username="csp-agent", roles=[Role.AGENT])
    requester = UserFactory(username="csp-requester", roles=[Role.REQUESTER])
    UserFactory(username="csp-manager", roles=[Role.MANAGER], is_staff=True)
    admin = UserFactory(username="csp-admin", is_staff=True, is_superuser=True)
    queue = QueueFactory(name="Служба", key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(
        queue=queue,
        requester=requester,
        actor=requester,
        title="Принтер",
        description="Горит **красная** лампа.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |",
    )
    comment(ticket, agent, "Проверим *сегодня*.")
    second = TicketFactory(queue=queue, requester=requester, actor=requester, title="Сеть")
    return {"agent": agent, "admin": admin, "queue": queue, "ticket": ticket, "second": second}


@pytest.fixture
def watch(page: Page) -> Watch:
    return Watch(page)


def visit(page: Page, watch: Watch, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    watch.assert_clean()


def live_connection_works(page: Page) -> None:
    # The WebSocket to /ws/ (connect-src) is accepted.
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "online")


def preview_works(page: Page, textarea: str) -> None:
    page.locator(textarea).fill("Это **жирный** текст.\n\n- пункт")
    page.locator("[data-md-tab='preview']").first.click()
    preview = page.get_by_test_id("markdown-preview").first
    expect(preview.locator("strong")).to_have_text("жирный")
    expect(preview.locator("li")).to_have_text("пункт")


def theme_switches(page: Page) -> None:
    html = page.locator("html")
    with page.expect_response(re.compile(r"/accounts/theme/$")):
        choose_theme(page, "Тёмная")
    expect(html).to_have_attribute("data-bs-theme", "dark")
    with page.expect_response(re.compile(r"/accounts/theme/$")):
        choose_theme(page, "Светлая")
    expect(html).to_have_attribute("data-bs-theme", "light")


def test_requester_pages_work_under_the_policy(live_daphne, page: Page, watch, desk):
    base, key = live_daphne, desk["ticket"].key
    page.goto(f"{base}/accounts/login/")
    watch.assert_clean()
    sign_in(page, base, "csp-requester")
    watch.assert_clean()
    live_connection_works(page)

    visit(page, watch, f"{base}/tickets/")
    expect(page.locator(f'tr[data-ticket-key="{key}"] .hd-badge').first).to_be_visible()
    visit(page, watch, f"{base}/tickets/{key}/")
    expect(page.locator("#content strong", has_text="красная")).to_be_visible()
    visit(page, watch, f"{base}/tickets/new/")
    preview_works(page, "textarea[name='description']")
    watch.assert_clean()
    visit(page, watch, f"{base}/board/")
    expect(page.get_by_test_id("board-read-only")).to_be_visible()
    visit(page, watch, f"{base}/accounts/profile/")
    theme_switches(page)
    watch.assert_clean()


def test_agent_pages_work_under_the_policy(live_daphne, page: Page, watch, desk):
    base, key = live_daphne, desk["ticket"].key
    sign_in(page, base, "csp-agent")
    live_connection_works(page)

    visit(page, watch, f"{base}/tickets/?status=new")
    # The status colour comes from the generated stylesheet, not an inline style.
    badge = page.locator(f'tr[data-ticket-key="{key}"] .hd-badge[data-status="new"]')
    assert badge.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(13, 110, 253)"
    visit(page, watch, f"{base}/tickets/{key}/")
    preview_works(page, "#id_body")
    watch.assert_clean()

    visit(page, watch, f"{base}/board/hd/")
    expect(page.locator("#board")).to_have_attribute("data-drag-ready", "true")
    card = page.locator(f"#ticket-card-{desk['second'].pk}")
    edge = card.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert edge == "rgb(13, 202, 240)", "the normal priority's colour"
    with page.expect_response(MOVE_URL) as moved:
        drag(page, card, column_cards(page, "in_progress"))
    assert moved.value.status == 200
    expect(column_cards(page, "in_progress").locator(card)).to_have_count(1)
    watch.assert_clean()

    visit(page, watch, f"{base}/accounts/profile/")
    theme_switches(page)
    watch.assert_clean()

    # Web push's service worker (served from the site root) registers under the policy.
    worker = page.evaluate(
        """() => navigator.serviceWorker.register("/sw.js", {scope: "/"})
            .then(() => navigator.serviceWorker.ready)
            .then((registration) => registration.active.scriptURL)"""
    )
    assert worker == f"{base}/sw.js"
    watch.assert_clean()


def test_manager_pages_work_under_the_policy(live_daphne, page: Page, watch, desk):
    base = live_daphne
    sign_in(page, base, "csp-manager")
    for url in ("/", "/tickets/", f"/tickets/{desk['ticket'].key}/", "/board/", "/tickets/new/"):
        visit(page, watch, base + url)
    page.locator("#notification-menu, [data-notification-bell]").first.click()
    expect(page.get_by_test_id("notification-centre")).to_be_visible()
    watch.assert_clean()


def test_admin_pages_api_docs_and_browsable_api_work_under_the_policy(
    live_daphne, page: Page, watch, desk
):
    base = live_daphne
    sign_in(page, base, "csp-admin")

    visit(page, watch, f"{base}/admin/")
    expect(page.locator("#content-main")).to_be_visible()
    visit(page, watch, f"{base}/admin/tickets/ticket/{desk['ticket'].pk}/change/")
    expect(page.locator("#ticket_form")).to_be_visible()
    visit(page, watch, f"{base}/admin/accounts/user/{desk['agent'].pk}/change/")
    # The admin's own scripts run: the filter widget for permissions is built by JS.
    expect(page.locator("#id_user_permissions_filter")).to_be_visible()
    visit(page, watch, f"{base}/admin/tickets/status/")
    expect(page.locator("svg.hd-swatch").first).to_be_visible()
    visit(page, watch, f"{base}/admin/accounts/signinlockout/")
    visit(page, watch, f"{base}/admin/integrations/syncrun/")

    visit(page, watch, f"{base}/api/docs/")
    # Swagger UI (scripts from drf-spectacular-sidecar) rendered the schema.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Helpdesk API")
    expect(page.locator(".opblock").first).to_be_visible()
    watch.assert_clean()

    visit(page, watch, f"{base}/api/v1/tickets/")
    # The browsable API's scripts run: its Filters button opens the (Bootstrap 3) modal.
    page.locator("button[data-target='#filtersModal']").click()
    expect(page.locator("#filtersModal")).to_be_visible()
    watch.assert_clean()
    visit(page, watch, f"{base}/api/v1/tickets/{desk['ticket'].key}/")
