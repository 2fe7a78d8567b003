"""In real Chromium against daphne and the real Redmine: an agent escalates a ticket, an
operator tests the connection from the admin."""

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from integrations.models import RedmineLink, RedmineProject
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = [pytest.mark.e2e, pytest.mark.redmine]


@pytest.fixture
def live_daphne_env(redmine_server) -> dict:
    return {
        "REDMINE_URL": redmine_server.url,
        "REDMINE_API_KEY": redmine_server.api_key,
        "REDMINE_SYNC_ENABLED": "true",
    }


def test_agent_creates_the_redmine_issue_from_the_ticket_page(
    live_daphne, page: Page, redmine_server, redmine_project
):
    agent = UserFactory(username="e2e-agent", roles=[Role.AGENT], language="en")
    queue = QueueFactory(name="Network", key_prefix="NET", slug="net", members=[agent])
    RedmineProject.objects.create(
        redmine_id=redmine_project["id"], name=redmine_project["name"], queue=queue
    )
    ticket = TicketFactory(queue=queue, title="Core switch reboots at night", actor=agent)

    sign_in(page, live_daphne, "e2e-agent")
    page.goto(f"{live_daphne}/tickets/{ticket.key}/")
    panel = page.get_by_test_id("redmine-panel")
    expect(panel).to_contain_text(redmine_project["name"])
    with page.expect_navigation():
        panel.get_by_test_id("redmine-escalate").click()

    link = RedmineLink.objects.get(ticket=ticket)
    expect(page.locator(".alert-success")).to_contain_text(
        f"Redmine issue #{link.issue_id} was created and linked to {ticket.key}"
    )
    issue_link = page.get_by_test_id("redmine-issue-link")
    expect(issue_link).to_have_text(f"Issue #{link.issue_id}")
    expect(issue_link).to_have_attribute(
        "href", re.compile(rf"{re.escape(redmine_server.url)}/issues/{link.issue_id}$")
    )
    expect(page.get_by_test_id("redmine-escalate")).to_have_count(0)
    answer = requests.get(
        f"{redmine_server.url}/issues/{link.issue_id}.json",
        headers=redmine_server.headers,
        timeout=30,
    )
    issue = answer.json()["issue"]
    assert issue["subject"] == "Core switch reboots at night"
    assert issue["project"]["id"] == redmine_project["id"]


def test_operator_tests_the_connection_from_the_admin(live_daphne, page: Page, redmine_project):
    UserFactory(username="e2e-root", is_staff=True, is_superuser=True, language="en")
    sign_in(page, live_daphne, "e2e-root")
    page.goto(f"{live_daphne}/admin/integrations/syncrun/")
    with page.expect_navigation():
        page.get_by_test_id("redmine-test").click()
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("the key belongs to admin (administrator)")
    expect(messages).to_contain_text("No project is mapped to a queue yet.")
