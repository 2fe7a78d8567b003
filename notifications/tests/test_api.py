"""The notifications API: one's own notifications, reading them, and the preferences."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from notifications.models import Channel, Event, Notification, NotificationPreference
from notifications.preferences import default
from tickets.tests.factories import QueueFactory, TicketFactory
from tickets.workflow import workflow

pytestmark = pytest.mark.django_db

LIST = reverse("api-notifications")
READ_ALL = reverse("api-notifications-read-all")
PREFERENCES = reverse("api-notification-preferences")
# Session, user, the page's count, the page, the unread count: whatever the page size.
LIST_QUERIES = 5


def read_url(pk: int) -> str:
    return reverse("api-notification-read", kwargs={"pk": pk})


@pytest.fixture
def ticket(agent, requester):
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    Notification.objects.all().delete()  # the new-ticket notices: each test makes its own
    return ticket


@pytest.fixture
def colleague(db):
    return UserFactory(username="anna", roles=[Role.AGENT])


def note(user, ticket, event=Event.ASSIGNED, *, read=False, **params) -> Notification:
    return Notification.objects.create(
        recipient=user,
        event=event,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Пётр Петров", **params},
        read_at=timezone.now() if read else None,
    )


@pytest.fixture
def api(client, agent):
    client.force_login(agent)
    return client


# --- The list -----------------------------------------------------------------------------


def test_the_list_needs_a_signed_in_user(client):
    assert client.get(LIST).status_code == 403


def test_the_list_holds_only_ones_own_newest_first(api, agent, colleague, ticket):
    older = note(agent, ticket)
    note(colleague, ticket)
    newer = note(agent, ticket, Event.COMMENTED, excerpt="Перезагрузите принтер")

    body = api.get(LIST).json()

    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    assert body["count"] == 2 and body["unread"] == 2
    first = body["results"][0]
    assert set(first) == {"id", "event", "ticket", "url", "created_at", "read", "title", "body"}
    assert first["event"] == "commented" and first["ticket"] == ticket.key
    assert first["url"] == f"/tickets/{ticket.key}/"
    assert first["body"] == "Перезагрузите принтер" and first["read"] is False
    assert "Пётр Петров" in first["title"] and ticket.key in first["title"]


def test_the_text_is_in_the_readers_language(api, agent, ticket):
    agent.language = "en"
    agent.save()
    note(agent, ticket, Event.ASSIGNED, actor="Pyotr")
    item = api.get(LIST).json()["results"][0]
    assert item["title"] == f"Pyotr assigned {ticket.key} to you"


def test_unread_filters_and_the_count_covers_all(api, agent, ticket):
    unread = note(agent, ticket)
    read = note(agent, ticket, read=True)

    only_unread = api.get(LIST, {"unread": "true"}).json()
    assert [item["id"] for item in only_unread["results"]] == [unread.pk]
    only_read = api.get(LIST, {"unread": "false"}).json()
    assert [item["id"] for item in only_read["results"]] == [read.pk]
    assert only_read["results"][0]["read"] is True
    # The badge's number, whatever the filter.
    assert only_unread["unread"] == only_read["unread"] == 1


def test_the_list_is_paginated(api, agent, ticket):
    for _ in range(3):
        note(agent, ticket)
    body = api.get(LIST, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert body["unread"] == 3
    assert len(api.get(body["next"]).json()["results"]) == 1


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    api, agent, ticket, django_assert_num_queries
):
    status = workflow().statuses[1].code  # the workflow is cached before counting
    for index in range(25):
        event = Event.STATUS_CHANGED if index % 2 else Event.COMMENTED
        note(agent, ticket, event, status=status, excerpt="…", read=index % 3 == 0)
    for size in (1, 5, 25):
        with django_assert_num_queries(LIST_QUERIES):
            response = api.get(LIST, {"page_size": size})
        assert len(response.json()["results"]) == size
    with django_assert_num_queries(LIST_QUERIES):
        api.get(LIST, {"unread": "true", "page_size": 100})


# --- Marking read -------------------------------------------------------------------------


def test_marking_one_read_is_idempotent(api, agent, ticket):
    first = note(agent, ticket)
    note(agent, ticket)

    response = api.post(read_url(first.pk))
    assert response.status_code == 200
    assert response.json() == {"id": first.pk, "read": True, "unread": 1}
    first.refresh_from_db()
    read_at = first.read_at
    assert read_at is not None

    again = api.post(read_url(first.pk))
    assert again.status_code == 200 and again.json()["unread"] == 1
    first.refresh_from_db()
    assert first.read_at == read_at  # the first reading stays


def test_another_persons_notification_does_not_exist(api, colleague, ticket):
    theirs = note(colleague, ticket)
    assert api.post(read_url(theirs.pk)).status_code == 404
    assert api.post(read_url(theirs.pk + 1000)).status_code == 404
    assert api.post(read_url(2**70)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_is_a_post(api, agent, ticket):
    mine = note(agent, ticket)
    assert api.get(read_url(mine.pk)).status_code == 405
    assert api.get(READ_ALL).status_code == 405


def test_marking_all_read_touches_only_ones_own(api, agent, colleague, ticket):
    note(agent, ticket)
    note(agent, ticket)
    theirs = note(colleague, ticket)

    response = api.post(READ_ALL)

    assert response.status_code == 200 and response.json() == {"unread": 0}
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.post(READ_ALL).json() == {"unread": 0}


def test_reading_tells_the_other_pages(
    api, agent, ticket, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "notifications.services.live.send_quietly", lambda group, payload: sent.append(payload)
    )
    mine = note(agent, ticket)
    note(agent, ticket)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(read_url(mine.pk))
    with django_capture_on_commit_callbacks(execute=True):
        api.post(READ_ALL)
    assert sent == [
        {"type": "notifications.read", "ids": [mine.pk], "unread": 1},
        {"type": "notifications.read", "ids": None, "unread": 0},
    ]


def test_a_session_post_needs_the_csrf_token(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(READ_ALL).status_code == 403


def test_a_token_reads_and_marks_without_csrf(agent, ticket):
    mine = note(agent, ticket)
    _token, secret = api_token_create(user=agent, name="CI")
    client = Client(enforce_csrf_checks=True, headers={"authorization": f"Token {secret}"})

    body = client.get(LIST).json()
    assert [item["id"] for item in body["results"]] == [mine.pk]
    assert client.post(read_url(mine.pk)).status_code == 200
    assert client.post(READ_ALL).json() == {"unread": 0}
    assert client.get(PREFERENCES).status_code == 200


def test_a_wrong_token_is_refused(client):
    response = client.get(LIST, HTTP_AUTHORIZATION="Token hd_wrong")
    assert response.status_code == 401


# --- Preferences --------------------------------------------------------------------------


def cells(body: dict) -> dict[tuple[str, str], bool]:
    return {
        (row["event"], channel): on
        for row in body["events"]
        for channel, on in row["channels"].items()
    }


def saved(user) -> dict[tuple[str, str], bool]:
    return {
        (row.event, row.channel): row.enabled
        for row in NotificationPreference.objects.filter(user=user)
    }


def test_preferences_start_from_the_defaults(api, agent):
    body = api.get(PREFERENCES).json()
    assert [row["event"] for row in body["events"]] == list(Event.values)
    assert cells(body) == {(e, c): default(e, c) for e in Event.values for c in Channel.values}
    assert body["sound"] is True
    assert all(set(row["channels"]) == {"ws", "push", "email"} for row in body["events"])


def test_preference_labels_follow_the_language(api, agent):
    agent.language = "en"
    agent.save()
    body = api.get(PREFERENCES).json()
    assert body["events"][0] == {
        "event": "assigned",
        "label": "Assigned to me",
        "channels": {"ws": True, "push": True, "email": True},
    }


@pytest.mark.parametrize("method", ["put", "patch"])
def test_changing_some_cells_changes_only_those(api, agent, method):
    change = {
        "events": [
            {"event": "commented", "channels": {"email": True}},
            {"event": "assigned", "channels": {"push": False}},
        ],
        "sound": False,
    }
    response = getattr(api, method)(PREFERENCES, change, content_type="application/json")

    assert response.status_code == 200
    body = response.json()
    expected = {(e, c): default(e, c) for e in Event.values for c in Channel.values}
    expected |= {("commented", "email"): True, ("assigned", "push"): False}
    assert cells(body) == expected and body["sound"] is False
    agent.refresh_from_db()
    assert agent.sound_enabled is False
    # Only the choices that differ from the defaults are stored.
    assert saved(agent) == {("commented", "email"): True, ("assigned", "push"): False}


def test_an_event_given_twice_takes_the_channels_of_both_the_later_winning(api, agent):
    change = {
        "events": [
            {"event": "overdue", "channels": {"email": False, "ws": False}},
            {"event": "overdue", "channels": {"ws": True, "push": False}},
        ]
    }
    response = api.put(PREFERENCES, change, content_type="application/json")
    assert response.status_code == 200
    assert saved(agent) == {("overdue", "email"): False, ("overdue", "push"): False}


def test_choosing_the_default_again_removes_the_row(api, agent):
    api.patch(
        PREFERENCES,
        {"events": [{"event": "overdue", "channels": {"email": False, "ws": False}}]},
        content_type="application/json",
    )
    assert saved(agent) == {("overdue", "email"): False, ("overdue", "ws"): False}

    response = api.put(
        PREFERENCES,
        {"events": [{"event": "overdue", "label": "ignored", "channels": {"email": True}}]},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert saved(agent) == {("overdue", "ws"): False}
    assert cells(response.json())[("overdue", "email")] is True


def test_sound_alone_and_nothing_at_all(api, agent):
    response = api.patch(PREFERENCES, {"sound": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["sound"] is False
    assert api.patch(PREFERENCES, {}, content_type="application/json").status_code == 200
    agent.refresh_from_db()
    assert agent.sound_enabled is False and saved(agent) == {}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"events": [{"event": "birthday", "channels": {"ws": True}}]}, "events"),
        ({"events": [{"event": "assigned", "channels": {"sms": True}}]}, "events"),
        ({"events": [{"event": "assigned", "channels": {"email": "yes"}}]}, "events"),
        ({"events": [{"event": "assigned", "channels": {"email": 1}}]}, "events"),
        ({"events": [{"event": "assigned", "channels": {"email": None}}]}, "events"),
        ({"events": [{"event": "assigned", "channels": ["email"]}]}, "events"),
        ({"events": [{"event": "assigned"}]}, "events"),
        ({"events": {"assigned": {"email": False}}}, "events"),
        ({"sound": "no"}, "sound"),
        ({"sound": 0}, "sound"),
    ],
)
def test_bad_preferences_are_refused_and_nothing_is_saved(api, agent, payload, field):
    payload = {**payload}
    if field == "sound":
        payload["events"] = [{"event": "assigned", "channels": {"email": False}}]
    else:
        payload["sound"] = False
    response = api.put(PREFERENCES, payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    agent.refresh_from_db()
    assert agent.sound_enabled is True and saved(agent) == {}


def test_preferences_take_json_only(api):
    response = api.put(PREFERENCES, {"sound": "false"})  # multipart form
    assert response.status_code == 415


def test_preferences_are_ones_own(client, agent, colleague):
    client.force_login(colleague)
    client.patch(
        PREFERENCES,
        {"events": [{"event": "assigned", "channels": {"ws": False}}]},
        content_type="application/json",
    )
    assert saved(agent) == {} and saved(colleague) == {("assigned", "ws"): False}
    assert client.get(PREFERENCES).status_code == 200
    assert Client().get(PREFERENCES).status_code == 403
