"""``/api/v1/`` is the API's root: links to the endpoints, as JSON for clients and as the
browsable page in a browser, for signed-in users only, and described in the schema."""

import pytest

from accounts.services import api_token_create

pytestmark = pytest.mark.django_db

ROOT = "/api/v1/"


def test_the_root_links_every_endpoint_that_needs_no_id(client, agent):
    client.force_login(agent)

    response = client.get(ROOT, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    links = response.json()
    assert links == {
        "tickets": "http://testserver/api/v1/tickets/",
        "queues": "http://testserver/api/v1/queues/",
        "statuses": "http://testserver/api/v1/statuses/",
        "priorities": "http://testserver/api/v1/priorities/",
        "tags": "http://testserver/api/v1/tags/",
        "saved-views": "http://testserver/api/v1/saved-views/",
        "notifications": "http://testserver/api/v1/notifications/",
        "notification-preferences": "http://testserver/api/v1/notification-preferences/",
        "me": "http://testserver/api/v1/users/me/",
        "schema": "http://testserver/api/schema/",
        "docs": "http://testserver/api/docs/",
    }
    for url in links.values():
        assert client.get(url).status_code == 200, url


def test_a_browser_gets_the_browsable_page_with_the_links(client, agent):
    agent.language = "ru"
    agent.save(update_fields=["language"])
    client.force_login(agent)

    response = client.get(ROOT, HTTP_ACCEPT="text/html")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Django REST framework" in html
    assert "API Helpdesk" in html
    assert "http://testserver/api/v1/tickets/" in html


def test_a_client_with_a_token_gets_the_links(client, agent):
    _token, secret = api_token_create(user=agent, name="root")

    response = client.get(ROOT, HTTP_AUTHORIZATION=f"Token {secret}")

    assert response.status_code == 200
    assert response.json()["tickets"] == "http://testserver/api/v1/tickets/"


def test_signed_in_users_only(client):
    anonymous = client.get(ROOT, HTTP_ACCEPT="application/json")
    wrong_token = client.get(ROOT, HTTP_AUTHORIZATION="Token hd_wrong")

    assert anonymous.status_code == 403
    assert "tickets" not in anonymous.json()
    assert wrong_token.status_code == 401


def test_the_root_is_read_only(client, agent):
    client.force_login(agent)

    response = client.post(ROOT, {}, content_type="application/json")

    assert response.status_code == 405


def test_the_schema_describes_the_root(client, agent):
    client.force_login(agent)

    schema = client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) >= {"tickets", "me", "schema", "docs"}
    assert list(schema["paths"]["/api/v1/"]) == ["get"]
