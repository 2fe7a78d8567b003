"""/api/v1/ reference data: queues, statuses, priorities, tags and saved views."""

import json

import pytest
from django.test import Client
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator

from accounts.roles import Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.api import reference
from tickets.models import SavedView, Status
from tickets.tests.factories import QueueFactory, TicketFactory
from tickets.workflow import agents, ensure_default_workflow, workflow

pytestmark = pytest.mark.django_db

URL_NAMES = ("api-queues", "api-statuses", "api-priorities", "api-tags", "api-saved-views")


@pytest.fixture(autouse=True)
def _workflow(db):
    ensure_default_workflow()


def warm_caches() -> None:
    """Load the cached workflow and agents, as any earlier request would have."""
    workflow()
    agents()


def token_for(user) -> dict:
    _token, secret = api_token_create(user=user, name="script")
    return {"HTTP_AUTHORIZATION": f"Token {secret}"}


def get(client, name: str, **extra):
    return client.get(reverse(name), HTTP_ACCEPT="application/json", **extra)


def post_json(client, url: str, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **extra)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Signing in ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_is_refused(client, name):
    assert get(client, name).status_code == 403


def test_anonymous_cannot_read_a_saved_view(client, requester):
    view = services.saved_view_save(user=requester, name="Мои", query="status=new")
    response = client.get(reverse("api-saved-view", kwargs={"pk": view.pk}))
    assert response.status_code == 403


@pytest.mark.parametrize("name", URL_NAMES)
def test_a_wrong_token_is_401(client, name):
    response = get(client, name, HTTP_AUTHORIZATION="Token hd_not-a-real-token-at-all")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("name", URL_NAMES)
