"""/api/v1/tickets/: list, filter, file, read, change, assign and take, per persona."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from tickets import services, signals
from tickets.models import Source, Tag, Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"


def day(offset: int) -> str:
    """The ISO date ``offset`` days from today in the site's time zone."""
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


@pytest.fixture
def other_queue():
    return QueueFactory(key_prefix="NET", slug="net", name="Network")


@pytest.fixture
def outsider(other_queue):
    """An agent of another queue."""
    user = UserFactory(username="netagent", roles=[Role.AGENT])
    other_queue.members.add(user)
    return user


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(
        queue=queue, requester=requester, actor=requester, title="Не печатает принтер"
    )


def api(client, user):
    client.force_login(user)
    return client


def token_client(client, user):
    _token, secret = api_token_create(user=user, name="script")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {secret}"
    return client


def patch(client, ref, body):
    return client.patch(f"{LIST}{ref}/", json.dumps(body), content_type="application/json")


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


# --- Visibility ----------------------------------------------------------------------------


def test_anonymous_is_refused(client, ticket):
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{ticket.pk}/").status_code == 403


def test_each_persona_lists_what_they_may_see(client, ticket, requester, agent, outsider, manager):
    other = TicketFactory(queue=ticket.queue, requester=agent, actor=agent, title="Чужая")
    seen = {
        user.username: {row["key"] for row in api(client, user).get(LIST).json()["results"]}
        for user in (requester, agent, outsider, manager)
    }
    assert seen == {
        "requester": {ticket.key},
        "agent": {ticket.key, other.key},
        "netagent": set(),
        "manager": {ticket.key, other.key},
    }


@pytest.mark.parametrize("by", ["id", "key", "lower-key"])
def test_a_ticket_by_id_or_key(client, ticket, requester, by):
    ref = {"id": ticket.pk, "key": ticket.key, "lower-key": ticket.key.lower()}[by]
    body = api(client, requester).get(f"{LIST}{ref}/").json()
    assert body["key"] == ticket.key
    assert body["status"] == {"code": "new", "name": "Новая"}
    assert body["requester"]["username"] == "requester"
    assert body["can_work"] is False
    assert body["url"] == f"/tickets/{ticket.key}/"


@pytest.mark.parametrize("ref", ["999999", "NOPE-1", "x" * 300, "0", "-1", "9" * 30, "%00"])
def test_unknown_or_odd_refs_are_404(client, agent, ref):
    assert api(client, agent).get(f"{LIST}{ref}/").status_code == 404


def test_an_invisible_ticket_is_404_not_403(client, ticket, outsider):
    client = api(client, outsider)
    assert client.get(f"{LIST}{ticket.key}/").status_code == 404
    assert patch(client, ticket.key, {"version": 1, "title": "x"}).status_code == 404
    assert post(client, f"{LIST}{ticket.key}/take/").status_code == 404


def test_works_with_a_token_and_no_csrf(client, ticket, agent):
    client = token_client(client, agent)
    response = patch(client, ticket.key, {"version": ticket.version, "priority": "high"})
    assert response.status_code == 200
    assert response.json()["priority"]["code"] == "high"
    assert TicketEvent.objects.filter(ticket=ticket, field="priority", source=Source.API).exists()


# --- Filters, search, order, pages -------------------------------------------------------


@pytest.fixture
def several(queue, requester, agent):
    made = []
    for title, prio, tags in [
        ("Не работает принтер", "high", ["printer"]),
        ("Принтеры на третьем этаже", "normal", ["printer", "floor3"]),
        ("Нужен доступ к VPN", "low", ["vpn"]),
    ]:
        made.append(
            TicketFactory(
                queue=queue,
                requester=requester,
                actor=agent,
                title=title,
                description="",
                priority=priority(prio),
                tags=tags,
            )
        )
    services.ticket_assign(actor=agent, ticket=made[0], assignee=agent)
    return made


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def test_filters_match_the_web_list(client, agent, several):
    client = api(client, agent)
    first, second, third = (t.key for t in several)
    assert set(keys(client.get(LIST, {"assignee": "me"}))) == {first}
    assert set(keys(client.get(LIST, {"assignee": "none"}))) == {second, third}
    assert set(keys(client.get(LIST, {"priority": ["high", "low"]}))) == {first, third}
    assert set(keys(client.get(LIST, {"tag": ["printer", "floor3"]}))) == {second}
    assert set(keys(client.get(LIST, {"queue": "hd", "requester": "requester"}))) == {
        first,
        second,
        third,
    }
    assert keys(client.get(LIST, {"status": "closed"})) == []
    assert set(keys(client.get(LIST, {"state": "all", "created_from": "2000-01-01"}))) == {
        first,
        second,
        third,
    }


