"""In real Chromium against daphne: sign in, live socket, theme, splash screen."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def skip_splash(page: Page) -> None:
    splash = page.locator("#splash")
    if "splash-pending" in (page.locator("html").get_attribute("class") or ""):
        page.keyboard.press("Escape")
        expect(splash).to_have_class(re.compile(r"splash-skip"))
    expect(splash).to_be_hidden()


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    skip_splash(page)
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


def choose_theme(page: Page, label: str) -> None:
    page.get_by_title("Тема").click()
    page.get_by_role("button", name=label).click()


def test_agent_switches_to_dark_and_it_survives_a_reload(live_daphne, page: Page, browser):
    agent = UserFactory(username="agent1", roles=[Role.AGENT])
    sign_in(page, live_daphne, "agent1")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")

    # The live connection to /ws/ is accepted for the signed-in user.
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "online")

    with page.expect_response(re.compile(r"/accounts/theme/$")) as saved:
        choose_theme(page, "Тёмная")
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


def test_theme_chosen_before_signing_in_goes_to_the_account(live_daphne, page: Page):
    agent = UserFactory(username="agent2", roles=[Role.AGENT])
    page.goto(f"{live_daphne}/accounts/login/")
    skip_splash(page)
    choose_theme(page, "Тёмная")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    with page.expect_response(re.compile(r"/accounts/theme/$")):
        sign_in(page, live_daphne, "agent2")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    agent.refresh_from_db()
    assert agent.theme == User.Theme.DARK


def test_splash_animates_once_per_browser_session(live_daphne, page: Page):
    page.goto(f"{live_daphne}/accounts/login/")
    splash = page.locator("#splash")
    expect(splash).to_be_visible()
    logo = page.locator("#splash .splash-logo")
    assert logo.evaluate("el => getComputedStyle(el).animationName") == "splash-pop"
    # CSS hides it by itself, so it never holds the page back for long.
    assert splash.evaluate("el => getComputedStyle(el).animationName") == "splash-out"
    expect(splash).to_be_hidden(timeout=2000)
    # Not again in this browser session, neither on reload nor in another tab.
    page.reload()
    expect(splash).to_be_hidden()
    other_tab = page.context.new_page()
    other_tab.goto(f"{live_daphne}/accounts/login/")
    assert "splash-pending" not in (other_tab.locator("html").get_attribute("class") or "")


def test_splash_only_fades_when_less_motion_is_wanted(live_daphne, browser):
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{live_daphne}/accounts/login/")
        splash = page.locator("#splash")
        expect(splash).to_be_visible()
        animation = page.locator("#splash .splash-logo").evaluate(
            "el => getComputedStyle(el).animationName"
        )
        assert animation == "none"
        assert splash.evaluate("el => getComputedStyle(el).animationName") == "splash-out"
        expect(splash).to_be_hidden(timeout=2000)
    finally:
        context.close()