def test_every_list_answers_a_token(client, agent, name):
    response = get(client, name, **token_for(agent))
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize("name", URL_NAMES)
def test_the_browsable_api_renders(client, manager, name):
    client.force_login(manager)
    response = client.get(reverse(name), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content


# --- Statuses -------------------------------------------------------------------------------


def test_statuses_in_workflow_order_in_russian_by_default(client, requester):
    client.force_login(requester)
    body = results(get(client, "api-statuses"))
    assert [row["code"] for row in body] == ["new", "in_progress", "waiting", "resolved", "closed"]
    new = Status.objects.get(code="new")
    assert body[0] == {
        "id": new.pk,
        "code": "new",
        "name": "Новая",
        "order": 10,
        "colour": "#0d6efd",
        "is_closed": False,
    }
    assert [row["is_closed"] for row in body] == [False, False, False, True, True]


def test_statuses_in_english_for_a_user_who_chose_it(client):
    user = UserFactory(username="eng", language="en", roles=[Role.REQUESTER])
    client.force_login(user)
    response = get(client, "api-statuses")
    assert [row["name"] for row in results(response)][:2] == ["New", "In progress"]
    assert response["Content-Language"] == "en"


def test_statuses_in_the_token_users_language(client):
    """The language middleware runs before a token signs in: the view picks it again."""
    user = UserFactory(username="eng", language="en", roles=[Role.AGENT])
    response = get(client, "api-statuses", **token_for(user))
    assert results(response)[0]["name"] == "New"
    assert response["Content-Language"] == "en"
    # A token user without a language of their own gets the default, Russian.
    russian = get(Client(), "api-statuses", **token_for(UserFactory(roles=[Role.AGENT])))
    assert results(russian)[0]["name"] == "Новая"
    assert russian["Content-Language"] == "ru"


def test_the_language_cookie_chooses_for_a_user_without_a_language(client, requester):
    client.force_login(requester)
    client.cookies["helpdesk_language"] = "en"
    assert results(get(client, "api-statuses"))[0]["name"] == "New"


def test_statuses_cost_no_query_beyond_the_session(
    client, requester, django_assert_max_num_queries
):
    client.force_login(requester)
    warm_caches()
    with django_assert_max_num_queries(2):  # the session and its user
        assert get(client, "api-statuses").status_code == 200


def test_statuses_cost_no_query_beyond_the_token(client, agent, django_assert_max_num_queries):
    headers = token_for(agent)
    get(client, "api-statuses", **headers)  # records the token's use (once a minute)
    warm_caches()
    with django_assert_max_num_queries(1):  # the token and its user
        assert get(client, "api-statuses", **headers).status_code == 200


@pytest.mark.parametrize("name", ("api-statuses", "api-priorities", "api-queues", "api-tags"))
@pytest.mark.parametrize("method", ("post", "put", "patch", "delete"))
def test_reference_lists_are_read_only(client, manager, name, method):
    client.force_login(manager)
    response = getattr(client, method)(reverse(name), "{}", content_type="application/json")
    assert response.status_code == 405


# --- Priorities -----------------------------------------------------------------------------


def test_priorities(client, agent):
    client.force_login(agent)
    body = results(get(client, "api-priorities"))
    assert [row["code"] for row in body] == ["low", "normal", "high", "urgent", "immediate"]
    normal = body[1]
    assert {key: value for key, value in normal.items() if key != "id"} == {
        "code": "normal",
        "name": "Обычный",
        "order": 20,
        "colour": "#0dcaf0",
        "is_default": True,
        "is_high": False,
    }
    assert [row["code"] for row in body if row["is_high"]] == ["high", "urgent", "immediate"]


def test_priorities_in_english(client):
    client.force_login(UserFactory(username="eng", language="en"))
    assert results(get(client, "api-priorities"))[4]["name"] == "Immediate"


def test_priorities_cost_no_query_beyond_the_session(client, agent, django_assert_max_num_queries):
    client.force_login(agent)
    warm_caches()
    with django_assert_max_num_queries(2):
        assert get(client, "api-priorities").status_code == 200


# --- Queues ---------------------------------------------------------------------------------


@pytest.fixture
def queues(agent):
    """HD (the agent's), NET (another agent's) and the retired OLD."""
    colleague = UserFactory(
        username="anna", first_name="Анна", last_name="Петрова", roles=[Role.AGENT]
    )
    hd = QueueFactory(
        key_prefix="HD", slug="hd", name="Сервис-деск", description="Всё подряд", members=[agent]
    )
    net = QueueFactory(key_prefix="NET", slug="net", name="Сеть", members=[colleague, agent])
    net.members.remove(agent)
    old = QueueFactory(key_prefix="OLD", slug="old", name="Архив", is_active=False)
    return {"hd": hd, "net": net, "old": old, "colleague": colleague}


def test_requesters_get_active_queues_without_agents(client, requester, queues):
    client.force_login(requester)
    body = results(get(client, "api-queues"))
    hd = queues["hd"]
    assert [row["slug"] for row in body] == ["hd", "net"]  # by name; OLD is retired
    assert body[0] == {
        "id": hd.pk,
        "slug": "hd",
        "key_prefix": "HD",
        "name": "Сервис-деск",
        "description": "Всё подряд",
        "is_active": True,
        "members": [],
        "i_work_here": False,
    }


def test_agents_get_every_queue_with_its_agents(client, agent, queues):
    client.force_login(agent)
    body = {row["slug"]: row for row in results(get(client, "api-queues"))}
    assert set(body) == {"hd", "net", "old"}
    assert body["old"]["is_active"] is False
    assert body["hd"]["members"] == [
        {"id": agent.pk, "username": "agent", "name": agent.get_display_name()}
    ]
    colleague = queues["colleague"]
    assert body["net"]["members"] == [
        {"id": colleague.pk, "username": "anna", "name": "Анна Петрова"}
    ]
    assert body["old"]["members"] == []
    assert {slug: row["i_work_here"] for slug, row in body.items()} == {
        "hd": True,
        "net": False,
        "old": False,
    }


@pytest.mark.parametrize("persona", ("manager", "admin"))
def test_managers_and_admins_get_every_queue(client, persona, queues, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    body = results(get(client, "api-queues"))
    assert [row["slug"] for row in body] == ["old", "hd", "net"]  # Архив, Сервис-деск, Сеть
    assert not any(row["i_work_here"] for row in body)
    queues["old"].members.add(user)
    assert [row["i_work_here"] for row in results(get(client, "api-queues"))] == [
        True,
        False,
        False,
    ]


def test_members_are_people_who_work_tickets(client, manager, queues):
    """A requester put in a queue by mistake, or a deactivated agent, is not its agent."""
    queues["hd"].members.add(UserFactory(roles=[Role.REQUESTER]))
    queues["hd"].members.add(UserFactory(roles=[Role.AGENT], is_active=False))
    client.force_login(manager)
    body = {row["slug"]: row for row in results(get(client, "api-queues"))}
    assert [member["username"] for member in body["hd"]["members"]] == ["agent"]


def test_a_new_member_shows_at_once(client, manager, queues):
    client.force_login(manager)
    results(get(client, "api-queues"))
    newcomer = UserFactory(username="new-agent", roles=[Role.AGENT])
    queues["old"].members.add(newcomer)
    body = {row["slug"]: row for row in results(get(client, "api-queues"))}
    assert [member["username"] for member in body["old"]["members"]] == ["new-agent"]


@pytest.mark.parametrize(("persona", "queries"), [("requester", 3), ("agent", 3), ("admin", 2)])
def test_queues_cost_a_fixed_number_of_queries(
    client, persona, queries, queues, request, django_assert_num_queries
):
    # The session, its user and the user's roles (a superuser needs none); queues and
    # their agents come from the cache, however many there are.
    user = request.getfixturevalue(persona)
    client.force_login(user)
    warm_caches()
    with django_assert_num_queries(queries):
        assert get(client, "api-queues").status_code == 200
    for n in range(5):
        QueueFactory(key_prefix=f"X{n}", members=[UserFactory(roles=[Role.AGENT])])
    warm_caches()
    with django_assert_num_queries(queries):
        assert len(results(get(client, "api-queues"))) >= 7


# --- Tags -----------------------------------------------------------------------------------


@pytest.fixture
def tagged(requester, agent, queues):
    """VPN and printer tickets in HD (the agent's queue) and a secret one in NET."""
    hd, net = queues["hd"], queues["net"]
    own = TicketFactory(queue=hd, requester=requester, actor=requester, tags=["vpn", "принтер"])
    TicketFactory(queue=hd, requester=agent, actor=agent, tags=["vpn"])
    TicketFactory(queue=net, requester=agent, actor=agent, tags=["увольнение", "vpn"])
    return own


def tags(response) -> dict[str, int]:
    return {row["name"]: row["ticket_count"] for row in results(response)}


def test_requesters_get_the_tags_of_their_tickets(client, requester, tagged):
    client.force_login(requester)
    assert tags(get(client, "api-tags")) == {"vpn": 1, "принтер": 1}


def test_agents_get_the_tags_of_the_tickets_they_see(client, agent, tagged):
    client.force_login(agent)
    # Their own NET ticket is visible to them; nothing else of NET is.
    assert tags(get(client, "api-tags")) == {"vpn": 3, "принтер": 1, "увольнение": 1}
    other = UserFactory(username="other", roles=[Role.AGENT])
    client.force_login(other)
    assert tags(get(client, "api-tags")) == {}


def test_managers_get_every_tag_in_use_by_name(client, manager, tagged):
    Tag = tagged.tags.model
    Tag.objects.create(name="unused")
    client.force_login(manager)
    body = results(get(client, "api-tags"))
    assert [row["name"] for row in body] == ["vpn", "принтер", "увольнение"]
    assert tags(get(client, "api-tags"))["vpn"] == 3


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("VP", ["vpn"]),
        ("pn", ["vpn"]),
        ("ПРИН", ["принтер"]),
        ("тер", ["принтер"]),
        ("  ", ["vpn", "принтер", "увольнение"]),
        ("", ["vpn", "принтер", "увольнение"]),
        ("%", []),
        ("_", []),
        ("zzz", []),
    ],
)
def test_tags_filtered_by_part_of_the_name(client, manager, tagged, q, expected):
    client.force_login(manager)
    response = client.get(reverse("api-tags"), {"q": q}, HTTP_ACCEPT="application/json")
    assert [row["name"] for row in results(response)] == expected


