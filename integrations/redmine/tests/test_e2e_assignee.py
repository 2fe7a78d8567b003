"""In real Chromium: an agent picking an assignee Redmine would refuse is warned before
the change is saved, and may cancel it."""

import pytest
from playwright.sync_api import Dialog, Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from integrations.models import RedmineLink, RedmineProject, RedmineUser
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_daphne_env() -> dict:
    # The page never calls Redmine; the panel only needs the sync switched on.
    return {
        "REDMINE_URL": "http://127.0.0.1:9",
        "REDMINE_API_KEY": "test-key",
        "REDMINE_SYNC_ENABLED": "true",
    }


def test_an_assignee_outside_the_redmine_project_is_confirmed_first(live_daphne, page: Page):
    agent = UserFactory(
        username="e2e-agent", first_name="Анна", last_name="Смирнова", roles=[Role.AGENT]
    )
    outsider = UserFactory(
        username="e2e-outsider", first_name="Пётр", last_name="Петров", roles=[Role.AGENT]
    )
    queue = QueueFactory(name="Сеть", key_prefix="NET", slug="net", members=[agent, outsider])
    RedmineProject.objects.create(redmine_id=10, name="Сеть", queue=queue, assignable_ids=[7])
    RedmineUser.objects.create(redmine_id=7, login="smirnova", user=agent)
    RedmineUser.objects.create(redmine_id=8, login="petrov", user=outsider)
    ticket = TicketFactory(queue=queue, title="Не работает VPN", actor=agent)
    RedmineLink.objects.create(ticket=ticket, issue_id=101, project_id=10)

    sign_in(page, live_daphne, "e2e-agent")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    select = page.locator("#field-assignee")
    expect(select.locator(f'option[value="{outsider.pk}"]')).to_have_text(
        "Пётр Петров (не в проекте Redmine)"
    )
    expect(select.locator(f'option[value="{agent.pk}"]')).to_have_text("Анна Смирнова")

    messages: list[str] = []

    def refuse(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    select.select_option(str(outsider.pk))
    expect(select).to_have_value("")  # cancelled: back to what it was, nothing sent
    assert "Пётр Петров" in messages[0] and "Сеть" in messages[0]
    page.wait_for_timeout(300)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        select.select_option(str(outsider.pk))
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == outsider.pk
    expect(page.get_by_test_id("redmine-assignee-outside")).to_contain_text("Пётр Петров")
