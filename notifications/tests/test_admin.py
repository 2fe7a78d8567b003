"""The operators' pages of notifications and deliveries, and retrying failed deliveries."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Delivery, Event, Notification
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOTIFICATIONS = reverse("admin:notifications_notification_changelist")
DELIVERIES = reverse("admin:notifications_delivery_changelist")


@pytest.fixture
def ticket(agent, requester):
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    Notification.objects.all().delete()
    return ticket


def note(user, ticket, event=Event.ASSIGNED) -> Notification:
    return Notification.objects.create(
        recipient=user,
        event=event,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Пётр"},
    )


def sent(notification, channel, state=Delivery.State.SENT, **fields) -> Delivery:
    return Delivery.objects.create(
        notification=notification, channel=channel, state=state, **fields
    )


@pytest.fixture
def deliveries(agent, ticket):
    notification = note(agent, ticket)
    return {
        "ws": sent(notification, "ws"),
        "push": sent(
            notification, "push", Delivery.State.FAILED, attempts=8, last_error="410 Gone"
        ),
        "email": sent(
            notification, "email", Delivery.State.FAILED, attempts=3, last_error="550 No user"
        ),
    }


@pytest.fixture
def operator(client, admin):
    client.force_login(admin)
    return client


def test_the_pages_load(operator, deliveries, ticket):
    notification = Notification.objects.get()
    for url in (
        NOTIFICATIONS,
        f"{NOTIFICATIONS}?read=no",
        f"{NOTIFICATIONS}?event=assigned",
        f"{NOTIFICATIONS}?q={ticket.key}",
        f"{NOTIFICATIONS}?q=agent",
        reverse("admin:notifications_notification_change", args=[notification.pk]),
        DELIVERIES,
        f"{DELIVERIES}?state=failed",
        f"{DELIVERIES}?channel=email",
        reverse("admin:notifications_delivery_change", args=[deliveries["push"].pk]),
    ):
        response = operator.get(url)
        assert response.status_code == 200, url


def test_the_notification_list_and_page_show_what_matters(operator, deliveries, ticket, agent):
    html = operator.get(NOTIFICATIONS).content.decode()
    assert ticket.key in html and str(agent) in html
    page = operator.get(
        reverse("admin:notifications_notification_change", args=[Notification.objects.get().pk])
    ).content.decode()
    assert "550 No user" in page and "410 Gone" in page  # the deliveries, inline
    assert "Пётр" in page and ticket.key in page  # the text as the recipient reads it


def test_search_and_filters_narrow_the_list(operator, deliveries, ticket, requester):
    other = note(requester, ticket, Event.STATUS_CHANGED)
    found = operator.get(f"{NOTIFICATIONS}?q=requester").context["cl"].result_list
    assert list(found) == [other]
    failed = operator.get(f"{DELIVERIES}?state=failed").context["cl"].result_list
    assert {d.pk for d in failed} == {deliveries["push"].pk, deliveries["email"].pk}
    emails = operator.get(f"{DELIVERIES}?state=failed&channel=email").context["cl"].result_list
    assert [d.pk for d in emails] == [deliveries["email"].pk]


def test_the_lists_cost_the_same_queries_for_more_rows(operator, agent, ticket):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert operator.get(url).status_code == 200
        return len(captured)

    for _ in range(2):
        sent(note(agent, ticket), "ws")
    few = queries(NOTIFICATIONS), queries(DELIVERIES)
    for _ in range(10):
        sent(note(agent, ticket), "email", Delivery.State.FAILED)
    assert (queries(NOTIFICATIONS), queries(DELIVERIES)) == few


def test_the_pages_are_read_only(operator, deliveries):
    assert operator.get(reverse("admin:notifications_notification_add")).status_code == 403
    assert operator.get(reverse("admin:notifications_delivery_add")).status_code == 403
    page = operator.get(
        reverse("admin:notifications_delivery_change", args=[deliveries["push"].pk])
    ).content.decode()
    assert 'name="_save"' not in page
    assert "delete_selected" not in operator.get(DELIVERIES).content.decode()


def retry(client, ids):
    return client.post(
        DELIVERIES,
        {"action": "retry_selected", "_selected_action": ids, "index": 0},
        follow=True,
    )


def test_retrying_puts_failed_deliveries_back_and_starts_them(
    operator, deliveries, monkeypatch, django_capture_on_commit_callbacks
):
    started: list[list[int]] = []
    monkeypatch.setattr("notifications.delivery.dispatch_deliveries", started.append)
    ids = [d.pk for d in deliveries.values()]

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(operator, ids)

    assert response.status_code == 200
    for name in ("push", "email"):
        row = Delivery.objects.get(pk=deliveries[name].pk)
        assert (row.state, row.attempts, row.claimed_until) == (Delivery.State.PENDING, 0, None)
    assert Delivery.objects.get(pk=deliveries["ws"].pk).state == Delivery.State.SENT
    # One task for all of them, not one per delivery.
    assert started == [sorted([deliveries["push"].pk, deliveries["email"].pk])]
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2  # retried, and the one that was not failed


def test_retrying_needs_the_change_permission(client, manager, deliveries, monkeypatch):
    monkeypatch.setattr(
        "notifications.delivery.dispatch_deliveries", lambda ids: pytest.fail("started")
    )
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_delivery", "view_notification"])
    )
    client.force_login(manager)
    assert client.get(NOTIFICATIONS).status_code == 200
    page = client.get(DELIVERIES)
    assert page.status_code == 200 and "retry_selected" not in page.content.decode()

    retry(client, [deliveries["push"].pk])

    assert Delivery.objects.get(pk=deliveries["push"].pk).state == Delivery.State.FAILED


def test_people_without_access_see_nothing(client, agent):
    client.force_login(agent)
    assert client.get(DELIVERIES).status_code == 302  # to the admin's sign-in