@pytest.mark.parametrize("q", ("x" * 51, "a\x00b"))
def test_a_bad_tag_filter_is_400(client, manager, q):
    client.force_login(manager)
    response = client.get(reverse("api-tags"), {"q": q}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_tags_are_paginated(client, manager, queues):
    TicketFactory(queue=queues["hd"], tags=[f"tag{n:02}" for n in range(12)])
    client.force_login(manager)
    response = client.get(reverse("api-tags"), {"page_size": 5, "page": 3})
    assert response.json()["count"] == 12
    assert [row["name"] for row in results(response)] == ["tag10", "tag11"]
    assert client.get(reverse("api-tags"), {"page": 9}).status_code == 404


@pytest.mark.parametrize(("persona", "queries"), [("requester", 5), ("agent", 6), ("manager", 5)])
def test_tags_cost_a_fixed_number_of_queries(
    client, persona, queries, tagged, queues, request, django_assert_num_queries
):
    # Session, user, roles, [the agent's queues], the count and the page.
    user = request.getfixturevalue(persona)
    client.force_login(user)
    with django_assert_num_queries(queries):
        assert get(client, "api-tags").status_code == 200
    for n in range(5):
        TicketFactory(queue=queues["hd"], requester=user, actor=user, tags=[f"more{n}", "vpn"])
    with django_assert_num_queries(queries):
        assert len(results(get(client, "api-tags"))) >= 7


# --- Saved views ----------------------------------------------------------------------------


@pytest.fixture
def my_views(agent):
    return [
        services.saved_view_save(user=agent, name="Срочные", query="priority=urgent"),
        services.saved_view_save(user=agent, name="Мои", query="assignee=me&status=new"),
    ]


@pytest.fixture
def their_view(requester):
    return services.saved_view_save(user=requester, name="Чужой", query="status=closed")


def detail_url(view_or_pk) -> str:
    pk = getattr(view_or_pk, "pk", view_or_pk)
    return reverse("api-saved-view", kwargs={"pk": pk})


def test_saved_views_lists_only_your_own_by_name(client, agent, my_views, their_view):
    client.force_login(agent)
    body = results(get(client, "api-saved-views"))
    mine = my_views[1]
    assert [row["name"] for row in body] == ["Мои", "Срочные"]
    assert body[0] == {
        "id": mine.pk,
        "name": "Мои",
        "query": "assignee=me&status=new",
        "url": "http://testserver/tickets/?assignee=me&status=new",
        "created_at": body[0]["created_at"],
    }
    assert body[0]["created_at"].startswith(str(mine.created_at.year))


def test_saved_views_cost_a_fixed_number_of_queries(
    client, agent, my_views, django_assert_num_queries
):
    client.force_login(agent)
    with django_assert_num_queries(4):  # session, user, the count, the page
        assert len(results(get(client, "api-saved-views"))) == 2
    for n in range(5):
        services.saved_view_save(user=agent, name=f"View {n}", query=f"page_size={n}")
    with django_assert_num_queries(4):
        assert len(results(get(client, "api-saved-views"))) == 7


def test_create_a_saved_view(client, agent):
    client.force_login(agent)
    response = post_json(
        client,
        reverse("api-saved-views"),
        {"name": "  Открытые  ", "query": "?status=new&page=3&q=&status=waiting"},
    )
    assert response.status_code == 201, response.content
    view = SavedView.objects.get(user=agent)
    assert (view.name, view.query) == ("Открытые", "status=new&status=waiting")
    body = response.json()
    assert body["id"] == view.pk
    assert body["url"] == "http://testserver/tickets/?status=new&status=waiting"
    assert response["Location"] == f"http://testserver{detail_url(view)}"


def test_saving_under_an_existing_name_replaces_the_view(client, agent, my_views):
    client.force_login(agent)
    response = post_json(client, reverse("api-saved-views"), {"name": "Мои", "query": "tag=vpn"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == my_views[1].pk
    assert SavedView.objects.get(pk=my_views[1].pk).query == "tag=vpn"
    assert SavedView.objects.filter(user=agent).count() == 2


def test_a_view_without_a_query_shows_the_whole_list(client, requester):
    client.force_login(requester)
    response = post_json(client, reverse("api-saved-views"), {"name": "Все"})
    assert response.status_code == 201, response.content
    assert response.json()["query"] == ""
    assert response.json()["url"] == "http://testserver/tickets/"


def test_names_of_different_users_do_not_collide(client, agent, requester, their_view):
    client.force_login(agent)
    response = post_json(client, reverse("api-saved-views"), {"name": "Чужой", "query": "tag=a"})
    assert response.status_code == 201
    assert SavedView.objects.get(pk=their_view.pk).query == "status=closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "query": "status=new"}, "name"),
        ({"name": "   ", "query": "status=new"}, "name"),
        ({"query": "status=new"}, "name"),
        ({"name": None}, "name"),
        ({"name": ["Мои"]}, "name"),
        ({"name": {"a": 1}}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "Мои", "query": "x=" + "y" * 1999}, "query"),
        ({"name": "Мои", "query": "q=" + "ж" * 600}, "query"),  # too long once encoded
        ({"name": "Мои", "query": ["status=new"]}, "query"),
        ({"name": "Мои", "query": None}, "query"),
    ],
)
def test_bad_saved_views_are_400(client, agent, body, field):
    client.force_login(agent)
    response = post_json(client, reverse("api-saved-views"), body)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("body", ("{not json", "[]", "null", '"name"'))
