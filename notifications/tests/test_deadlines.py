"""Deadline reminders: due soon and overdue, once per threshold and due date."""

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications import deadlines, tasks
from notifications.deadlines import remind_deadlines
from notifications.models import Channel, Delivery, Event, Notification, NotificationPreference
from tickets import services
from tickets.tests.factories import TicketFactory, status
from tickets.workflow import agents, workflow

pytestmark = pytest.mark.django_db

# Today at 10:00 in the site's time zone, from the real clock; the tests move from there.
TODAY = timezone.localdate()
NOW = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(10, 0)))


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def colleague(queue):
    user = UserFactory(username="anna", roles=[Role.AGENT])
    queue.members.add(user)
    return user


@pytest.fixture
def make_ticket(queue, requester, agent, colleague):
    def make(due_date, assignee=agent, **kwargs):
        ticket = TicketFactory(
            queue=queue,
            requester=requester,
            actor=None,  # filed by the system, so it may be assigned and dated
            assignee=assignee,
            due_date=due_date,
            **kwargs,
        )
        Notification.objects.all().delete()  # the new-ticket notices
        return ticket

    return make


def heard() -> set[tuple[str, str, str]]:
    return {
        (n.recipient.username, n.event, n.params["key"])
        for n in Notification.objects.select_related("recipient")
    }


def test_due_soon_and_overdue_are_reminded_once(make_ticket, django_assert_max_num_queries):
    today = make_ticket(days(0), title="Сегодня")
    tomorrow = make_ticket(days(1))
    later = make_ticket(days(2))
    late = make_ticket(days(-3))
    make_ticket(None)

    assert remind_deadlines(NOW) == 3

    assert heard() == {
        ("agent", Event.DUE_SOON, today.key),
        ("agent", Event.DUE_SOON, tomorrow.key),
        ("agent", Event.OVERDUE, late.key),
    }
    reminder = Notification.objects.get(ticket=today)
    assert reminder.params == {
        "key": today.key,
        "title": "Сегодня",
        "actor": "",
        "due_date": TODAY.isoformat(),
    }
    assert reminder.actor is None
    assert reminder.once_key == f"due_soon:{today.pk}:{TODAY.isoformat()}"
    assert not Notification.objects.filter(ticket=later).exists()

    # Again the same day, or an hour later: nobody is reminded twice, and checking
    # costs the tickets' query and one for the reminders already written.
    with django_assert_max_num_queries(2):
        assert remind_deadlines(NOW) == 0
    assert remind_deadlines(NOW + dt.timedelta(hours=1)) == 0
    assert Notification.objects.count() == 3


def test_the_next_threshold_reminds_again(make_ticket):
    today = make_ticket(days(0))
    tomorrow = make_ticket(days(1))
    later = make_ticket(days(2))
    remind_deadlines(NOW)
    Notification.objects.update(read_at=NOW)

    assert remind_deadlines(NOW + dt.timedelta(days=1)) == 2

    fresh = {(n.event, n.params["key"]) for n in Notification.objects.filter(read_at__isnull=True)}
    # Today's is now overdue; tomorrow's was already "due soon"; the later one is now.
    assert fresh == {(Event.OVERDUE, today.key), (Event.DUE_SOON, later.key)}
    assert not Notification.objects.filter(ticket=tomorrow, read_at__isnull=True).exists()


def test_a_changed_due_date_reminds_again(make_ticket, agent):
    ticket = make_ticket(days(1))
    remind_deadlines(NOW)
    ticket.refresh_from_db()
    services.ticket_update(actor=agent, ticket=ticket, due_date=days(0))
    Notification.objects.exclude(event=Event.DUE_SOON).delete()

    assert remind_deadlines(NOW) == 1

    dates = sorted(n.params["due_date"] for n in Notification.objects.filter(ticket=ticket))
    assert dates == [days(0).isoformat(), days(1).isoformat()]


