"""In real Chromium against daphne: the agent's tools. A password-reset ticket answered
with a canned reply (typed ``::``) and a macro in two clicks, a mention completed by
display name, two tickets merged, and the list driven by the keyboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets import services
from tickets.models import Comment, Macro, Source, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(transactional_db):
    agent = UserFactory(username="e2e-agent", roles=[Role.AGENT], language="en")
    colleague = UserFactory(
        username="e2e-petrov", first_name="Пётр", last_name="Петров", roles=[Role.AGENT]
    )
    manager = UserFactory(username="e2e-manager", roles=[Role.MANAGER])
    requester = UserFactory(username="e2e-requester", first_name="Anna", roles=[Role.REQUESTER])
    queue = QueueFactory(
        name="Service desk", key_prefix="HD", slug="hd", members=[agent, colleague]
    )
    reply = services.canned_reply_save(
        actor=manager,
        title="Password reset",
        body="Hello {{ requester.first_name }}, the password of {{ ticket.key }} is reset.",
        queue=queue,
    )
    return {"agent": agent, "requester": requester, "queue": queue, "reply": reply}


def test_password_reset_answered_with_a_canned_reply_and_a_macro(live_daphne, page: Page, desk):
    ticket = TicketFactory(
        queue=desk["queue"], requester=desk["requester"], actor=desk["requester"],
        title="Forgot my password",
    )  # fmt: skip
    Macro.objects.create(
        name="Password reset: resolved",
        status=status("resolved"),
        assignee_mode=Macro.AssigneeMode.ME,
        reply=desk["reply"],
    )
    sign_in(page, live_daphne, "e2e-agent")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")

    # "::" and a few letters: the picker, then the text inserted with its placeholders.
    body = page.locator("#id_body")
    body.click()
    body.press_sequentially("Note. ::pass")
    item = page.locator(".hd-completion li", has_text="Password reset")
    expect(item).to_be_visible()
    item.click()
    expected = f"Note. Hello Anna, the password of {ticket.key} is reset."
    expect(body).to_have_value(re.compile(rf"^{re.escape(expected)}\s?$"))

    # The Done-when scenario: the macro answers and resolves in two clicks.
    page.get_by_test_id("macro-menu").click()  # 1
    with page.expect_navigation():
        page.get_by_test_id("macro-item").filter(has_text="Password reset: resolved").click()  # 2
    expect(page.get_by_test_id("ticket-status")).to_contain_text("Resolved")
    posted = Comment.objects.get(ticket=ticket, source=Source.MACRO)
    assert posted.body == f"Hello Anna, the password of {ticket.key} is reset."
    assert TicketEvent.objects.filter(ticket=ticket, source=Source.MACRO, field="status").exists()


def test_mention_completes_by_display_name_and_renders_the_name(live_daphne, page: Page, desk):
    ticket = TicketFactory(
        queue=desk["queue"], requester=desk["requester"], actor=desk["requester"]
    )
    sign_in(page, live_daphne, "e2e-agent")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    body = page.locator("#id_body")
    body.click()
    body.press_sequentially("Look @Пётр")
    item = page.locator(".hd-completion li", has_text="Пётр Петров")
    expect(item).to_contain_text("@e2e-petrov")
    item.click()
    expect(body).to_have_value(re.compile(r"^Look @e2e-petrov"))
    with page.expect_navigation():
        page.get_by_test_id("comment-submit").click()
    mention = page.locator(".hd-mention").first
    expect(mention).to_have_text("@Пётр Петров")
    expect(mention.locator("a")).to_have_count(0)


def test_merge_two_tickets_then_the_list_by_keys(live_daphne, page: Page, desk):
    kept = TicketFactory(
        queue=desk["queue"], requester=desk["requester"], actor=desk["requester"], title="VPN"
    )
    duplicate = TicketFactory(
        queue=desk["queue"], requester=desk["requester"], actor=desk["requester"],
        title="VPN again",
    )  # fmt: skip
    sign_in(page, live_daphne, "e2e-agent")
    page.goto(f"{live_daphne}/tickets/{duplicate.key}/")
    page.get_by_test_id("merge-open").click()
    page.get_by_test_id("merge-target").fill(kept.key)
    with page.expect_navigation():
        page.get_by_test_id("merge-submit").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{kept.key}/$"))
    expect(page.locator(".alert-success")).to_contain_text(f"{duplicate.key} has been merged")
    page.goto(f"{live_daphne}/tickets/{duplicate.key}/")
    expect(page).to_have_url(re.compile(rf"/tickets/{kept.key}/$"))

    # The list: g l, then j j k, x selects, Enter opens.
    page.locator("body").press("g")
    with page.expect_navigation():
        page.locator("body").press("l")
    rows = page.locator("[data-ticket-row]")
    expect(rows.first).to_be_visible()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    current = page.locator("[data-ticket-row].hd-row-current")
    expect(current).to_have_count(1)
    key = current.get_attribute("data-ticket-key")
    assert key == rows.first.get_attribute("data-ticket-key")
    page.keyboard.press("x")
    expect(current.locator("[data-bulk-row]")).to_be_checked()
    page.keyboard.press("?")
    help_dialog = page.get_by_test_id("shortcuts-help")
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("k")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{key}/$"))
