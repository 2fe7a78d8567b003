"""Statuses put in order in the admin by dragging a row, and from the keyboard; a queue's
board then shows its chosen columns in that order (Chromium against daphne)."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets import services
from tickets.models import Status
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.e2e

REORDER_URL = re.compile(r"/admin/tickets/status/reorder/$")


@pytest.fixture
def boss(transactional_db):
    status("new")  # the default workflow, before the server caches it
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


def row_codes(page: Page) -> list[str]:
    return page.locator("#result_list tbody td.field-code").all_inner_texts()


def db_codes() -> list[str]:
    return list(Status.objects.values_list("code", flat=True))


def open_statuses(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/tickets/status/")
    expect(page.locator("#hd-reorder-root")).to_have_attribute("data-ready", "true")


def test_dragging_a_status_row_saves_the_new_order(live_daphne, page: Page, boss):
    sign_in(page, live_daphne, "boss")
    open_statuses(page, live_daphne)
    assert row_codes(page) == ["new", "in_progress", "waiting", "resolved", "closed"]

    grip = page.locator("#result_list tbody tr").nth(3).locator(".hd-reorder-grip").bounding_box()
    top = page.locator("#result_list tbody tr").first.bounding_box()
    assert grip is not None and top is not None
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    with page.expect_response(REORDER_URL) as saved:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x, y - 6, steps=3)
        page.mouse.move(x, top["y"] + 2, steps=15)
        page.mouse.move(x, top["y"] + 1, steps=2)
        page.mouse.up()
    assert saved.value.status == 200
    expect(page.get_by_test_id("reorder-status")).to_have_text("Новый порядок сохранён.")
    assert db_codes() == ["resolved", "new", "in_progress", "waiting", "closed"]
    assert page.locator("#result_list tbody td.field-order").first.inner_text() == "10"

    page.reload()
    expect(page.locator("#result_list tbody td.field-code").first).to_have_text("resolved")


def test_keyboard_moves_a_status_down_and_the_board_follows(live_daphne, page: Page, boss):
    agent = UserFactory(username="ivan", roles=[Role.AGENT])
    requester = UserFactory(username="olga", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])
    queue.board_statuses.set([status("new"), status("in_progress"), status("resolved")])
    TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    waiting = TicketFactory(queue=queue, requester=requester, actor=requester, title="Сеть")
    services.ticket_move(actor=agent, ticket=waiting, status=status("waiting"), version=1)

    sign_in(page, live_daphne, "boss")
    open_statuses(page, live_daphne)
    down = page.get_by_role("button", name="Переместить «Новая» вниз")
    down.focus()
    with page.expect_response(REORDER_URL) as saved:
        page.keyboard.press("Enter")
    assert saved.value.status == 200
    expect(down).to_be_focused()
    assert row_codes(page) == ["in_progress", "new", "waiting", "resolved", "closed"]
    assert db_codes() == ["in_progress", "new", "waiting", "resolved", "closed"]

    page.goto(f"{live_daphne}/board/hd/")
    columns = page.locator(".board-column")
    expect(columns).to_have_count(3)
    codes = [columns.nth(n).get_attribute("data-status") for n in range(3)]
    assert codes == ["in_progress", "new", "resolved"]
    hidden = page.get_by_test_id("board-hidden")
    expect(hidden).to_contain_text("Ожидает (1)")
    page.get_by_test_id("board-hidden-all").click()
    expect(page.get_by_text(waiting.key)).not_to_have_count(0)