def test_closed_tickets_are_not_reminded(make_ticket, agent):
    done = make_ticket(days(-1))
    services.ticket_change_status(actor=agent, ticket=done, status=status("closed"))
    resolved = make_ticket(days(0))
    services.ticket_change_status(actor=agent, ticket=resolved, status=status("resolved"))
    Notification.objects.all().delete()

    assert remind_deadlines(NOW) == 0
    assert not Notification.objects.exists()


def test_unassigned_tickets_remind_the_queue_agents(make_ticket, requester):
    outsider = UserFactory(username="boris", roles=[Role.AGENT])
    ticket = make_ticket(days(-1), assignee=None)

    assert remind_deadlines(NOW) == 2

    assert heard() == {("agent", Event.OVERDUE, ticket.key), ("anna", Event.OVERDUE, ticket.key)}
    assert outsider.notifications.count() == requester.notifications.count() == 0


def test_the_due_soon_window_is_a_setting(make_ticket, settings):
    settings.NOTIFICATION_DUE_SOON_DAYS = 3
    in_three = make_ticket(days(3))
    make_ticket(days(4))
    assert remind_deadlines(NOW) == 1
    assert heard() == {("agent", Event.DUE_SOON, in_three.key)}


def test_reminders_follow_the_preferences(make_ticket, agent):
    for channel in Channel:
        NotificationPreference.objects.create(
            user=agent, event=Event.DUE_SOON, channel=channel, enabled=False
        )
    make_ticket(days(0))
    late = make_ticket(days(-1))
    assert remind_deadlines(NOW) == 1
    assert heard() == {("agent", Event.OVERDUE, late.key)}


def test_reminders_are_delivered_after_commit(
    make_ticket, monkeypatch, django_capture_on_commit_callbacks
):
    started: list[int] = []
    monkeypatch.setattr("notifications.receivers.delivery.dispatch", started.extend)
    make_ticket(days(-1))
    with django_capture_on_commit_callbacks(execute=True):
        remind_deadlines(NOW)
    reminder = Notification.objects.get()
    assert started == [reminder.pk]
    # Overdue goes everywhere by default, e-mail included.
    assert set(Delivery.objects.values_list("channel", flat=True)) == set(Channel.values)


def test_two_queries_per_chunk_of_tickets(make_ticket, monkeypatch, django_assert_num_queries):
    for offset in range(-2, 2):
        make_ticket(days(offset), assignee=None)
    calls: list[tuple[Any, ...]] = []

    def notify(*args: object, **kwargs: object) -> list[Notification]:
        calls.append(args)
        return []

    monkeypatch.setattr("notifications.receivers.notify", notify)
    workflow(), agents()  # cached, as between runs

    # The tickets, and who was already reminded of them.
    with django_assert_num_queries(2):
        remind_deadlines(NOW)
    assert len(calls) == 4

    calls.clear()
    monkeypatch.setattr(deadlines, "CHUNK", 3)
    with django_assert_num_queries(4):
        remind_deadlines(NOW)
    assert len({ticket.pk for ticket, _actor, _plan in calls}) == 4


def test_the_task_runs_once_at_a_time(make_ticket):
    make_ticket(timezone.localdate() - dt.timedelta(days=1))
    assert cache.add(tasks.DEADLINES_LOCK, 1)
    assert tasks.remind_deadlines_task.apply().get() == 0
    cache.delete(tasks.DEADLINES_LOCK)
    assert tasks.remind_deadlines_task() == 1
    assert cache.get(tasks.DEADLINES_LOCK) is None
    assert tasks.remind_deadlines_task.name == "notifications.remind_deadlines"


def test_a_reminder_written_meanwhile_by_another_run_is_skipped(make_ticket, monkeypatch):
    first = make_ticket(days(-1))
    second = make_ticket(days(-1))
    notify = deadlines.receivers.notify

    def racing(ticket, *args, **kwargs):
        if ticket.pk == first.pk:
            raise IntegrityError("UNIQUE constraint failed: notification_once")
        return notify(ticket, *args, **kwargs)

    monkeypatch.setattr("notifications.receivers.notify", racing)
    assert remind_deadlines(NOW) == 1
    assert heard() == {("agent", Event.OVERDUE, second.key)}
