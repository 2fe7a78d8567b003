"""An open ticket page hears what changed, not only who changed it (issue 19, item 14):
the payload carries the change as sentences in each language of the site."""

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications import live
from notifications.groups import ticket_group
from tickets import services
from tickets.tests.factories import TicketFactory, priority, status
from tickets.timeline import change_sentences

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    payloads: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        live, "send_to_group", lambda group, payload: payloads.append((group, payload))
    )
    return payloads


def _to_ticket(sent, ticket) -> list[dict]:
    return [payload for group, payload in sent if group == ticket_group(ticket.pk)]


def test_a_change_says_what_changed_in_russian_and_english(
    sent, agent, queue, requester, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    helper = UserFactory(username="helper", display_name="Ирина Смирнова", roles=[Role.AGENT])
    queue.members.add(helper)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(
            actor=agent,
            ticket=ticket,
            status=status("in_progress"),
            priority=priority("urgent"),
            assignee=helper,
        )
    [payload] = _to_ticket(sent, ticket)
    name = agent.get_display_name()
    assert sorted(payload["summary"]["ru"]) == sorted(
        [
            f"{name}: статус изменён с Новая на В работе",
            f"{name}: приоритет изменён с Обычный на Срочный",
            f"{name}: назначен исполнитель Ирина Смирнова",
        ]
    )
    assert f"{name} changed the status from New to In progress" in payload["summary"]["en"]


def test_a_new_title_is_told_and_an_undescribed_field_is_not(
    sent, agent, queue, requester, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester, title="Принтер")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(actor=agent, ticket=ticket, title="Новый заголовок")

    [payload] = _to_ticket(sent, ticket)
    assert payload["summary"]["ru"] == [
        f"{agent.get_display_name()}: тема изменена с Принтер на Новый заголовок"
    ]


def test_fields_outside_the_ticket_page_are_not_told():
    assert change_sentences(actor=None, changes={"conflict_status": ("1", "2")}) == {}
