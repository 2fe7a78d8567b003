"""The OpenAPI schema says what the API does: every refusal documented with its body,
only the media types that work, and values of the wrong JSON type refused rather than
converted (``{"name": 0}`` is no name)."""

import pytest
from django.urls import reverse

from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def ticket(agent, requester):
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    return TicketFactory(queue=queue, requester=requester, actor=requester)


@pytest.fixture
def schema(api, ticket) -> dict:
    return api.get("/api/schema/?format=json").json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_refusals_with_json_bodies(schema):
    for label, operation in operations(schema):
        responses = operation["responses"]
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        expected = {"401", "403", "429"}
        if "requestBody" in operation:
            expected |= {"400", "415"}
        if "query" in places:
            expected.add("400")
        if "path" in places:
            expected.add("404")
        assert expected <= set(responses), label
        for code, response in responses.items():
            if code.startswith("4"):
                assert "application/json" in response["content"], (label, code)


def test_bodies_are_advertised_only_in_the_media_types_that_work(schema):
    content_types = {
        label: set(operation["requestBody"]["content"])
        for label, operation in operations(schema)
        if "requestBody" in operation
    }
    form = {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}
    assert content_types == {
        "PUT /api/v1/notification-preferences/": {"application/json"},
        "PATCH /api/v1/notification-preferences/": {"application/json"},
        "POST /api/v1/saved-views/": form,
        "POST /api/v1/tickets/": {"application/json"},
        "POST /api/v1/tickets/{id}/move/": {"application/json"},
        "PATCH /api/v1/tickets/{ref}/": {"application/json"},
        "POST /api/v1/tickets/{ref}/assign/": {"application/json"},
        "POST /api/v1/tickets/{ref}/attachments/": {"multipart/form-data"},
        "POST /api/v1/tickets/{ref}/comments/": form,
        "PATCH /api/v1/tickets/{ref}/comments/{comment_id}/": form,
        "POST /api/v1/tickets/{ref}/confirm/": {"application/json"},
        "POST /api/v1/tickets/{ref}/macro/": {"application/json"},
        "POST /api/v1/tickets/{ref}/merge/": {"application/json"},
        "POST /api/v1/tickets/{ref}/reopen/": {"application/json"},
        "POST /api/v1/tickets/{ref}/take/": {"application/json"},
    }


def test_codes_from_the_workflow_are_enums(schema, ticket):
    components = schema["components"]["schemas"]
    queue = components["TicketCreateRequest"]["properties"]["queue"]
    pk = ticket.queue_id
    assert queue["oneOf"] == [
        {"type": "string", "enum": ["hd", str(pk)]},
        {"type": "integer", "enum": [pk]},
    ]
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]
    }
    assert parameters["queue"]["items"] == {"type": "string", "enum": ["hd"]}
    assert "new" in parameters["status"]["items"]["enum"]
    assert parameters["tag"]["maxItems"] == 10
    assert parameters["page_size"]["minimum"] == 1


def test_a_ticket_patch_requires_its_version_in_the_schema(schema):
    ref = schema["paths"]["/api/v1/tickets/{ref}/"]["patch"]["requestBody"]["content"]
    name = ref["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][name]["required"] == ["version"]


@pytest.mark.parametrize(
    ("url_name", "body", "field"),
    [
        ("api-saved-views", {"name": 0}, "name"),
        ("api-saved-views", {"name": "Мои", "query": 5}, "query"),
        ("api-saved-views", {"name": "x" * 100 + " "}, "name"),
        ("api-tickets", {"queue": "hd", "title": 0}, "title"),
        ("api-tickets", {"queue": "hd", "title": "x", "description": False}, "description"),
        ("api-tickets", {"queue": "hd", "title": "x", "tags": [1]}, "tags"),
        ("api-tickets", {"queue": "hd", "title": "x", "tags": ["a"] * 11}, "tags"),
        ("api-tickets", {"queue": "hd", "title": "x", "due_date": "20240131"}, "due_date"),
        ("api-tickets", {"queue": " hd", "title": "x"}, "queue"),
        ("api-tickets", {"queue": "hd", "title": "x", "priority": 1}, "priority"),
        ("api-ticket-comments", {"body": 1}, "body"),
        ("api-ticket-comments", {"body": "x", "is_internal": "true"}, "is_internal"),
        ("api-ticket-comments", {"body": "x", "is_internal": 0}, "is_internal"),
        ("api-ticket", {"version": "1"}, "version"),
        ("api-ticket", {"version": 1.0}, "version"),
        ("api-ticket-assign", {"assignee": None, "version": True}, "version"),
    ],
)
def test_values_of_the_wrong_type_are_refused(api, ticket, url_name, body, field):
    on_ticket = url_name in ("api-ticket", "api-ticket-comments", "api-ticket-assign")
    url = reverse(url_name, kwargs={"ref": ticket.key} if on_ticket else {})
    method = api.patch if url_name == "api-ticket" else api.post
    response = method(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_form_says_true_and_false_as_text(api, ticket):
    url = reverse("api-ticket-comments", kwargs={"ref": ticket.key})
    assert api.post(url, {"body": "x", "is_internal": "true"}).json()["is_internal"] is True
    assert api.post(url, {"body": "y", "is_internal": "false"}).json()["is_internal"] is False
    assert api.post(url, {"body": "z", "is_internal": "on"}).status_code == 400


def test_a_form_is_refused_where_it_cannot_say_the_body(api, ticket):
    url = reverse("api-ticket-assign", kwargs={"ref": ticket.key})
    assert api.post(url, {"assignee": ""}).status_code == 415


@pytest.mark.parametrize(
    "path", ["/api/v1/saved-views/abc/", "/api/v1/tickets/x/move/", "/api/v1/nothing/"]
)
def test_urls_under_api_that_match_nothing_answer_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_other_unknown_pages_stay_html(api):
    response = api.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
