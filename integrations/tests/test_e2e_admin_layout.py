"""The sync runs page in real Chromium (issue 19): in Russian the five tool buttons used to
cover the page's title."""

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_daphne_env(tmp_path) -> dict:
    # Both tool sets on; nothing here calls the ERP or Redmine.
    return {
        "ERP_AUTH_ENABLED": "true",
        "ERP_GATEWAY": "accounts.erp_fake.FakeERPGateway",
        "ERP_FAKE_DIRECTORY": str(tmp_path / "erp.json"),
        "REDMINE_URL": "http://127.0.0.1:9",
        "REDMINE_API_KEY": "test-key",
    }


OVERLAPS = """() => {
    const title = document.querySelector("#content h1").getBoundingClientRect();
    return [...document.querySelectorAll(".object-tools .button")].filter((button) => {
        const box = button.getBoundingClientRect();
        return !(box.left >= title.right || box.right <= title.left
            || box.top >= title.bottom || box.bottom <= title.top);
    }).length;
}"""


@pytest.mark.parametrize("width", [1440, 1000, 390])
def test_sync_tools_do_not_cover_the_title(live_daphne, page: Page, width):
    UserFactory(username="root", is_staff=True, is_superuser=True, language="ru")
    sign_in(page, live_daphne, "root")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_daphne}/admin/integrations/syncrun/")
    expect(page.locator(".object-tools .button")).to_have_count(5)
    assert page.evaluate(OVERLAPS) == 0
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
