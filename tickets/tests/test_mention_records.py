"""Mentions kept as rows (``CommentMention``): written by the comment service, kept true by
edits and merges, filled from old comments by the migration; read by the list's
``mentioned=me`` and ``awaiting=me`` filters (web and API alike)."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.filters import TicketFilterForm, filter_chips, filter_tickets
from tickets.models import Comment, CommentMention
from tickets.selectors import visible_tickets
from tickets.tests.factories import TicketFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(queue):
    """Пётр works the agent's queue."""
    user = UserFactory(username="petrov", first_name="Пётр", last_name="Петров", roles=[Role.AGENT])
    queue.members.add(user)
    return user


@pytest.fixture
def ticket(queue, requester, agent):
    return TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)


def mentions(ticket):
    return set(
        CommentMention.objects.filter(ticket=ticket).values_list("user__username", flat=True)
    )


def listed(user, **params):
    data = QueryDict(mutable=True)
    data.update(params)
    form = TicketFilterForm(data, user=user)
    return set(
        filter_tickets(visible_tickets(user), form=form, user=user).values_list("key", flat=True)
    )


def test_comments_and_notes_record_whom_they_mention(ticket, agent, colleague, requester):
    comment(ticket, agent, "@petrov, посмотри; @agent — это я, @nobody нет.")
    note = comment(ticket, colleague, "@agent глянь", is_internal=True)
    assert mentions(ticket) == {"petrov", "agent"}
    row = CommentMention.objects.get(comment=note)
    assert row.is_internal and row.created_at == note.created_at and row.user == agent
    # Nobody is recorded twice for one comment, nor for a comment without a mention.
    comment(ticket, requester, "Спасибо")
    assert CommentMention.objects.count() == 2


def test_an_edit_keeps_mentions_true(ticket, agent, colleague, requester):
    written = comment(ticket, agent, "Вопрос к @petrov")
    first = CommentMention.objects.get(comment=written)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        services.comment_edit(actor=agent, comment=written, body="Вопрос к @petrov и @requester")
    rows = {m.user.username: m for m in CommentMention.objects.filter(comment=written)}
    assert set(rows) == {"petrov", "requester"}
    assert rows["petrov"].created_at == first.created_at  # kept, not mentioned again
    assert rows["requester"].created_at > first.created_at  # new with the edit
    services.comment_edit(actor=agent, comment=written, body="Вопрос снят")
    assert not CommentMention.objects.filter(comment=written).exists()


def test_a_merge_moves_the_mentions_with_the_comments(ticket, agent, colleague, queue, requester):
    duplicate = TicketFactory(queue=queue, requester=requester, actor=requester)
    comment(duplicate, agent, "@petrov тоже")
    services.ticket_merge(source=duplicate, target=ticket, by=agent)
    assert mentions(ticket) == {"petrov"}


def test_the_migration_fills_mentions_from_existing_comments(ticket, agent, colleague, requester):
    comment(ticket, agent, "@petrov и @Requester.")
    comment(ticket, colleague, "сам себе @petrov", is_internal=True)
    expected = set(
        CommentMention.objects.values_list("comment_id", "user_id", "created_at", "is_internal")
    )
    CommentMention.objects.all().delete()
    migration = importlib.import_module("tickets.migrations.0011_comment_mentions")
    migration.fill_mentions(apps, None)
    filled = set(
        CommentMention.objects.values_list("comment_id", "user_id", "created_at", "is_internal")
    )
    assert filled == expected and len(filled) == 2


def test_mentioned_lists_tickets_until_i_answer(ticket, agent, colleague, queue, requester):
    other = TicketFactory(queue=queue, requester=requester, actor=requester)
    comment(ticket, colleague, "@agent подскажи", is_internal=True)
    comment(other, requester, "Здравствуйте, @agent")
    assert listed(agent, mentioned="me") == {ticket.key, other.key}
    assert listed(colleague, mentioned="me") == set()
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        comment(ticket, agent, "Готово")
    assert listed(agent, mentioned="me") == {other.key}
    # A mention after my answer counts again.
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        comment(ticket, requester, "@agent не помогло")
    assert listed(agent, mentioned="me") == {ticket.key, other.key}


def test_a_note_mention_counts_only_while_i_work_the_ticket(ticket, agent, colleague, queue):
    comment(ticket, agent, "@petrov нужна помощь", is_internal=True)
    assert listed(colleague, mentioned="me") == {ticket.key}
    queue.members.remove(colleague)
    ticket.watchers.add(colleague)  # still sees the ticket, no longer reads its notes
    fresh = type(colleague).objects.get(pk=colleague.pk)  # queues are cached on the user
    assert listed(fresh, mentioned="me") == set()


def test_awaiting_lists_my_tickets_where_the_requester_spoke_last(
    ticket, agent, colleague, queue, requester
):
    answered = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=agent)
    someone_elses = TicketFactory(queue=queue, requester=requester, actor=agent, assignee=colleague)
    for item in (ticket, answered, someone_elses):
        comment(item, requester, "Жду")
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        comment(answered, agent, "Отвечаю")
        comment(ticket, agent, "Заметка", is_internal=True)  # notes are not answers
    assert listed(agent, awaiting="me") == {ticket.key}
    assert listed(colleague, awaiting="me") == {someone_elses.key}


def test_filters_show_as_chips_and_in_the_api(client, ticket, agent, requester):
    comment(ticket, requester, "@agent срочно")
    form = TicketFilterForm(QueryDict("mentioned=me&awaiting=me"), user=agent)
    chips = filter_chips(form, QueryDict("mentioned=me&awaiting=me"))
    assert [chip.param for chip in chips] == ["mentioned", "awaiting"]
    assert chips[0].remove_query == "?awaiting=me"
    client.force_login(agent)
    page = client.get(reverse("tickets:list"), {"mentioned": "me"})
    assert ticket.key in page.content.decode()
    assert 'id="list-mentioned"' in page.content.decode()
    response = client.get("/api/v1/tickets/", {"mentioned": "me", "awaiting": "me"})
    assert response.status_code == 200
    assert [row["key"] for row in response.json()["results"]] == [ticket.key]
    assert client.get("/api/v1/tickets/", {"mentioned": "you"}).status_code == 400


def test_a_comment_without_mentions_writes_no_mention_rows(
    ticket, agent, django_assert_max_num_queries
):
    comment(ticket, agent, "Разогрев")
    with django_assert_max_num_queries(100) as captured:
        comment(ticket, agent, "Без упоминаний")
    assert not any("tickets_commentmention" in q["sql"] for q in captured.captured_queries)
    assert Comment.objects.filter(ticket=ticket).count() == 2