# InnoDB updates its full-text index on commit: the search needs committed rows.
@pytest.mark.django_db(transaction=True)
def test_search_understands_russian_word_forms(client, agent, several):
    found = keys(api(client, agent).get(LIST, {"q": "принтеров"}))
    assert set(found) == {several[0].key, several[1].key}


def test_sort_and_stable_pages(client, agent, several):
    client = api(client, agent)
    by_priority = keys(client.get(LIST, {"sort": "-priority"}))
    assert by_priority[0] == several[0].key and by_priority[-1] == several[2].key
    pages = [keys(client.get(LIST, {"page_size": 1, "page": n})) for n in (1, 2, 3)]
    assert sorted(key for page in pages for key in page) == sorted(t.key for t in several)
    assert client.get(LIST, {"page_size": 1, "page": 4}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"priority": "urgent!"}, "priority"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_from": "01.02.2024"}, "created_from"),
        ({"created_from": ""}, "created_from"),
        ({"sort": "password"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"state": ["open", "closed"]}, "state"),
        ({"assignee": "nobody-by-that-name"}, "assignee"),
        ({"tag": [f"t{n}" for n in range(11)]}, "tag"),
        ({"tag": ["t"] * 11}, "tag"),
        ({"overdue": "yes"}, "overdue"),
        ({"overdue": "1"}, "overdue"),
        ({"q": "a\x00b"}, "q"),
        ({"page": "last"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": ["5", "6"]}, "page_size"),
    ],
)
def test_bad_filters_are_400_with_the_field(client, agent, several, params, field):
    response = api(client, agent).get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_any_date_is_a_filter(client, agent, several):
    """Dates far out filter as the earliest or latest day the list knows; a range that
    ends before it starts matches nothing (the web list shows an error instead)."""
    client = api(client, agent)
    everything = sorted(t.key for t in several)
    assert sorted(keys(client.get(LIST, {"created_from": str(date.min)}))) == everything
    assert keys(client.get(LIST, {"created_to": str(date.min)})) == []
    assert keys(client.get(LIST, {"due_from": str(date.max)})) == []
    reversed_range = {"created_from": day(0), "created_to": day(-31)}
    response = client.get(LIST, reversed_range)
    assert response.status_code == 200 and keys(response) == []


def test_tags_are_read_one_per_parameter(client, agent, several):
    client = api(client, agent)
    several[0].tags.add(Tag.objects.create(name="vpn-client"))
    assert keys(client.get(LIST, {"tag": "VPN Client"})) == [several[0].key]
    assert keys(client.get(LIST, {"tag": "vpn client"})) == [several[0].key]


def test_requesters_may_not_look_people_up(client, requester, several):
    response = api(client, requester).get(LIST, {"assignee": "agent"})
    assert response.status_code == 400
    assert "assignee" in response.json()


def test_the_list_runs_a_fixed_number_of_queries(
    client, agent, queue, requester, django_assert_num_queries
):
    """Session, user, roles, count, page, tags: the same for 1 ticket and for 31."""
    client = api(client, agent)
    TicketFactory(queue=queue, requester=requester, actor=requester, tags=["a"])
    client.get(LIST)  # warm the workflow cache and the session
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for n in range(30):
        TicketFactory(queue=queue, requester=requester, actor=requester, tags=[f"t{n}", "b"])
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(LIST, {"page_size": 100})
    assert response.json()["count"] == 31


# --- Filing ---------------------------------------------------------------------------------


