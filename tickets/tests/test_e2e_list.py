"""The ticket list in real Chromium: bulk selection and the filter panel."""

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.e2e


def test_agent_assigns_two_tickets_to_self_in_bulk(live_daphne, page: Page):
    agent = UserFactory(username="agent1", roles=[Role.AGENT])
    queue = QueueFactory(name="Service desk", key_prefix="HD", slug="hd", members=[agent])
    tickets = [TicketFactory(queue=queue, title=f"Принтер {n}") for n in range(3)]
    sign_in(page, live_daphne, "agent1")
    page.goto(f"{live_daphne}/tickets/?sort=key")

    submit = page.locator("[data-bulk-submit]")
    expect(submit).to_be_disabled()
    page.locator(f'tr[data-ticket-key="{tickets[0].key}"] [data-bulk-row]').check()
    page.locator(f'tr[data-ticket-key="{tickets[1].key}"] [data-bulk-row]').check()
    expect(page.locator("[data-bulk-all]")).to_have_js_property("indeterminate", True)
    expect(page.locator("[data-bulk-count]")).to_contain_text("2")
    # The agent list only shows for "assign to…".
    expect(page.locator("#bulk-assignee")).to_be_hidden()
    page.locator("#bulk-action").select_option("assign")
    expect(page.locator("#bulk-assignee")).to_be_visible()
    page.locator("#bulk-action").select_option("assign_me")
    submit.click()

    expect(page.locator(".alert-success")).to_be_visible()
    expect(page).to_have_url(f"{live_daphne}/tickets/?sort=key")
    assigned = set(Ticket.objects.filter(assignee=agent).values_list("key", flat=True))
    assert assigned == {tickets[0].key, tickets[1].key}


def test_filter_panel_applies_and_a_chip_removes_a_filter(live_daphne, page: Page):
    agent = UserFactory(username="agent1", roles=[Role.AGENT])
    queue = QueueFactory(name="Service desk", key_prefix="HD", slug="hd", members=[agent])
    TicketFactory(queue=queue, title="Принтер", tags=["printer"])
    TicketFactory(queue=queue, title="Сеть")
    sign_in(page, live_daphne, "agent1")
    page.goto(f"{live_daphne}/tickets/")
    expect(page.locator("tbody tr")).to_have_count(2)

    page.locator("#list-tag").fill("printer")
    page.locator("#ticket-filters button[type=submit]").click()
    # Empty fields and defaults stay out of the URL.
    expect(page).to_have_url(f"{live_daphne}/tickets/?tag=printer")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator('[data-testid="filter-chips"] [data-param="tag"]')).to_be_visible()

    page.locator('[data-param="tag"] .hd-chip-remove').click()
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator('[data-testid="filter-chips"]')).to_have_count(0)
