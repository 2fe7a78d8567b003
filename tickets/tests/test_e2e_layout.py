"""Layout in real Chromium (issue 19): the ticket list uses the width and keeps "Apply" in
view, phone cards are compact, the board fits six columns, the admin ticket page folds its
secondary parts. Each test measures what the walkthrough measured."""

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets.models import Comment, Status
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

TITLES = [
    "Не печатает сетевой принтер на третьем этаже",
    "Нужен ноутбук для командировки в Тверь",
    "Ошибка при проведении документа в 1С",
    "Не приходят письма от контрагента",
    "Настроить переадресацию звонков",
]

# The width the selected option's text needs against the width the select gives it.
SELECT_TEXT_FITS = """(select) => {
    const style = getComputedStyle(select);
    const context = document.createElement("canvas").getContext("2d");
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = context.measureText(select.selectedOptions[0].text).width;
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = select.clientWidth - padding;
    return text <= room;
}"""


@pytest.fixture
def desk(transactional_db):
    """An agent of a "Служба поддержки" queue with a page of tickets, as in the demo."""
    agent = UserFactory(
        username="agent1", first_name="Елена", last_name="Попова", roles=[Role.AGENT]
    )
    requester = UserFactory(
        username="requester1", first_name="Дмитрий", last_name="Кузнецов", roles=[Role.REQUESTER]
    )
    queue = QueueFactory(name="Служба поддержки", key_prefix="HD", slug="hd", members=[agent])
    tickets = [
        TicketFactory(
            queue=queue,
            requester=requester,
            actor=agent,
            assignee=agent,
            title=TITLES[n % len(TITLES)],
            tags=["принтер"],
        )
        for n in range(12)
    ]
    return {"agent": agent, "queue": queue, "tickets": tickets}


def visible_in_window(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.height > 0 && box.top >= 0 && box.bottom <= innerHeight;
        }""",
        selector,
    )


def test_list_gives_the_title_the_width_and_keeps_rows_to_one_line(live_daphne, page: Page, desk):
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_daphne}/tickets/")
    expect(page.locator("tbody tr")).to_have_count(12)

    # Was ~150 px inside the page container, with rows two or three lines high.
    title = page.locator("thead th.hd-col-title").bounding_box()
    assert title is not None and title["width"] >= 320
    heights = page.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((row) => row.getBoundingClientRect().height)"
    )
    # Was ~51 px a row, about eight rows in the window.
    assert sum(heights) / len(heights) <= 40, heights
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    table = page.get_by_test_id("ticket-table")
    assert table.evaluate("(table) => table.scrollWidth <= table.parentElement.clientWidth")
    # The sort box shows its whole text ("Обновлена, по убыванию" was cut).
    assert page.locator("#list-sort").evaluate(SELECT_TEXT_FITS)


def test_filter_apply_button_stays_in_the_window(live_daphne, page: Page, desk):
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_daphne}/tickets/")
    apply = '[data-testid="filters-apply"]'
    # Was at y = 1,580 in a 900 px window.
    assert visible_in_window(page, apply)
    page.mouse.wheel(0, 400)
    page.wait_for_function(
        f"() => document.querySelector('{apply}').getBoundingClientRect().bottom <= innerHeight"
    )
    assert visible_in_window(page, apply)

    # Keyboard only: a filter, then Tab to "Apply", Enter.
    page.locator("#list-overdue").focus()
    page.keyboard.press("Space")
    page.locator(apply).focus()
    assert visible_in_window(page, apply)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_daphne}/tickets/?overdue=1")


def test_filter_apply_button_stays_in_the_window_on_a_phone(live_daphne, page: Page, desk):
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_daphne}/tickets/")
    page.get_by_role("button", name="Фильтры").click()
    expect(page.locator("#list-filter-panel")).to_have_class(re.compile(r"\bcollapse show\b"))
    page.locator("#list-priority-normal").check()
    assert visible_in_window(page, '[data-testid="filters-apply"]')


def test_phone_ticket_cards_are_compact(live_daphne, page: Page, desk):
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_daphne}/tickets/")
    expect(page.locator("tbody tr")).to_have_count(12)
    heights = page.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((row) => row.getBoundingClientRect().height)"
    )
    # Was ~250 px: one labelled line per field.
    assert max(heights) <= 140, heights
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_board_fits_six_columns_and_shows_queue_names(live_daphne, page: Page, desk):
    Status.objects.create(code="review", name_ru="На согласовании", name_en="In review", order=25)
    TicketFactory(queue=desk["queue"], title="Согласовать закупку", status=status("review"))
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_daphne}/board/")
    expect(page.locator(".board-column")).to_have_count(6)

    columns = page.get_by_test_id("board-columns")
    # Was 1,500 px of columns in a 1,392 px board: the sixth hidden behind a scroll.
    assert columns.evaluate("(board) => board.scrollWidth <= board.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    queue_names = page.locator(".board-card-queue")
    expect(queue_names.first).to_be_visible()
    cut = queue_names.evaluate_all(
        "(names) => names.filter((name) => name.scrollWidth > name.clientWidth).length"
    )
    assert cut == 0


def test_board_scrolls_many_columns_inside_itself(live_daphne, page: Page, desk):
    for n in range(4):
        Status.objects.create(
            code=f"extra{n}", name_ru=f"Этап {n}", name_en=f"Step {n}", order=60 + n
        )
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_daphne}/board/")
    expect(page.locator(".board-column")).to_have_count(9)
    columns = page.get_by_test_id("board-columns")
    assert columns.evaluate("(board) => board.scrollWidth > board.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_ticket_page_folds_comments_history_and_record(
    live_daphne, page: Page, desk, viewport: ViewportSize
):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    ticket = desk["tickets"][0]
    for n in range(10):
        Comment.objects.create(ticket=ticket, author=desk["agent"], body=f"Комментарий {n}\n" * 4)
    sign_in(page, live_daphne, "root")
    page.set_viewport_size(viewport)
    page.goto(f"{live_daphne}/admin/tickets/ticket/{ticket.pk}/change/")
    expect(page.locator("#content h1")).to_be_visible()
    # Was ~7,000 px at 1440 and ~12,000 px at 390 with ten comments.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= (1600 if viewport is DESKTOP else 2600), height
    page.locator("summary", has_text="Комментарии").first.click()
    expect(page.locator("textarea[name$='-body']").first).to_be_visible()