def test_a_requester_files_a_ticket(client, requester, queue, django_capture_on_commit_callbacks):
    received = []

    def handler(sender, **kwargs):
        received.append(kwargs)

    signals.ticket_created.connect(handler)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api(client, requester),
            LIST,
            {
                "queue": "hd",
                "title": "Сломалась мышь",
                "description": "**Срочно**",
                "tags": ["Mouse"],
            },
        )
    signals.ticket_created.disconnect(handler)
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/tickets/{body['id']}/"
    assert body["key"].startswith("HD-")
    assert body["requester"]["username"] == "requester"
    assert body["tags"] == ["mouse"]
    assert "<strong>Срочно</strong>" in body["description_html"]
    assert Ticket.objects.get(pk=body["id"]).source == Source.API
    assert received, "the same signals as the web"


def test_requesters_may_not_set_agent_fields(client, requester, queue, agent):
    response = post(
        api(client, requester), LIST, {"queue": "hd", "title": "x", "assignee": "agent"}
    )
    assert response.status_code == 403


def test_an_agent_files_for_someone_else(client, agent, requester, queue):
    due = day(30)
    response = post(
        api(client, agent),
        LIST,
        {
            "queue": queue.pk,
            "title": "Звонок пользователя",
            "requester": "requester",
            "assignee": agent.pk,
            "priority": "high",
            "due_date": due,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["requester"]["username"], body["assignee"]["username"]) == ("requester", "agent")
    assert (body["priority"]["code"], body["due_date"]) == ("high", due)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "no queue"}, "queue"),
        ({"queue": "nope", "title": "x"}, "queue"),
        ({"queue": "hd"}, "title"),
        ({"queue": "hd", "title": "   "}, "title"),
        ({"queue": "hd", "title": "x" * 201}, "title"),
        ({"queue": "hd", "title": "x", "priority": []}, "priority"),
        ({"queue": "hd", "title": "x", "tags": "not-a-list"}, "tags"),
        ({"queue": "hd", "title": "x", "tags": [""]}, "tags"),
        ({"queue": "hd", "title": "x", "due_date": "31.01.2030"}, "due_date"),
        ({"queue": "hd", "title": "x", "requester": 10**30}, "requester"),
        ({"queue": True, "title": "x"}, "queue"),
    ],
)
def test_bad_tickets_are_400_with_the_field(client, agent, queue, body, field):
    response = post(api(client, agent), LIST, body)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("raw", ["[]", "null", '"text"', "{", "\xff"])
