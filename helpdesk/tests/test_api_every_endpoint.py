"""What every ``/api/v1/`` endpoint must do, found through the URL resolver so that a new
endpoint is checked too: answer OPTIONS, and refuse JSON nested too deeply with a 400."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from helpdesk.json_input import MAX_JSON_DEPTH
from notifications.models import Event, Notification
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 1000 + "]" * 1000


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
    comment = services.comment_add(actor=requester, ticket=ticket, body="Спасибо")
    notification = Notification.objects.create(
        recipient=agent, event=Event.ASSIGNED, ticket=ticket, params={"key": ticket.key}
    )
    kwargs: dict[str, dict[str, object]] = {
        "api-ticket-move": {"pk": ticket.pk},
        "api-saved-view": {"pk": view.pk},
        "api-notification-read": {"pk": notification.pk},
        "api-ticket-attachment-download": {"ref": ticket.key, "attachment_id": attachment.pk},
        "api-ticket-comment": {"ref": ticket.key, "comment_id": comment.pk},
        "api-ticket-comment-revisions": {"ref": ticket.key, "comment_id": comment.pk},
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


def _json_body_operations(client) -> list[tuple[re.Pattern, str]]:
    """(path regex, method) of the schema's operations that take a JSON body."""
    schema = client.get("/api/schema/?format=json").json()
    found = []
    for path, operations in schema["paths"].items():
        pattern = re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((pattern, method.upper()))
    return found


@pytest.mark.parametrize("name", API_NAMES)
def test_json_nested_too_deeply_is_a_400(client, urls, name):
    url = urls[name]
    takes_json = _json_body_operations(client)
    allowed = client.options(url)["Allow"].split(", ")
    for method in ("POST", "PUT", "PATCH"):
        if method not in allowed:
            continue
        response = client.generic(method, url, DEEP_JSON, content_type="application/json")
        if any(pattern.match(url) and method == m for pattern, m in takes_json):
            assert response.status_code == 400, (method, url, response.content[:300])
            assert "nested too deeply" in response.json()["detail"]
        else:  # the body is not read (``take/``, ``read-all/``) or not JSON (uploads)
            assert response.status_code in (200, 201, 415), (method, url, response.status_code)


def _name_nested(depth: int) -> str:
    """A JSON object whose ``name`` makes the whole body ``depth`` levels deep."""
    return '{"name": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_the_depth_limit(client, urls):
    url = urls["api-saved-views"]
    at_limit = client.post(url, _name_nested(MAX_JSON_DEPTH), content_type="application/json")
    over = client.post(url, _name_nested(MAX_JSON_DEPTH + 1), content_type="application/json")
    assert at_limit.status_code == 400 and "name" in at_limit.json()
    assert over.status_code == 400 and "nested too deeply" in over.json()["detail"]
