"""In real Chromium against daphne: sign in, live socket, theme that survives a reload."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    splash = page.locator("#splash")
    if splash.is_visible():
        splash.click()
    expect(splash).to_be_hidden()
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


def test_agent_switches_to_dark_and_it_survives_a_reload(live_daphne, page: Page, browser):
    agent = UserFactory(username="agent1", roles=[Role.AGENT])
    sign_in(page, live_daphne, "agent1")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")

    # The live connection to /ws/ is accepted for the signed-in user.
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "online")

    page.get_by_title("Тема").click()
    with page.expect_response(re.compile(r"/accounts/theme/$")) as saved:
        page.get_by_role("button", name="Тёмная").click()
    assert saved.value.ok
    expect(html).to_have_attribute("data-bs-theme", "dark")

    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    agent.refresh_from_db()
    assert agent.theme == User.Theme.DARK

    # A browser that never saw the choice gets it from the account.
    other = browser.new_context(color_scheme="light")
    try:
        fresh = other.new_page()
        sign_in(fresh, live_daphne, "agent1")
        expect(fresh.locator("html")).to_have_attribute("data-bs-theme", "dark")
    finally:
        other.close()


def test_splash_shows_once_per_session_and_respects_reduced_motion(live_daphne, browser):
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{live_daphne}/accounts/login/")
        splash = page.locator("#splash")
        expect(splash).to_be_visible()
        # No movement when the user asks for less: only a fade.
        animation = page.locator("#splash .splash-logo").evaluate(
            "el => getComputedStyle(el).animationName"
        )
        assert animation == "none"
        # It goes away by itself in about a second.
        expect(splash).to_be_hidden(timeout=2000)
        page.reload()
        assert "splash-pending" not in (page.locator("html").get_attribute("class") or "")
        expect(splash).to_be_hidden()
    finally:
        context.close()