def test_malformed_bodies_are_400(client, agent, queue, raw):
    client = api(client, agent)
    response = client.post(LIST, raw.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400


# --- Changing ---------------------------------------------------------------------------


def test_an_agent_changes_fields_with_the_version(client, agent, ticket):
    client = api(client, agent)
    response = patch(
        client,
        ticket.key,
        {"version": ticket.version, "status": "in_progress", "tags": ["printer"], "due_date": None},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"]["code"] == "in_progress"
    assert body["version"] == ticket.version + 1
    fields = set(TicketEvent.objects.filter(ticket=ticket).values_list("field", flat=True))
    assert {"status", "tags"} <= fields


def test_a_stale_version_is_409_and_saves_nothing(client, agent, ticket):
    client = api(client, agent)
    services.ticket_update(actor=agent, ticket=ticket, title="Изменено в другом окне")
    response = patch(client, ticket.key, {"version": ticket.version, "title": "Мой заголовок"})
    assert response.status_code == 409
    assert response.json()["version"] == ticket.version + 1
    ticket.refresh_from_db()
    assert ticket.title == "Изменено в другом окне"


def test_the_version_is_required(client, agent, ticket):
    response = patch(api(client, agent), ticket.key, {"title": "x"})
    assert response.status_code == 400 and "version" in response.json()


def test_a_transition_the_queue_forbids_is_400(client, agent, ticket):
    from tickets.models import Transition

    Transition.objects.create(
        queue=ticket.queue, from_status=status("new"), to_status=status("in_progress")
    )
    response = patch(api(client, agent), ticket.key, {"version": 1, "status": "closed"})
    assert response.status_code == 400 and "status" in response.json()


def test_requesters_cannot_change_their_ticket(client, requester, ticket):
    response = patch(api(client, requester), ticket.key, {"version": 1, "title": "x"})
    assert response.status_code == 403


def test_assign_unassign_and_take(client, agent, manager, ticket):
    client = api(client, manager)
    assigned = post(client, f"{LIST}{ticket.key}/assign/", {"assignee": "agent"})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"]["username"] == "agent"
    unassigned = post(client, f"{LIST}{ticket.pk}/assign/", {"assignee": None})
    assert unassigned.json()["assignee"] is None
    stale = post(client, f"{LIST}{ticket.pk}/assign/", {"assignee": "agent", "version": 1})
    assert stale.status_code == 409

    taken = post(api(client, agent), f"{LIST}{ticket.key}/take/")
    assert taken.status_code == 200
    assert taken.json()["assignee"]["username"] == "agent"


def test_assigning_a_requester_is_400(client, agent, requester, ticket):
    response = post(api(client, agent), f"{LIST}{ticket.key}/assign/", {"assignee": "requester"})
    assert response.status_code == 400


def test_take_with_a_stale_version_is_409(client, agent, ticket, queue):
    agent2 = UserFactory(username="agent2", roles=[Role.AGENT])
    queue.members.add(agent2)
    seen = ticket.version
    first = post(api(client, agent), f"{LIST}{ticket.key}/take/", {"version": seen})
    assert first.status_code == 200, first.content
    second = post(api(client, agent2), f"{LIST}{ticket.key}/take/", {"version": seen})
    assert second.status_code == 409
    body = second.json()
    assert set(body) == {"detail", "changed_by", "version"}
    assert body["changed_by"]["id"] == agent.pk
    assert body["version"] == seen + 1
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_requesters_cannot_take(client, requester, ticket):
    assert post(api(client, requester), f"{LIST}{ticket.key}/take/").status_code == 403


# --- Schema, docs, throttling ------------------------------------------------------------


def test_the_schema_is_valid_openapi(client, agent):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    validate_schema(SchemaGenerator().get_schema(request=None, public=True))
    response = api(client, agent).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert "/api/v1/tickets/{ref}/" in paths


def test_the_schema_and_docs_need_a_signed_in_user(client, agent):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 401
    assert schema["WWW-Authenticate"] == "Token"
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == f"{reverse('accounts:login')}?next=/api/docs/"

    _token, secret = api_token_create(user=agent, name="CI")
    with_token = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert with_token.status_code == 200
    client.force_login(agent)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_swagger_ui_is_served_locally(client, agent):
    html = api(client, agent).get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "//unpkg" not in html


def test_the_browsable_api_shows_forms(client, agent, ticket):
    client = api(client, agent)
    page = client.get(LIST, HTTP_ACCEPT="text/html").content.decode()
    assert ('name="title"' in page and "Filters" in page) or "Фильтры" in page
    detail = client.get(f"{LIST}{ticket.key}/", HTTP_ACCEPT="text/html")
    assert detail.status_code == 200


def test_throttled_per_user_and_per_token(client, settings, agent, ticket):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "6/min", "token": "2/min"},
    }
    client = token_client(client, agent)
    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get(LIST)
    assert int(limited["Retry-After"]) > 0
    # A second token has its own bucket, but the user's rate still applies overall.
    _token, other = api_token_create(user=agent, name="other")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {other}"
    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 429]


def test_filter_values_with_percent_signs_are_400_not_500(client, agent):
    response = api(client, agent).get(LIST, {"requester": "%06C%25", "assignee": "%s"})
    assert response.status_code == 400
    assert set(response.json()) == {"requester", "assignee"}


def test_a_change_that_takes_the_ticket_out_of_sight_still_answers_what_was_saved(
    client, ticket, outsider, agent
):
    """An agent of another queue sees the ticket only while it is assigned to them."""
    services.ticket_assign(actor=agent, ticket=ticket, assignee=outsider)
    answer = post(api(client, outsider), f"{LIST}{ticket.key}/assign/", {"assignee": "agent"})
    assert answer.status_code == 200
    assert answer.json()["assignee"]["username"] == "agent"
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert client.get(f"{LIST}{ticket.key}/").status_code == 404
