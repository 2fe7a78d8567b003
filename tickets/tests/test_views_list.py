"""The ticket list page, bulk actions, saved views and the people lookup."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets.models import SavedView, Ticket, Transition
from tickets.tests.factories import QueueFactory, TicketFactory, status

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:list")
BULK = reverse("tickets:bulk")
SAVE = reverse("tickets:saved_view_save")
PEOPLE = reverse("tickets:people_lookup")


@pytest.fixture
def other_queue():
    return QueueFactory(name="Network", key_prefix="NET", slug="net")


def signed_in(client, user, *, language: str | None = "en"):
    client.force_login(user)
    if language:
        client.cookies["helpdesk_language"] = language
    return client


def row_keys(response) -> list[str]:
    return re.findall(r'data-ticket-key="([^"]+)"', response.content.decode())


def texts(response) -> list[str]:
    """The messages a redirect carries; taken, so the next request starts without them."""
    found = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return found


# --- Access and visibility ----------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_requester_sees_only_own_tickets(client, requester, queue):
    mine = TicketFactory(queue=queue, requester=requester)
    TicketFactory(queue=queue)
    response = signed_in(client, requester).get(LIST)
    assert response.status_code == 200
    assert row_keys(response) == [mine.key]
    assert "data-bulk-row" not in response.content.decode()  # no checkboxes for requesters
    assert 'id="bulk-form"' not in response.content.decode()


def test_agent_sees_queue_tickets_only(client, agent, queue, other_queue):
    ours = TicketFactory(queue=queue)
    TicketFactory(queue=other_queue)
    response = signed_in(client, agent).get(LIST)
    assert row_keys(response) == [ours.key]
    assert "data-bulk-row" in response.content.decode()


def test_manager_sees_all(client, manager, queue, other_queue):
    made = {TicketFactory(queue=queue).key, TicketFactory(queue=other_queue).key}
    response = signed_in(client, manager).get(LIST)
    assert set(row_keys(response)) == made


# --- Rendering ----------------------------------------------------------------------------


def test_row_shows_key_link_badges_tags_and_overdue_due_date(client, agent, queue):
    ticket = TicketFactory(
        queue=queue,
        tags=["vpn"],
        assignee=agent,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    html = signed_in(client, agent).get(LIST).content.decode()
    assert f'href="{ticket.get_absolute_url()}"' in html
    assert 'data-status="new"' in html
    assert 'data-priority="normal"' in html
    assert 'data-tag="vpn"' in html
    assert 'data-overdue="true"' in html
    assert 'aria-sort="descending"' in html  # updated, the default sort


@pytest.mark.parametrize(("language", "name"), [("en", "In progress"), ("ru", "В работе")])
def test_status_names_in_each_language(client, agent, queue, language, name):
    TicketFactory(queue=queue, status=status("in_progress"))
    response = signed_in(client, agent, language=language).get(LIST)
    assert response.status_code == 200
    assert f'<html lang="{language}"' in response.content.decode()
    assert re.search(rf'data-status="in_progress">{name}<', response.content.decode())


def test_sort_headers_show_direction_and_link_the_reverse(client, agent, queue):
    TicketFactory(queue=queue)
    html = signed_in(client, agent).get(LIST, {"sort": "priority"}).content.decode()
    header = re.search(r'<th[^>]*aria-sort="ascending"[^>]*>\s*<a[^>]*href="([^"]+)"', html)
    assert header is not None
    assert header.group(1) == "?sort=-priority"


def test_bad_filters_show_errors_and_the_list_still_answers(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    today = timezone.localdate()
    response = signed_in(client, agent).get(
        LIST,
        {
            "status": "nope",
            "created_from": "2024-99-99",
            "due_from": (today + timedelta(days=1)).isoformat(),
            "due_to": today.isoformat(),
            "sort": "colour",
            "per_page": "7",
            "page": "many",
            "assignee": "ghost",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html
    for field in ("status", "created_from", "due_to", "sort", "per_page", "assignee"):
        assert f'data-field="{field}"' in html
    assert row_keys(response) == [ticket.key]


def test_chips_and_empty_state_with_reset(client, agent, queue):
    TicketFactory(queue=queue)
    response = signed_in(client, agent).get(LIST, {"q": "nothing-like-this", "status": "new"})
    html = response.content.decode()
    assert 'data-testid="list-empty"' in html
    assert "No tickets match these filters." in html
    assert 'data-param="q"' in html
    assert 'data-param="status"' in html
    assert f'href="{LIST}"' in html


# InnoDB updates its full-text index on commit: the search needs committed rows.
@pytest.mark.django_db(transaction=True)
def test_search_through_the_list_finds_word_forms(client, agent, queue):
    printer = TicketFactory(queue=queue, title="Не печатает принтер", description="")
    TicketFactory(queue=queue, title="Нет сети", description="")
    response = signed_in(client, agent).get(LIST, {"q": "принтера"})
    assert row_keys(response) == [printer.key]


def test_pagination(client, agent, queue):
    made = [TicketFactory(queue=queue) for _ in range(30)]
    client = signed_in(client, agent)
    first = client.get(LIST, {"sort": "key"})
    assert row_keys(first) == [t.key for t in made[:25]]
    assert 'data-count="30"' in first.content.decode()
    assert "30 tickets" in first.content.decode()
    assert 'href="?sort=key&amp;page=2"' in first.content.decode()
    second = client.get(LIST, {"sort": "key", "page": 2})
    assert row_keys(second) == [t.key for t in made[25:]]
    # Past the end shows the last page; a bigger page size shows all.
    assert row_keys(client.get(LIST, {"sort": "key", "page": 99})) == row_keys(second)
    assert len(row_keys(client.get(LIST, {"per_page": 50}))) == 30


# --- Query counts -------------------------------------------------------------------------


def _count_queries(client, params) -> int:
    client.get(LIST, params)  # warm the workflow cache, as on a running site
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "принтер", "per_page": 100},
        {
            "sort": "-priority",
            "assignee": "none",
            "requester": "requester",
            "tag": "vpn",
            "state": "all",
        },
    ],
    ids=["default", "search", "filters"],
)
@pytest.mark.parametrize("persona", ["agent", "manager", "requester"])
def test_query_count_does_not_grow_with_rows(client, request, queue, params, persona):
    user = request.getfixturevalue(persona)
    requester = request.getfixturevalue("requester")
    client = signed_in(client, user)

    def make(n):
        for _ in range(n):
            TicketFactory(queue=queue, requester=requester, tags=["vpn", "wifi"], assignee=None)

    make(5)
    five = _count_queries(client, params)
    make(45)
    fifty = _count_queries(client, params)
    print(f"{persona} {params}: {five} queries with 5 tickets, {fifty} with 50")
    assert five == fifty
    assert fifty <= 10


# --- Saved views --------------------------------------------------------------------------


def test_save_a_view_without_the_page_and_overwrite_it(client, agent, queue):
    client = signed_in(client, agent)
    response = client.post(SAVE, {"name": "Mine", "query": "assignee=me&page=3&q="})
    view = SavedView.objects.get(user=agent)
    assert view.query == "assignee=me"
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?assignee=me"
    assert texts(response) == ["The view “Mine” was saved."]

    response = client.post(SAVE, {"name": "Mine", "query": "state=closed"})
    assert SavedView.objects.get(user=agent).query == "state=closed"
    assert texts(response) == ["The view “Mine” now shows the current filters."]

    html = client.get(LIST).content.decode()
    assert f'href="{LIST}?state=closed"' in html


def test_saving_without_a_name_is_an_error(client, agent):
    response = signed_in(client, agent).post(SAVE, {"name": " ", "query": "state=all"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?state=all"
    assert not SavedView.objects.exists()
    assert texts(response) == ["Give the view a name."]


def test_only_own_views_are_listed_and_deleted(client, agent, requester):
    mine = SavedView.objects.create(user=agent, name="Mine", query="assignee=me")
    theirs = SavedView.objects.create(user=requester, name="Theirs", query="state=all")
    client = signed_in(client, agent)
    html = client.get(LIST).content.decode()
    assert f'data-saved-view="{mine.pk}"' in html
    assert f'data-saved-view="{theirs.pk}"' not in html

    delete_theirs = reverse("tickets:saved_view_delete", args=[theirs.pk])
    assert client.post(delete_theirs).status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()

    delete_mine = reverse("tickets:saved_view_delete", args=[mine.pk])
    assert client.get(delete_mine).status_code == 405
    response = client.post(delete_mine, {"next": f"{LIST}?state=all"})
    assert response["Location"] == f"{LIST}?state=all"
    assert not SavedView.objects.filter(pk=mine.pk).exists()


# --- Bulk actions -------------------------------------------------------------------------


def bulk(client, tickets_or_ids, action, **extra):
    ids = [getattr(t, "pk", t) for t in tickets_or_ids]
    return client.post(BULK, {"ids": ids, "action": action, "next": f"{LIST}?state=all", **extra})


def test_bulk_assign_to_an_agent_and_to_me(client, agent, manager, queue):
    tickets = [TicketFactory(queue=queue) for _ in range(3)]
    client = signed_in(client, agent)
    response = bulk(client, tickets, "assign", assignee=manager.pk)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?state=all"
    assert texts(response) == ["3 tickets updated."]
    assert {t.assignee_id for t in Ticket.objects.all()} == {manager.pk}

    response = bulk(client, tickets[:2], "assign_me")
    assert texts(response) == ["2 tickets updated."]
    assert Ticket.objects.filter(assignee=agent).count() == 2

    response = bulk(client, tickets[:2], "assign_me")
    assert texts(response) == ["2 tickets already had this value."]


def test_bulk_status_and_close_with_a_refused_transition(client, agent, queue, other_queue):
    strict = QueueFactory(name="Strict", key_prefix="ST", slug="st", members=[agent])
    Transition.objects.create(
        queue=strict, from_status=status("new"), to_status=status("in_progress")
    )
    easy = TicketFactory(queue=queue)
    refused = TicketFactory(queue=strict)
    hidden = TicketFactory(queue=other_queue)
    client = signed_in(client, agent)

    response = bulk(client, [easy, refused, hidden, 999_999], "close")
    messages = texts(response)
    assert messages[0] == "1 ticket updated."
    assert messages[1].startswith(f"{refused.key} was not changed: ")
    assert messages[2] == "2 tickets were not found."
    easy.refresh_from_db()
    refused.refresh_from_db()
    hidden.refresh_from_db()
    assert easy.status.code == "closed"  # the last closed status, as in the admin
    assert refused.status.code == "new"
    assert hidden.status.code == "new"

    response = bulk(client, [refused], "status", status="in_progress")
    assert texts(response) == ["1 ticket updated."]
    refused.refresh_from_db()
    assert refused.status.code == "in_progress"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "close"}, "Choose at least one ticket."),
        ({"action": "close", "ids": ["x"]}, "The selection is not valid. Reload the page."),
        ({"action": "assign", "ids": ["1"]}, "Choose an agent."),
        ({"action": "status", "ids": ["1"]}, "Choose a status."),
        ({"action": "status", "ids": ["1"], "status": "nope"}, None),
        ({"action": "explode", "ids": ["1"]}, None),
    ],
)
def test_bulk_bad_input_is_a_message_not_a_crash(client, agent, queue, data, message):
    TicketFactory(queue=queue)
    response = signed_in(client, agent).post(BULK, {**data, "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == LIST  # another site is never a redirect target
    errors = texts(response)
    assert errors
    if message:
        assert errors == [message]


def test_bulk_assign_to_a_requester_is_refused(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue)
    response = bulk(signed_in(client, agent), [ticket], "assign", assignee=requester.pk)
    assert texts(response)  # not an agent: not a valid choice
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_requesters_cannot_bulk(client, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    response = bulk(signed_in(client, requester), [ticket], "close")
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status.code == "new"


def test_bulk_is_post_only(client, agent):
    assert signed_in(client, agent).get(BULK).status_code == 405


# --- People lookup ------------------------------------------------------------------------


def test_people_lookup_is_for_people_who_work_tickets(client, requester):
    assert client.get(PEOPLE).status_code == 403
    response = signed_in(client, requester).get(PEOPLE, {"q": "a"})
    assert response.status_code == 403
    assert "detail" in response.json()


def test_people_lookup_finds_active_people_by_role(client, agent, manager, requester):
    # The personas' random Russian names may be Иван or Иванов too: make them plain.
    User.objects.filter(pk__in=[agent.pk, manager.pk, requester.pk]).update(
        first_name="Пётр", last_name="Петров"
    )
    UserFactory(username="ivanov", last_name="Иванов", roles=[Role.AGENT])
    UserFactory(username="ivanova", last_name="Иванова", roles=[Role.REQUESTER])
    UserFactory(username="ivanenko", last_name="Иваненко", roles=[Role.AGENT], is_active=False)
    client = signed_in(client, agent)

    agents = client.get(PEOPLE, {"q": "иван", "role": "agent"}).json()["results"]
    assert [p["username"] for p in agents] == ["ivanov"]
    assert set(agents[0]) == {"id", "username", "name"}

    anyone = client.get(PEOPLE, {"q": "иван"}).json()["results"]
    assert [p["username"] for p in anyone] == ["ivanov", "ivanova"]

    assert client.get(PEOPLE, {"role": "boss"}).status_code == 400


def test_people_lookup_returns_at_most_20(client, agent):
    for n in range(25):
        UserFactory(username=f"person{n:02d}", roles=[Role.REQUESTER])
    results = signed_in(client, agent).get(PEOPLE, {"q": "person"}).json()["results"]
    assert len(results) == 20


# --- Which tickets the default hides --------------------------------------------------------


def test_the_list_says_closed_tickets_are_hidden_and_how_to_see_them(client, agent, queue):
    for _number in range(2):
        TicketFactory(queue=queue, requester=agent, actor=agent)
    for _number in range(3):
        TicketFactory(queue=queue, requester=agent, actor=agent, status=status("closed"))
    html = signed_in(client, agent, language="ru").get(LIST).content.decode()
    note = re.search(r'data-testid="list-scope">(.*?)</p>', html, re.S)
    assert note is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", note.group(1)).split())
    assert text == "Показаны открытые заявки · 2 из 5 · Показать все"
    assert 'href="?state=all"' in note.group(1)

    shown_all = client.get(LIST, {"state": "all"}).content.decode()
    assert 'data-testid="list-scope"' not in shown_all
    assert 'data-count="5"' in shown_all


def test_the_note_keeps_the_other_filters_and_is_absent_when_nothing_is_hidden(
    client, agent, queue
):
    TicketFactory(queue=queue, requester=agent, actor=agent, title="Принтер")
    signed_in(client, agent)
    assert 'data-testid="list-scope"' not in client.get(LIST).content.decode()
    TicketFactory(queue=queue, requester=agent, actor=agent, status=status("closed"))
    html = client.get(LIST, {"assignee": "none", "page": "1"}).content.decode()
    assert "Showing open tickets · 1 of 2" in html
    assert 'href="?assignee=none&amp;state=all"' in html
