"""What every ``/api/v1/`` endpoint must do, found through the URL resolver so that a new
endpoint is checked too: answer OPTIONS."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from notifications.models import Event, Notification
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _api_patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    """(URL name, route) of every named pattern under ``api/v1/``."""
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _api_patterns(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/") and entry.name:
            found.append((entry.name, route))
    return found


API_NAMES = sorted({name for name, _route in _api_patterns(get_resolver())})


@pytest.fixture
def urls(client, agent, requester, settings, tmp_path) -> dict[str, str]:
    """A URL with real ids for every API route name, for a signed-in agent."""
    settings.MEDIA_ROOT = str(tmp_path)
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    attachment = services.attachment_add(
        actor=requester, ticket=ticket, files=[SimpleUploadedFile("a.txt", b"x")]
    )[0]
    view = services.saved_view_save(user=agent, name="Мои", query="assignee=me")
    notification = Notification.objects.create(
        recipient=agent, event=Event.ASSIGNED, ticket=ticket, params={"key": ticket.key}
    )
    kwargs = {
        "api-ticket-move": {"pk": ticket.pk},
        "api-saved-view": {"pk": view.pk},
        "api-notification-read": {"pk": notification.pk},
        "api-ticket-attachment-download": {"ref": ticket.key, "attachment_id": attachment.pk},
    }
    agent.language = "en"  # answers in English
    agent.save(update_fields=["language"])
    client.force_login(agent)
    return {
        name: reverse(name, kwargs=kwargs.get(name, {"ref": ticket.key} if "<" in route else {}))
        for name, route in _api_patterns(get_resolver())
    }


def test_the_resolver_finds_the_api():
    assert {"api-tickets", "api-ticket", "api-saved-views", "api-me"} <= set(API_NAMES)
    assert "api-notification-preferences" in API_NAMES


@pytest.mark.parametrize("name", API_NAMES)
def test_options_answers_200(client, urls, name):
    response = client.options(urls[name], HTTP_ACCEPT="application/json")
    assert response.status_code == 200, (urls[name], response.content[:500])
    assert response.json()["name"]
    assert "OPTIONS" in response["Allow"]
