"""In real Chromium against daphne: the profile page's preferences and API tokens."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ApiToken, User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in

pytestmark = pytest.mark.e2e


def test_preferences_and_a_token_from_the_profile(live_daphne, page: Page, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    user = UserFactory(username="agent1", roles=[Role.AGENT])
    sign_in(page, live_daphne, "agent1")
    page.goto(f"{live_daphne}/accounts/profile/")

    page.get_by_role("combobox", name="Тема").select_option("dark")
    page.get_by_label("Звуковой сигнал при новых уведомлениях").uncheck()
    page.get_by_role("combobox", name="Язык").select_option("en")
    page.get_by_test_id("profile-save").click()

    expect(page.get_by_role("alert").filter(has_text="Profile saved.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    user.refresh_from_db()
    assert (user.theme, user.language, user.sound_enabled) == ("dark", "en", False)

    page.get_by_label("New token").fill("Reports script")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("new-token-secret").input_value()
    assert secret.startswith("hd_")
    # The clipboard wants the page focused, and its answer goes through the browser
    # process: on a loaded machine it may take longer than an expectation's default 5 s.
    page.bring_to_front()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible(timeout=15_000)

    # The secret is shown once: not after a reload.
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert secret not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke the token “Reports script”").click()
    expect(page.get_by_test_id("api-tokens-empty")).to_be_visible()
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert User.objects.get(pk=user.pk).is_active
