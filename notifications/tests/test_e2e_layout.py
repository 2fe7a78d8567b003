"""Layout in real Chromium (issue 19): the unread badge on the bar of a narrow window, the
profile's notification matrix on a phone."""

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from notifications.models import Notification
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def agent_with_unread(transactional_db):
    agent = UserFactory(username="agent1", roles=[Role.AGENT])
    queue = QueueFactory(name="Служба поддержки", key_prefix="HD", slug="hd", members=[agent])
    TicketFactory(queue=queue, title="Принтер", assignee=agent)
    unread = Notification.objects.filter(recipient=agent, read_at__isnull=True).count()
    assert unread > 0
    return agent


def test_unread_badge_shows_on_the_bar_below_1200_px(live_daphne, page: Page, agent_with_unread):
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size({"width": 1000, "height": 800})
    # The bell is folded into the menu; its own badge is out of sight.
    expect(page.get_by_test_id("notification-bell")).to_be_hidden()
    bar_badge = page.get_by_test_id("notification-bar-badge")
    expect(bar_badge).to_be_visible()
    expect(bar_badge).not_to_have_text("0")
    box = bar_badge.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1000 and box["y"] >= 0

    # Wide windows show the bell itself, not a second badge.
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(page.get_by_test_id("notification-badge")).to_be_visible()
    expect(bar_badge).to_be_hidden()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_notification_matrix_fits_a_phone(live_daphne, page: Page, language):
    UserFactory(username="agent1", roles=[Role.AGENT], language=language)
    sign_in(page, live_daphne, "agent1")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_daphne}/accounts/profile/")
    matrix = page.get_by_test_id("notification-matrix")
    expect(matrix).to_be_visible()
    # Was 431 px wide in a 390 px window (Russian channel names).
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert matrix.evaluate("(table) => table.scrollWidth <= table.parentElement.clientWidth")
