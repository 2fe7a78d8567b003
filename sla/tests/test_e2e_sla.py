"""The SLA badge in real Chromium against daphne: a board card's badge turns red once its
target has passed (the stored history moved into the past and the periodic check run;
no real minutes waited)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from sla.models import Clock, Policy
from sla.services import sla_check
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(transactional_db):
    agent = UserFactory(username="ivan", first_name="Иван", last_name="Сидоров", roles=[Role.AGENT])
    requester = UserFactory(username="olga", roles=[Role.REQUESTER])
    queue = QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])
    Policy.objects.create(name="Срочные", queue=queue, first_response_minutes=30)
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Сервер")
    return {"agent": agent, "ticket": ticket}


def test_board_badge_turns_red_when_the_target_passes(live_daphne, page: Page, desk) -> None:
    ticket = desk["ticket"]
    sign_in(page, live_daphne, "ivan")
    page.goto(f"{live_daphne}/board/hd/")
    badge = page.locator(f"#ticket-card-{ticket.pk} [data-testid='sla-badge']")
    expect(badge).to_have_attribute("data-sla", "running")
    expect(badge).to_contain_text("мин")

    # The ticket was filed 31 minutes ago: the check finds the breach and stores it.
    earlier = timezone.now() - dt.timedelta(minutes=31)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=earlier)
    TicketEvent.objects.filter(ticket=ticket).update(created_at=earlier)
    Clock.objects.filter(ticket=ticket).update(check_at=earlier)
    assert sla_check() == 1
    page.reload()
    expect(badge).to_have_attribute("data-sla", "breached")
    expect(badge).to_have_class(re.compile(r"text-bg-danger"))


def test_an_open_board_turns_the_badge_amber_then_red_on_time(
    live_daphne, page: Page, desk
) -> None:
    """No reload and no check run: the badge counts down in the page (the browser's clock
    moved forward, never waited)."""
    ticket = desk["ticket"]
    page.clock.install()
    sign_in(page, live_daphne, "ivan")
    page.goto(f"{live_daphne}/board/hd/")
    badge = page.locator(f"#ticket-card-{ticket.pk} [data-testid='sla-badge']")
    expect(badge).to_have_attribute("data-sla", "running")
    page.clock.fast_forward("25:00")  # past 80 % of the 30 minutes
    expect(badge).to_have_attribute("data-sla", "at_risk")
    expect(badge).to_have_class(re.compile(r"text-bg-warning"))
    expect(badge).to_contain_text("мин")
    page.clock.fast_forward("06:00")
    expect(badge).to_have_attribute("data-sla", "breached")
    expect(badge).to_have_class(re.compile(r"text-bg-danger"))
    expect(badge).to_contain_text("нарушен")
