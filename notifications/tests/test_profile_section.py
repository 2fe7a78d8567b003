"""The profile's "Notifications" section: the matrix of events and channels, saving it,
and the button that turns on browser push."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from accounts import profile_sections
from helpdesk.urls import urlpatterns as project_urlpatterns
from notifications import profile
from notifications.models import Channel, Event, NotificationPreference
from notifications.preferences import default

# The project's URLs with this app's pages, however the project includes them.
urlpatterns = [path("", include("notifications.views")), *project_urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PROFILE = "/accounts/profile/"
CELLS = len(Event) * len(Channel)


@pytest.fixture(autouse=True)
def section():
    before = profile_sections._sections.get(profile.SECTION)
    profile.register()
    yield
    if before is None:
        profile_sections.unregister_section(profile.SECTION)
    else:
        profile_sections._sections[profile.SECTION] = before


@pytest.fixture
def save_url():
    return reverse("notifications:preferences")


def checked(html: str) -> set[str]:
    """Names of the ticked boxes of the matrix."""
    inputs = re.findall(r'<input type="checkbox" name="\w+__\w+"[^>]*>', html)
    names = set()
    for box in inputs:
        if " checked" in box:
            name = re.search(r'name="([^"]+)"', box)
            assert name is not None
            names.add(name.group(1))
    return names


def boxes(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="(\w+__\w+)"', html)


def test_the_section_in_russian(client, agent, save_url):
    client.force_login(agent)
    response = client.get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert 'data-profile-section="notifications"' in html
    assert 'id="notifications"' in html and "Уведомления" in html
    assert "Эл. почта" in html
    assert f'action="{save_url}"' in html
    assert len(boxes(html)) == CELLS
    assert checked(html) == {
        f"{e}__{c}" for e in Event.values for c in Channel.values if default(e, c)
    }
    assert "data-push-enable" in html
    assert '<script type="module" src="/static/js/push.js">' in html
    # Outside the profile's own form: it has a form of its own.
    assert html.index('data-profile-section="notifications"') > html.index("</form>")


def test_the_section_in_english(client, agent):
    agent.language = "en"
    agent.save()
    client.force_login(agent)
    html = client.get(PROFILE).content.decode()
    assert '<html lang="en"' in html
    for text in (
        "Notifications",
        "In the app",
        "Browser push",
        "E-mail",
        "Assigned to me",
        "Overdue",
        "Enable browser notifications on this device",
    ):
        assert text in html
    # Every box is labelled for screen readers: the event and the channel.
    assert "Assigned to me — Browser push" in html


def test_the_section_shows_saved_choices(client, agent):
    NotificationPreference.objects.create(
        user=agent, event=Event.ASSIGNED, channel=Channel.EMAIL, enabled=False
    )
    NotificationPreference.objects.create(
        user=agent, event=Event.COMMENTED, channel=Channel.EMAIL, enabled=True
    )
    client.force_login(agent)
    ticked = checked(client.get(PROFILE).content.decode())
    assert "assigned__email" not in ticked and "commented__email" in ticked


def test_the_section_costs_one_query(client, agent):
    client.force_login(agent)
    client.get(PROFILE)  # warm the caches
    with CaptureQueriesContext(connection) as with_section:
        client.get(PROFILE)
    profile_sections.unregister_section(profile.SECTION)
    with CaptureQueriesContext(connection) as without:
        client.get(PROFILE)
    assert len(with_section) == len(without) + 1


def test_saving_the_matrix(client, agent, save_url):
    client.force_login(agent)
    ticked = {f"{e}__{c}": "on" for e in Event.values for c in Channel.values if default(e, c)}
    del ticked["assigned__push"]
    ticked["commented__email"] = "on"

    response = client.post(save_url, ticked)

    assert response.status_code == 302
    assert response["Location"] == f"{PROFILE}#notifications"
    rows = {
        (row.event, row.channel): row.enabled
        for row in NotificationPreference.objects.filter(user=agent)
    }
    assert rows == {("assigned", "push"): False, ("commented", "email"): True}
    page = client.get(PROFILE).content.decode()
    assert "Notification settings saved." in page or "Настройки уведомлений сохранены." in page
    assert "assigned__push" not in checked(page)


def test_unticking_everything_turns_everything_off(client, agent, save_url):
    client.force_login(agent)
    client.post(save_url, {})
    # Only the cells that are on by default need a row to be off.
    on_by_default = sum(default(e, c) for e in Event.values for c in Channel.values)
    rows = NotificationPreference.objects.filter(user=agent)
    assert rows.count() == rows.filter(enabled=False).count() == on_by_default
    # And ticking the defaults again leaves no rows at all.
    client.post(
        save_url,
        {f"{e}__{c}": "on" for e in Event.values for c in Channel.values if default(e, c)},
    )
    assert not NotificationPreference.objects.filter(user=agent).exists()


def test_saving_needs_the_csrf_token(agent, save_url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(save_url, {"assigned__ws": "on"}).status_code == 403
    assert not NotificationPreference.objects.exists()

    client.get(PROFILE)
    token = client.cookies["csrftoken"].value
    response = client.post(save_url, {"assigned__ws": "on", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert NotificationPreference.objects.filter(user=agent).exists()


def test_saving_needs_sign_in_and_a_post(client, agent, save_url):
    response = client.post(save_url, {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not NotificationPreference.objects.exists()
    client.force_login(agent)
    assert client.get(save_url).status_code == 405
