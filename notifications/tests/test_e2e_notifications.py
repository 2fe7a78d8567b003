"""Live updates in real Chromium against daphne, two people in two browsers: a toast and
the badge for an assignment, a card moved on another person's board, and who else has a
ticket open."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from notifications.models import Notification
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.e2e

LIVE = 2000  # ms: what another person did shows up within this, without reloading
MOVE_URL = re.compile(r"/api/v1/tickets/\d+/move/$")

# Every "helpdesk:live" message the page received, so a test can wait until the socket
# said hello and the page's subscriptions were answered before the other person acts.
RECORD_LIVE = """
window.__live = [];
document.addEventListener("helpdesk:live", (event) => window.__live.push(event.detail));
"""


@pytest.fixture
def desk(transactional_db):
    """Two agents of the HD queue and a requester's ticket (made before the server starts,
    so its cached workflow holds these statuses). Nobody has unread notifications."""
    anna = UserFactory(username="anna", first_name="Анна", last_name="Петрова", roles=[Role.AGENT])
    boris = UserFactory(
        username="boris", first_name="Борис", last_name="Смирнов", roles=[Role.AGENT]
    )
    requester = UserFactory(username="olga", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[anna, boris])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    # "New ticket in my queue" for both agents: read, so the badge starts empty.
    Notification.objects.update(read_at=timezone.now())
    return {"anna": anna, "boris": boris, "queue": queue, "ticket": ticket}


@pytest.fixture
def two_pages(live_daphne, browser: Browser, desk):
    """Anna's and Boris's pages, each in its own browser (context), both signed in."""
    contexts = []
    pages = []
    for username in ("anna", "boris"):
        context = browser.new_context(locale="ru-RU", color_scheme="light")
        context.add_init_script(RECORD_LIVE)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_daphne, username)
        pages.append(page)
    yield pages
    for context in contexts:
        context.close()


def wait_for_live(page: Page, condition: str = "m.type === 'resumed'") -> None:
    """Until a received live message ``m`` matches ``condition`` (default: the socket is
    up and answered the page's "resume")."""
    page.wait_for_function(f"() => (window.__live || []).some((m) => {condition})")


def test_assignment_reaches_the_other_agent_as_toast_and_badge(live_daphne, two_pages, desk):
    anna_page, boris_page = two_pages
    ticket = desk["ticket"]

    boris_page.goto(f"{live_daphne}/tickets/")
    wait_for_live(boris_page)
    badge = boris_page.get_by_test_id("notification-badge")
    expect(badge).to_be_hidden()
    # Old notifications replayed on connecting are not toasted again.
    toasts = boris_page.get_by_test_id("toasts").get_by_test_id("notification-toast")
    expect(toasts).to_have_count(0)

    anna_page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    with anna_page.expect_navigation():
        anna_page.locator("#field-assignee").select_option(label="Борис Смирнов")
    expect(anna_page.get_by_test_id("field-assignee").locator("select")).to_have_value(
        str(desk["boris"].pk)
    )

    # Boris, on the ticket list, sees it without reloading.
    expect(toasts).to_have_count(1, timeout=LIVE)
    expect(toasts.first).to_contain_text(ticket.key)
    expect(toasts.first).to_contain_text("Анна Петрова")
    expect(toasts.first.get_by_role("link")).to_have_attribute(
        "href", re.compile(rf"/tickets/{ticket.key}/$")
    )
    expect(badge).to_be_visible(timeout=LIVE)
    expect(badge).to_have_text("1")
    # Boris's account has sound on: the tone was played for it.
    assert boris_page.evaluate("window.helpdeskNotifications.played") == 1
    assert Notification.objects.filter(recipient=desk["boris"], read_at__isnull=True).count() == 1

    # After a reload the notification is counted again but not toasted a second time.
    boris_page.reload()
    wait_for_live(boris_page)
    expect(badge).to_have_text("1")
    expect(toasts).to_have_count(0)


def test_notification_centre_lists_and_marks_read(live_daphne, two_pages, desk):
    anna_page, boris_page = two_pages
    ticket = desk["ticket"]
    boris_page.goto(f"{live_daphne}/tickets/")
    wait_for_live(boris_page)

    anna_page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    with anna_page.expect_navigation():
        anna_page.locator("#field-assignee").select_option(label="Борис Смирнов")
    badge = boris_page.get_by_test_id("notification-badge")
    expect(badge).to_have_text("1", timeout=LIVE)

    # The centre reads the latest notifications from the API; the new one is unread.
    boris_page.get_by_test_id("notification-bell").click()
    items = boris_page.get_by_test_id("notification-list").get_by_test_id("notification-item")
    expect(items.first).to_contain_text(ticket.key)
    expect(items.first).to_have_attribute("data-unread", "true")
    with boris_page.expect_response(re.compile(r"/api/v1/notifications/read-all/$")) as done:
        boris_page.get_by_test_id("notification-read-all").click()
    assert done.value.ok
    expect(badge).to_be_hidden()
    expect(items.first).to_have_attribute("data-unread", "false")
    assert not Notification.objects.filter(recipient=desk["boris"], read_at__isnull=True).exists()


def test_card_moved_by_one_agent_moves_on_the_other_agents_board(live_daphne, two_pages, desk):
    anna_page, boris_page = two_pages
    ticket = desk["ticket"]
    card_selector = f"#ticket-card-{ticket.pk}"

    boris_page.goto(f"{live_daphne}/board/hd/")
    queue_id = desk["queue"].pk
    wait_for_live(boris_page, f"m.type === 'subscribed' && (m.board || []).includes({queue_id})")
    in_progress = boris_page.locator('.board-column[data-status="in_progress"] .board-cards')
    expect(boris_page.locator(f'.board-column[data-status="new"] {card_selector}')).to_have_count(1)

    anna_page.goto(f"{live_daphne}/board/hd/")
    expect(anna_page.locator("#board")).to_have_attribute("data-drag-ready", "true")
    with anna_page.expect_response(MOVE_URL) as moved:
        anna_page.locator(card_selector).focus()
        anna_page.keyboard.press("Alt+ArrowRight")  # new → in progress
    assert moved.value.status == 200

    expect(in_progress.locator(card_selector)).to_have_count(1, timeout=LIVE)
    expect(boris_page.locator(card_selector)).to_have_attribute("data-status", "in_progress")
    expect(boris_page.locator("#board-announcer")).to_contain_text(ticket.key)

    # Anna takes the ticket (through the API, as herself): Boris's card shows her on it.
    token = anna_page.locator('meta[name="csrf-token"]').get_attribute("content")
    taken = anna_page.request.post(
        f"{live_daphne}/api/v1/tickets/{ticket.key}/take/",
        headers={"X-CSRFToken": token, "Referer": f"{live_daphne}/board/hd/"},
    )
    assert taken.ok, taken.text()
    card = boris_page.locator(card_selector)
    expect(card).to_have_attribute("data-assignee", str(desk["anna"].pk), timeout=LIVE)
    expect(card).to_have_attribute("data-assignee-name", "Анна Петрова")


def test_agents_on_the_same_ticket_see_each_other(live_daphne, two_pages, desk):
    anna_page, boris_page = two_pages
    url = f"{live_daphne}/tickets/{desk['ticket'].key}/"

    anna_page.goto(url)
    wait_for_live(anna_page, "m.type === 'subscribed' && m.ticket")
    anna_sees = anna_page.get_by_test_id("presence")
    expect(anna_sees).to_be_hidden()

    boris_page.goto(url)
    expect(anna_sees).to_contain_text("Борис Смирнов", timeout=LIVE)
    boris_sees = boris_page.get_by_test_id("presence")
    expect(boris_sees).to_contain_text("Анна Петрова", timeout=LIVE)
    # Nobody is listed as viewing alongside themselves.
    expect(anna_sees).not_to_contain_text("Анна Петрова")

    # Anna changes the priority: Boris is told, without losing what he is doing.
    priority = anna_page.locator("#field-priority")
    values = priority.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
    other = next(value for value in values if value != priority.input_value())
    with anna_page.expect_navigation():
        priority.select_option(other)
    banner = boris_page.get_by_test_id("live-banner")
    expect(banner).to_be_visible(timeout=LIVE)
    expect(banner).to_contain_text("Анна Петрова")
    # ... and told what changed, not only who changed it.
    expect(banner.get_by_test_id("live-changes")).to_contain_text(
        "Анна Петрова: приоритет изменён с Обычный на"
    )
    expect(anna_page.get_by_test_id("live-banner")).to_be_hidden()
    # Anna's page was reloaded by the change; she is still (again) seen by Boris.
    expect(boris_sees).to_contain_text("Анна Петрова", timeout=LIVE)

    # Boris leaves: Anna no longer sees him.
    boris_page.goto(f"{live_daphne}/tickets/")
    expect(anna_sees).to_be_hidden(timeout=LIVE)
