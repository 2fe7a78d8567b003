"""The list's extension point: other apps' buttons, each shown only when its context says so."""

import pytest
from django.test import Client
from django.urls import reverse

from tickets.list_actions import list_actions_for, register_list_action, unregister_list_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def actions(settings, tmp_path):
    (tmp_path / "action.html").write_text('<a data-testid="extra" href="?{{ query }}">x</a>')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    register_list_action(
        "extra",
        "action.html",
        context=lambda request: (
            {"query": request.GET.urlencode()} if request.user.is_staff else None
        ),
        order=1,
    )
    yield
    unregister_list_action("extra")


def test_registered_action_renders_with_the_lists_query(actions, manager, agent, queue):
    client = Client()
    client.force_login(manager)
    body = client.get(reverse("tickets:list"), {"priority": "high"}).content.decode()
    assert 'data-testid="extra" href="?priority=high"' in body
    client.force_login(agent)  # not staff: the context leaves the action out
    assert 'data-testid="extra"' not in client.get(reverse("tickets:list")).content.decode()


def test_unregistered_action_is_gone(actions, rf, manager):
    unregister_list_action("extra")
    request = rf.get("/tickets/")
    request.user = manager
    assert all("extra" not in html for html in list_actions_for(request))
