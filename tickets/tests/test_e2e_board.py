"""The board in real Chromium against daphne: a drag that sticks, a stale drag that bounces."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets import services
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.e2e

MOVE_URL = re.compile(r"/api/v1/tickets/\d+/move/$")


@pytest.fixture
def desk(transactional_db):
    """An HD queue with two agents and two tickets in "new" (made before the server reads
    the workflow, so its cache holds these statuses)."""
    agent = UserFactory(username="ivan", first_name="Иван", last_name="Сидоров", roles=[Role.AGENT])
    other = UserFactory(username="anna", first_name="Анна", last_name="Петрова", roles=[Role.AGENT])
    requester = UserFactory(username="olga", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent, other])
    first = TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    second = TicketFactory(queue=queue, requester=requester, actor=requester, title="Сеть")
    return {"agent": agent, "other": other, "queue": queue, "first": first, "second": second}


def column_cards(page: Page, code: str) -> Locator:
    return page.locator(f'.board-column[data-status="{code}"] .board-cards')


def open_board(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/board/hd/")
    expect(page.locator("#board")).to_have_attribute("data-drag-ready", "true")


def drag(page: Page, card: Locator, target: Locator) -> None:
    """Drag with real mouse events in small steps, as a person would (SortableJS fallback)."""
    grip = card.locator(".board-card-title").bounding_box()
    drop = target.bounding_box()
    assert grip is not None and drop is not None
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    page.mouse.move(drop["x"] + drop["width"] / 2, drop["y"] + 40, steps=20)
    page.mouse.move(drop["x"] + drop["width"] / 2, drop["y"] + 44, steps=4)
    page.mouse.up()


def test_dragged_card_stays_in_its_new_column_after_a_reload(live_daphne, page: Page, desk):
    ticket = desk["first"]
    sign_in(page, live_daphne, "ivan")
    open_board(page, live_daphne)
    card = page.locator(f"#ticket-card-{ticket.pk}")
    expect(column_cards(page, "new").locator(card)).to_have_count(1)

    with page.expect_response(MOVE_URL) as moved:
        drag(page, card, column_cards(page, "in_progress"))
    assert moved.value.status == 200
    expect(column_cards(page, "in_progress").locator(f"#ticket-card-{ticket.pk}")).to_have_count(1)
    expect(card).to_have_attribute("data-version", "2")
    expect(card).to_have_attribute("data-status", "in_progress")
    counts = page.locator(".board-column[data-status='in_progress'] [data-column-count]")
    expect(counts).to_have_text("1")

    page.reload()
    expect(column_cards(page, "in_progress").locator(f"#ticket-card-{ticket.pk}")).to_have_count(1)
    expect(column_cards(page, "new").locator(".board-card")).to_have_count(1)
    ticket.refresh_from_db()
    assert ticket.status.code == "in_progress"
    assert ticket.version == 2


def test_stale_drag_shows_who_moved_the_card_and_puts_it_back(live_daphne, page: Page, desk):
    ticket = desk["first"]
    sign_in(page, live_daphne, "ivan")
    open_board(page, live_daphne)
    card = page.locator(f"#ticket-card-{ticket.pk}")
    expect(card).to_have_attribute("data-version", "1")

    # Meanwhile another agent reorders the card in its column: its version moves on.
    services.ticket_move(
        actor=desk["other"], ticket=ticket, status=status("new"), version=1, previous_id=None
    )

    with page.expect_response(MOVE_URL) as moved:
        drag(page, card, column_cards(page, "waiting"))
    assert moved.value.status == 409
    alert = page.get_by_test_id("board-alert-message")
    expect(alert).to_contain_text("Анна Петрова")
    expect(alert).to_contain_text(ticket.key)
    expect(column_cards(page, "new").locator(f"#ticket-card-{ticket.pk}")).to_have_count(1)
    expect(column_cards(page, "waiting").locator(".board-card")).to_have_count(0)
    # The card was refreshed from the server, so the next drag uses the current version.
    expect(card).to_have_attribute("data-version", "2")
    assert Ticket.objects.get(pk=ticket.pk).status == status("new")

    with page.expect_response(MOVE_URL) as moved:
        drag(page, card, column_cards(page, "waiting"))
    assert moved.value.status == 200
    expect(column_cards(page, "waiting").locator(f"#ticket-card-{ticket.pk}")).to_have_count(1)


def test_keyboard_menu_filters_and_live_moves(live_daphne, page: Page, desk):
    first, second = desk["first"], desk["second"]
    services.ticket_assign(actor=desk["agent"], ticket=second, assignee=desk["agent"])
    sign_in(page, live_daphne, "ivan")
    page.goto(f"{live_daphne}/board/hd/?mine=1")
    expect(page.locator("#board")).to_have_attribute("data-drag-ready", "true")

    # The filter from the URL is applied: only the card assigned to me is shown.
    first_card = page.locator(f"#ticket-card-{first.pk}")
    second_card = page.locator(f"#ticket-card-{second.pk}")
    expect(first_card).to_be_hidden()
    expect(second_card).to_be_visible()
    new_count = page.locator(".board-column[data-status='new'] [data-column-count]")
    expect(new_count).to_have_text("1/2")
    page.locator("#board-filter-mine").uncheck(force=True)
    expect(first_card).to_be_visible()
    expect(new_count).to_have_text("2")
    page.locator("#board-filter-text").fill(first.key)
    expect(second_card).to_be_hidden()
    assert f"text={first.key}" in page.url
    page.locator("#board-filter-text").fill("")
    expect(second_card).to_be_visible()

    # Alt+→ moves the focused card to the next column.
    with page.expect_response(MOVE_URL) as moved:
        first_card.focus()
        page.keyboard.press("Alt+ArrowRight")
    assert moved.value.status == 200
    expect(column_cards(page, "in_progress").locator(first_card)).to_have_count(1)
    expect(first_card).to_be_focused()
    expect(page.locator("#board-announcer")).to_contain_text(first.key)

    # The ⋮ menu offers the other columns.
    first_card.locator(".board-card-menu-button").click()
    menu = first_card.locator("[data-card-menu]")
    expect(menu.locator("button")).to_have_count(6)  # 4 other columns, up, down
    with page.expect_response(MOVE_URL) as moved:
        menu.locator("button").nth(2).click()  # new, waiting, resolved: the third
    assert moved.value.status == 200
    expect(column_cards(page, "resolved").locator(first_card)).to_have_count(1)
    first.refresh_from_db()
    assert first.status.code == "resolved"
    assert first.version == 3

    # A move made elsewhere arrives over the live connection and is applied.
    page.evaluate(
        """(detail) => document.dispatchEvent(new CustomEvent("helpdesk:live", {detail}))""",
        {
            "type": "ticket.moved",
            "ticket_id": second.pk,
            "status_id": status("waiting").pk,
            "status": "waiting",
            "previous_id": None,
            "next_id": None,
            "version": second.version + 5,
        },
    )
    expect(column_cards(page, "waiting").locator(second_card)).to_have_count(1)
    expect(second_card).to_have_attribute("data-version", str(second.version + 5))
    expect(second_card).to_have_attribute("data-status", "waiting")
    # Unknown tickets are ignored.
    assert (
        page.evaluate(
            "() => window.helpdeskBoard.applyMove({ticket_id: 987654, status: 'new', version: 9})"
        )
        is False
    )
