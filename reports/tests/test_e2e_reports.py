"""The dashboard's charts and the live home page in real Chromium against daphne."""

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import choose_theme, sign_in
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.e2e

RECORD_LIVE = """
window.__live = [];
document.addEventListener("helpdesk:live", (event) => window.__live.push(event.detail));
"""
# Any painted pixel of a canvas (alpha above zero): the chart was drawn.
CANVAS_PAINTED = """(canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
  return false;
}"""


@pytest.fixture
def desk(transactional_db):
    """HD worked by Ivan and Anna; two of Anna's tickets (one answered), a manager."""
    ivan = UserFactory(username="ivan", first_name="Иван", last_name="Сидоров", roles=[Role.AGENT])
    anna = UserFactory(username="anna", first_name="Анна", last_name="Петрова", roles=[Role.AGENT])
    UserFactory(username="maria", first_name="Мария", last_name="Орлова", roles=[Role.MANAGER])
    requester = UserFactory(username="olga", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[ivan, anna])
    first = TicketFactory(
        queue=queue, requester=requester, actor=anna, assignee=anna, title="Принтер"
    )
    second = TicketFactory(
        queue=queue, requester=requester, actor=anna, assignee=anna, title="Сеть"
    )
    comment(second, anna, "Проверяем")
    return {"first": first, "second": second}


def assert_charts_drawn(page: Page, theme: str) -> None:
    for name in ("status", "trend", "load"):
        canvas = page.locator(f'canvas[data-chart="{name}"]')
        expect(canvas).to_have_attribute("data-drawn", theme)
        assert canvas.evaluate(CANVAS_PAINTED), f"{name} is blank in the {theme} theme"
        # The table beside it, for screen readers and exports.
        expect(page.locator(f'table[data-table="{name}"]')).to_have_count(1)


def test_dashboard_charts_render_in_both_themes(live_daphne, page: Page, desk):
    sign_in(page, live_daphne, "maria")
    page.goto(f"{live_daphne}/dashboard/?period=7")
    assert_charts_drawn(page, "light")
    choose_theme(page, "Тёмная")
    assert_charts_drawn(page, "dark")
    # The legend and axes follow the theme: light text on the dark background.
    colour = page.evaluate(
        "() => getComputedStyle(document.body).getPropertyValue('--bs-body-color').trim()"
    )
    assert colour.lower() not in ("#212529", "")
    # The manager's home page: the same charts below the blocks, fetched after the page.
    page.goto(f"{live_daphne}/")
    expect(page.locator("[data-dashboard-embed]")).to_have_attribute("data-loaded", "true")
    assert_charts_drawn(page, "dark")


def test_a_board_move_by_one_agent_changes_the_home_of_another(live_daphne, browser: Browser, desk):
    contexts = []
    pages = {}
    for username in ("ivan", "anna"):
        context = browser.new_context(locale="ru-RU", color_scheme="light")
        context.add_init_script(RECORD_LIVE)
        contexts.append(context)
        pages[username] = context.new_page()
        sign_in(pages[username], live_daphne, username)
    try:
        anna = pages["anna"]
        anna.goto(f"{live_daphne}/")
        mine = anna.get_by_test_id("count-mine")
        expect(mine).to_have_attribute("data-count", "2")
        anna.wait_for_function(
            "() => (window.__live || []).some((m) => m.type === 'subscribed' && m.board)"
        )

        ivan = pages["ivan"]
        ivan.goto(f"{live_daphne}/board/hd/")
        expect(ivan.locator("#board")).to_have_attribute("data-drag-ready", "true")
        card = ivan.locator(f"#ticket-card-{desk['first'].pk}")
        card.locator(".board-card-menu-button").click()
        with ivan.expect_response(lambda r: r.url.endswith("/move/")) as moved:
            card.locator("[data-card-menu] button", has_text="Решена").click()
        assert moved.value.status == 200
        started = time.monotonic()
        expect(mine).to_have_attribute("data-count", "1", timeout=2000)
        assert time.monotonic() - started < 2
    finally:
        for context in contexts:
            context.close()
