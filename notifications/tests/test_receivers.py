"""Who hears about what: notifications written with the change, never for one's own."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications.models import Channel, Delivery, Event, Notification, NotificationPreference
from tickets import services
from tickets.tests.factories import TicketFactory, comment, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(queue):
    user = UserFactory(username="anna", roles=[Role.AGENT])
    queue.members.add(user)
    return user


@pytest.fixture
def ticket(queue, requester, colleague):
    return TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")


def heard(event=None) -> set[tuple[str, str]]:
    rows = Notification.objects.all()
    if event:
        rows = rows.filter(event=event)
    return {(n.recipient.username, n.event) for n in rows}


def test_a_new_ticket_reaches_the_queue_agents_not_its_author(queue, requester, agent, colleague):
    TicketFactory(queue=queue, requester=requester, actor=requester)
    assert heard() == {("agent", Event.NEW_TICKET), ("anna", Event.NEW_TICKET)}


def test_an_agent_filing_is_not_told_of_their_own_ticket(queue, requester, agent, colleague):
    TicketFactory(queue=queue, requester=requester, actor=agent)
    assert heard() == {("anna", Event.NEW_TICKET)}


def test_assigning_notifies_the_assignee_only(ticket, agent, colleague):
    Notification.objects.all().delete()
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    assert heard() == {("anna", Event.ASSIGNED)}
    note = Notification.objects.get()
    assert note.params["key"] == ticket.key and note.actor == agent


def test_taking_a_ticket_tells_nobody(ticket, agent):
    Notification.objects.all().delete()
    services.ticket_take(actor=agent, ticket=ticket)
    assert heard() == set()


def test_status_change_reaches_requester_assignee_and_watchers(ticket, agent, colleague):
    watcher = UserFactory(username="watcher", roles=[Role.REQUESTER])
    services.ticket_watch(actor=agent, ticket=ticket, user=watcher, watching=True)
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    Notification.objects.all().delete()

    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))

    assert heard() == {
        ("requester", Event.STATUS_CHANGED),
        ("anna", Event.STATUS_CHANGED),
        ("watcher", Event.STATUS_CHANGED),
    }
    assert Notification.objects.filter(params__status="in_progress").count() == 3


def test_comments_reach_the_audience_and_mentions_win(ticket, agent, colleague, requester):
    services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    Notification.objects.all().delete()

    comment(ticket, requester, "Посмотрите, пожалуйста, @anna и @nobody")

    assert heard() == {("agent", Event.COMMENTED), ("anna", Event.MENTIONED)}
    assert "@anna" in Notification.objects.get(recipient=colleague).params["excerpt"]


def test_requesters_never_hear_of_internal_notes(ticket, agent, colleague, requester):
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    Notification.objects.all().delete()

    comment(ticket, agent, "Внутреннее: заявитель этого не увидит", is_internal=True)

    assert heard() == {("anna", Event.COMMENTED)}


def test_mentions_of_people_who_cannot_see_the_ticket_are_refused(ticket, requester):
    UserFactory(username="stranger", roles=[Role.REQUESTER])
    Notification.objects.all().delete()
    with pytest.raises(ValidationError):
        comment(ticket, requester, "@stranger посмотри")
    assert not heard()


def test_deliveries_follow_preferences(ticket, agent, colleague):
    NotificationPreference.objects.create(
        user=colleague, event=Event.ASSIGNED, channel=Channel.PUSH, enabled=False
    )
    Notification.objects.all().delete()
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    channels = set(Delivery.objects.values_list("channel", flat=True))
    assert channels == {Channel.WS, Channel.EMAIL}, "push switched off, e-mail on by default"


def test_everything_off_writes_nothing(ticket, agent, colleague):
    for channel in Channel:
        NotificationPreference.objects.create(
            user=colleague, event=Event.ASSIGNED, channel=channel, enabled=False
        )
    Notification.objects.all().delete()
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    assert not Notification.objects.exists()


def test_notifications_roll_back_with_the_change(ticket, agent, colleague):
    Notification.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
        assert Notification.objects.exists(), "written inside the change's transaction"
        raise RuntimeError("the change fails after the service")
    assert not Notification.objects.exists()


def test_a_failing_receiver_never_undoes_the_change(
    ticket, agent, settings, colleague, monkeypatch
):
    settings.RAISE_RECEIVER_ERRORS = False  # as in production
    from notifications import receivers

    def broken(*args, **kwargs):
        raise ValueError("bug in notifications")

    monkeypatch.setattr(receivers, "notify_all", broken)
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    ticket.refresh_from_db()
    assert ticket.assignee == colleague


def test_deliveries_start_only_after_commit(
    ticket, agent, colleague, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import delivery

    started = []
    monkeypatch.setattr(delivery, "dispatch", lambda ids: started.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
        assert started == []
    for callback in callbacks:
        callback()
    assert len(started) == 1
