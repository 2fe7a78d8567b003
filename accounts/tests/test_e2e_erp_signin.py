"""In real Chromium against daphne: ERP accounts sign in through the sign-in page.

The live server runs with ERP sign-in on and the fake ERP gateway, whose directory file
this test writes (the server reads it on every sign-in).
"""

import pytest
from playwright.sync_api import Page, expect

from accounts.erp_fake import FakeDirectory
from accounts.models import ResponsibilityRole, User
from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD
from accounts.tests.test_e2e_theme import skip_splash

pytestmark = pytest.mark.e2e

ERP_PASSWORD = "Welcome#2026"


@pytest.fixture
def erp_directory(tmp_path):
    return FakeDirectory(tmp_path / "erp.json")


@pytest.fixture
def live_daphne_env(erp_directory):
    return {
        "ERP_AUTH_ENABLED": "true",
        "ERP_GATEWAY": "accounts.erp_fake.FakeERPGateway",
        "ERP_FAKE_DIRECTORY": str(erp_directory.path),
    }


def fill_sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def test_erp_agent_signs_in_and_lands_on_the_ticket_list(live_daphne, page: Page, erp_directory):
    ResponsibilityRole.objects.create(responsibility_key="XX_HELPDESK_AGENT", role=Role.AGENT)
    erp_directory.add(
        "KOZLOV_AV",
        ERP_PASSWORD,
        first_name="Андрей",
        last_name="Козлов",
        department="Отдел ИТ",
        responsibilities=["XX_HELPDESK_AGENT"],
    )

    page.goto(f"{live_daphne}/tickets/")
    skip_splash(page)
    fill_sign_in(page, "kozlov_av", ERP_PASSWORD)

    expect(page).to_have_url(f"{live_daphne}/tickets/")
    expect(page.get_by_test_id("user-name")).to_have_text("Андрей Козлов")
    page.goto(f"{live_daphne}/")
    expect(page.get_by_test_id("role")).to_have_text("Специалист поддержки")
    user = User.objects.get(erp_username="KOZLOV_AV")
    assert user.department == "Отдел ИТ" and not user.has_usable_password()


def test_end_dated_refused_and_erp_down_explained(live_daphne, page: Page, erp_directory, admin):
    erp_directory.add("GONE", ERP_PASSWORD, end_date="2020-01-01")
    page.goto(f"{live_daphne}/accounts/login/")
    skip_splash(page)

    fill_sign_in(page, "gone", ERP_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Неверное имя пользователя или пароль")

    erp_directory.set_down()
    fill_sign_in(page, "gone", ERP_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("ERP сейчас недоступна")

    # Local accounts do not depend on the ERP.
    fill_sign_in(page, "admin", TEST_PASSWORD)
    expect(page.get_by_test_id("user-name")).to_be_visible()