def test_malformed_bodies_are_400(client, agent, body):
    client.force_login(agent)
    response = post_json(client, reverse("api-saved-views"), body)
    assert response.status_code == 400
    assert not SavedView.objects.exists()


def test_an_empty_name_is_explained(client, agent):
    client.force_login(agent)
    response = post_json(client, reverse("api-saved-views"), {"name": " "})
    assert response.json() == {"name": ["Дайте виду название."]}


def test_saved_views_take_a_form_too(client, agent):
    client.force_login(agent)
    response = client.post(reverse("api-saved-views"), {"name": "Форма", "query": "status=new"})
    assert response.status_code == 201, response.content


def test_a_token_saves_without_csrf(agent):
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, reverse("api-saved-views"), {"name": "Скрипт"}, **token_for(agent))
    assert response.status_code == 201, response.content


def test_a_session_needs_the_csrf_header_to_save(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = post_json(client, reverse("api-saved-views"), {"name": "Без CSRF"})
    assert response.status_code == 403
    assert not SavedView.objects.exists()


def test_get_one_of_your_views(client, agent, my_views):
    client.force_login(agent)
    response = client.get(detail_url(my_views[0]))
    assert response.status_code == 200
    assert response.json()["name"] == "Срочные"
    assert response.json()["query"] == "priority=urgent"


def test_another_users_view_does_not_exist(client, agent, their_view):
    client.force_login(agent)
    assert client.get(detail_url(their_view)).status_code == 404
    assert client.delete(detail_url(their_view)).status_code == 404
    assert SavedView.objects.filter(pk=their_view.pk).exists()


def test_a_token_sees_only_its_users_views(client, requester, my_views, their_view):
    headers = token_for(requester)
    assert client.get(detail_url(my_views[0]), **headers).status_code == 404
    assert [row["name"] for row in results(get(client, "api-saved-views", **headers))] == ["Чужой"]


def test_delete_your_view(client, agent, my_views):
    client.force_login(agent)
    response = client.delete(detail_url(my_views[0]))
    assert response.status_code == 204
    assert list(SavedView.objects.filter(user=agent).values_list("name", flat=True)) == ["Мои"]
    assert client.delete(detail_url(my_views[0])).status_code == 404


@pytest.mark.parametrize("pk", (0, 999999, 2**63, 10**30))
def test_missing_and_impossible_ids_are_404(client, agent, pk):
    client.force_login(agent)
    assert client.get(detail_url(pk)).status_code == 404
    assert client.delete(detail_url(pk)).status_code == 404


@pytest.mark.parametrize("method", ("put", "patch", "post"))
def test_saved_views_cannot_be_edited_in_place(client, agent, my_views, method):
    client.force_login(agent)
    response = getattr(client, method)(
        detail_url(my_views[0]), json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 405
    assert SavedView.objects.get(pk=my_views[0].pk).name == "Срочные"


@pytest.mark.parametrize("method", ("put", "patch", "delete"))
def test_the_saved_view_list_takes_get_and_post_only(client, agent, method):
    client.force_login(agent)
    response = getattr(client, method)(reverse("api-saved-views"))
    assert response.status_code == 405


def test_the_browsable_api_shows_a_saved_view(client, agent, my_views):
    client.force_login(agent)
    response = client.get(detail_url(my_views[0]), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Срочные" in response.content.decode()


# --- Schema ---------------------------------------------------------------------------------


def test_the_schema_describes_the_endpoints():
    generator = SchemaGenerator(patterns=[path("api/v1/", include(reference.urlpatterns))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/queues/",
        "/api/v1/statuses/",
        "/api/v1/priorities/",
        "/api/v1/tags/",
        "/api/v1/saved-views/",
        "/api/v1/saved-views/{id}/",
    }
    q = next(p for p in paths["/api/v1/tags/"]["get"]["parameters"] if p["name"] == "q")
    assert q["schema"]["maxLength"] == 50
    assert set(paths["/api/v1/saved-views/{id}/"]) == {"get", "delete"}
    queues = paths["/api/v1/queues/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert queues["schema"]["$ref"].endswith("/PaginatedQueueList")
    components = schema["components"]["schemas"]
    assert {"members", "i_work_here"} <= set(components["Queue"]["properties"])
