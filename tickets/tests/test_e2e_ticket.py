"""In real Chromium against daphne: the ticket page's side panel, preview and comments."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets.models import Comment
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.e2e


def test_agent_changes_the_status_and_comments_with_a_preview(live_daphne, page: Page):
    agent = UserFactory(username="e2e-agent", roles=[Role.AGENT], language="en")
    requester = UserFactory(username="e2e-requester", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Service desk", key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(
        queue=queue, requester=requester, actor=requester, title="Printer on floor 3"
    )

    sign_in(page, live_daphne, "e2e-agent")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    expect(page.get_by_test_id("ticket-title")).to_contain_text("Printer on floor 3")

    # The side panel saves a field as soon as a value is picked (no button needed).
    save_button = page.get_by_test_id("field-status").get_by_role("button")
    expect(save_button).to_be_hidden()
    with page.expect_navigation():
        page.locator("#field-status").select_option(label="In progress")
    expect(page.get_by_test_id("ticket-status")).to_contain_text("In progress")
    expect(page.locator(".alert-success")).to_contain_text(f"{ticket.key} has been updated")
    status_entry = page.locator('[data-entry-kind="event"][data-event-field="status"]')
    expect(status_entry).to_contain_text("changed the status from New to In progress")
    ticket.refresh_from_db()
    assert ticket.status == status("in_progress")

    # Write, look at the preview rendered by the server, then send.
    page.locator("#id_body").fill("Replaced the **toner**.\n\n<script>window.bad = 1</script>")
    page.get_by_role("tab", name="Preview").click()
    preview = page.get_by_test_id("markdown-preview")
    expect(preview.locator("strong")).to_have_text("toner")
    expect(preview.locator("script")).to_have_count(0)
    expect(page.locator("#id_body")).to_be_hidden()
    page.get_by_role("tab", name="Write").click()
    expect(page.locator("#id_body")).to_be_visible()
    page.get_by_role("tab", name="Preview").click()

    submit = page.get_by_test_id("comment-submit")
    expect(submit).to_have_text(re.compile("Send reply"))
    with page.expect_navigation():
        submit.click()

    added = Comment.objects.get(ticket=ticket)
    card = page.locator(f"#comment-{added.pk}")
    expect(card).to_be_visible()
    expect(card.get_by_test_id("comment-body").locator("strong")).to_have_text("toner")
    assert page.evaluate("window.bad") is None

    # The filter shows comments only, then the history only.
    page.get_by_role("button", name=re.compile("^Comments")).click()
    expect(status_entry).to_be_hidden()
    expect(card).to_be_visible()
    page.get_by_role("button", name="History").click()
    expect(card).to_be_hidden()
    expect(status_entry).to_be_visible()


def test_requester_sees_a_redacted_comment_and_confirms_the_solution(live_daphne, page: Page):
    from tickets import services

    agent = UserFactory(username="e2e-agent", roles=[Role.AGENT], first_name="Ольга")
    requester = UserFactory(username="e2e-requester", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Нет VPN")
    note = services.comment_add(actor=requester, ticket=ticket, body="Мой пароль: hunter2")
    services.comment_edit(actor=agent, comment=note, body="Мой пароль: ***", reason="Убран пароль")
    services.ticket_reply(
        actor=agent, ticket=ticket, body="Перевыпустили сертификат.", status=status("resolved")
    )

    sign_in(page, live_daphne, "e2e-requester")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    card = page.locator(f"#comment-{note.pk}")
    expect(card.get_by_test_id("comment-edited")).to_contain_text("изменено: Ольга")
    expect(card.get_by_test_id("comment-edit-reason")).to_contain_text("Убран пароль")
    expect(card.get_by_test_id("comment-history")).to_have_count(0)
    expect(card.get_by_test_id("comment-edit-form")).to_have_count(0)
    expect(page.get_by_test_id("reopen-ticket")).to_have_text(re.compile("Открыть снова"))
    confirm = page.get_by_test_id("confirm-resolved")
    expect(confirm).to_have_text(re.compile("Проблема решена"))
    with page.expect_navigation():
        confirm.click()
    expect(page.get_by_test_id("ticket-status")).to_contain_text("Закрыта")
    expect(page.get_by_test_id("confirm-resolved")).to_have_count(0)
