"""Keyboard only, in real Chromium: reply to a ticket (skip link and the R key), move a card
on the board, open the notification centre and move through it with the arrow keys.

Signing in is set-up (the form is filled by Playwright); from there on every step is a key
press, and each asserts where the focus is, as a person using the keyboard would see it.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from notifications.models import Event, Notification
from tickets.models import Comment
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.e2e

MOVE_URL = re.compile(r"/api/v1/tickets/\d+/move/$")
# A ticket with this many comments took 52 Tab presses to reach the reply box (issue 19).
COMMENTS = 10
MAX_TABS_TO_SEND = 8


@pytest.fixture
def desk(transactional_db):
    """An agent of HD, a requester's ticket with ten comments, three unread notifications
    (made before the server starts, so its cached workflow holds these statuses)."""
    agent = UserFactory(username="ivan", first_name="Иван", last_name="Сидоров", roles=[Role.AGENT])
    requester = UserFactory(username="olga", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    for number in range(COMMENTS):
        comment(ticket, requester if number % 2 else agent, f"Комментарий {number + 1}")
    Notification.objects.all().delete()  # "new ticket in my queue": only these three below
    for number in range(3):
        Notification.objects.create(
            recipient=agent,
            event=Event.COMMENTED,
            ticket=ticket,
            actor=requester,
            params={"key": ticket.key, "actor": "Ольга", "title": f"Ответ {number + 1}"},
        )
    return {"agent": agent, "ticket": ticket}


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const r = el.getBoundingClientRect();
          return {
            testid: el.dataset.testid || "", id: el.id, tag: el.tagName.toLowerCase(),
            name: el.name || "", width: r.width, height: r.height, top: r.top, bottom: r.bottom,
          };
        }"""
    )


def tab_until(page: Page, matches, limit: int) -> int:
    """Press Tab until the focused element matches; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if matches(focused(page)):
            return presses
    raise AssertionError(f"not reached in {limit} Tab presses; at {focused(page)}")


def test_reply_by_skip_link_and_by_the_r_key(live_daphne, page: Page, desk):
    ticket = desk["ticket"]
    sign_in(page, live_daphne, "ivan")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")

    # The first Tab shows «К ответу»; Enter puts the focus in the reply box.
    page.keyboard.press("Tab")
    skip = page.get_by_test_id("skip-to-reply")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("К ответу")
    box = skip.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10  # shown when focused
    page.keyboard.press("Enter")
    reply = page.get_by_test_id("comment-form").locator("textarea[name=body]")
    expect(reply).to_be_focused()
    page.keyboard.type("Перезагрузите принтер")

    # A few Tabs from the box to "Send", not dozens.
    presses = tab_until(page, lambda f: f["testid"] == "comment-submit", MAX_TABS_TO_SEND)
    assert presses <= MAX_TABS_TO_SEND
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Comment.objects.filter(ticket=ticket, body="Перезагрузите принтер").exists()

    # R from anywhere but a field goes to the reply box; in a field it is just a letter.
    expect(page.locator("#content")).to_contain_text("Перезагрузите принтер")
    page.locator("body").focus()
    page.keyboard.press("r")
    expect(reply).to_be_focused()
    expect(reply).to_be_in_viewport()  # scrolled to (smoothly: Bootstrap's scroll-behavior)
    page.keyboard.type("round")
    expect(reply).to_have_value("round")

    # «К содержимому» on any page skips the navbar.
    page.goto(f"{live_daphne}/tickets/")
    page.keyboard.press("Tab")
    content_link = page.locator("a[data-skip-link][href='#content']")
    expect(content_link).to_be_focused()
    expect(content_link).to_have_text("К содержимому")
    page.keyboard.press("Enter")
    expect(page.locator("#content")).to_be_focused()


def test_move_a_card_by_keyboard(live_daphne, page: Page, desk):
    ticket = desk["ticket"]
    sign_in(page, live_daphne, "ivan")
    page.goto(f"{live_daphne}/board/hd/")
    expect(page.locator("#board")).to_have_attribute("data-drag-ready", "true")

    card = page.locator(f"#ticket-card-{ticket.pk}")
    tab_until(page, lambda f: f["id"] == f"ticket-card-{ticket.pk}", 60)
    with page.expect_response(MOVE_URL) as moved:
        page.keyboard.press("Alt+ArrowRight")
    assert moved.value.status == 200
    expect(card).to_have_attribute("data-status", "in_progress")
    expect(card).to_be_focused()
    expect(page.locator("#board-announcer")).to_contain_text(ticket.key)
    ticket.refresh_from_db()
    assert ticket.status.code == "in_progress"


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours (alpha ignored: opaque here)."""

    def luminance(colour: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_notification_centre_by_keyboard(live_daphne, page: Page, desk, theme):
    page.emulate_media(color_scheme=theme)
    sign_in(page, live_daphne, "ivan")
    page.goto(f"{live_daphne}/tickets/")
    bell = page.get_by_test_id("notification-bell")
    expect(page.get_by_test_id("notification-badge")).to_have_text("3")

    tab_until(page, lambda f: f["testid"] == "notification-bell", 20)
    # The focus ring on the navbar is solid and at least 3:1 against the bar.
    ring = bell.evaluate(
        """(el) => {
          const style = getComputedStyle(el);
          const bar = getComputedStyle(el.closest(".navbar"));
          return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
                  colour: style.outlineColor, bar: bar.backgroundColor};
        }"""
    )
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    assert contrast(ring["colour"], ring["bar"]) >= 3, ring

    # ↓ opens the centre and goes to the newest notification, ↓ ↑ End Home move through it.
    page.keyboard.press("ArrowDown")
    items = page.get_by_test_id("notification-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("Home")
    expect(page.get_by_test_id("notification-read-all")).to_be_focused()

    # Escape closes it and gives the focus back to the bell; Enter opens it again.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("notification-centre")).to_be_hidden()
    expect(bell).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("notification-centre")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(items.nth(0)).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{desk['ticket'].key}/$"))
