"""``manage.py seed_demo --tickets N``: demo queues and tickets, idempotent and seeded."""

import io
import re
from collections import defaultdict

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role, user_role
from tickets import services
from tickets.demo import DEMO_PREFIXES, comment_counts
from tickets.lemmas import normalise
from tickets.models import (
    Comment,
    KeyCounter,
    Queue,
    SearchDocument,
    Ticket,
    TicketEvent,
    WipLimit,
)
from tickets.search import search_tickets
from tickets.selectors import visible_tickets
from tickets.workflow import ensure_default_workflow, workflow

pytestmark = pytest.mark.django_db

N = 30


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True  # the default demo password is only accepted with DEBUG on


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "comments": Comment.objects.count(),
        "events": TicketEvent.objects.count(),
        "search documents": SearchDocument.objects.count(),
        "users": User.objects.count(),
        "queues": Queue.objects.count(),
    }


def titles_in_order() -> list[str]:
    return list(Ticket.objects.order_by("id").values_list("title", flat=True))


def forget_tickets() -> None:
    Ticket.objects.all().delete()
    KeyCounter.objects.all().delete()


def test_seeds_queues_and_tickets_with_comments_and_history():
    output = seed("--tickets", str(N))
    assert "batch 1/1: 30 tickets" in output
    assert "Demo tickets ready: 30" in output
    assert set(Queue.objects.values_list("key_prefix", flat=True)) == set(DEMO_PREFIXES)
    assert Ticket.objects.count() == N
    # Five comments per ticket on average, exactly over whole pairs of tickets.
    assert Comment.objects.count() == 5 * N
    assert len(set(Comment.objects.values_list("ticket_id", "body"))) > N
    initial = workflow().initial_status
    for ticket in Ticket.objects.prefetch_related("events", "tags"):
        kinds = [event.kind for event in ticket.events.all()]
        assert kinds[0] == TicketEvent.Kind.CREATED
        assert ticket.tags.exists()
        if ticket.status_id != initial.pk:
            last_status = [e for e in ticket.events.all() if e.field == "status"][-1]
            assert last_status.new_value == str(ticket.status_id)
            assert ticket.assignee_id is not None
        if ticket.status.is_closed:
            assert ticket.resolved_at and ticket.closed_at
        assert ticket.updated_at >= ticket.created_at
    commented = TicketEvent.objects.filter(kind=TicketEvent.Kind.COMMENTED)
    assert commented.count() == Comment.objects.count()


def test_same_count_twice_adds_nothing_and_a_larger_count_tops_up():
    seed("--tickets", "20")
    before = counts()
    first_keys = set(Ticket.objects.values_list("key", flat=True))
    output = seed("--tickets", "20")
    assert counts() == before
    assert "none added" in output
    seed("--tickets", str(N))
    assert Ticket.objects.count() == N
    assert first_keys < set(Ticket.objects.values_list("key", flat=True))
    seed("--tickets", "10")  # fewer than there are: nothing removed, nothing added
    assert Ticket.objects.count() == N


def test_same_seed_gives_the_same_tickets_and_another_seed_others():
    seed("--tickets", str(N), "--seed", "7")
    first = titles_in_order()
    assignees = list(Ticket.objects.order_by("id").values_list("assignee__username", flat=True))
    forget_tickets()
    seed("--tickets", str(N), "--seed", "7", "--batch-size", "7")
    assert titles_in_order() == first
    assert (
        list(Ticket.objects.order_by("id").values_list("assignee__username", flat=True))
        == assignees
    )
    forget_tickets()
    seed("--tickets", str(N), "--seed", "8")
    assert titles_in_order() != first


def test_a_top_up_gives_the_tickets_a_fresh_run_would():
    seed("--tickets", "12", "--seed", "3")
    seed("--tickets", str(N), "--seed", "3")
    topped_up = sorted(titles_in_order())
    forget_tickets()
    seed("--tickets", str(N), "--seed", "3")
    assert sorted(titles_in_order()) == topped_up


def test_keys_are_unique_and_sequential_per_queue_and_ranks_distinct_per_column():
    seed("--tickets", str(N))
    seed("--tickets", str(N + 8))  # a second load continues the numbering
    numbers = defaultdict(list)
    for key, number, prefix in Ticket.objects.values_list("key", "number", "queue__key_prefix"):
        assert key == f"{prefix}-{number}"
        numbers[prefix].append(number)
    for prefix, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1))
        assert KeyCounter.objects.get(prefix=prefix).last_number == len(found)
    columns = defaultdict(list)
    for status_id, rank in Ticket.objects.values_list("status_id", "rank"):
        columns[status_id].append(rank)
    assert all(len(ranks) == len(set(ranks)) for ranks in columns.values())
    # Tickets filed afterwards through the services carry on after the demo keys.
    hd = Queue.objects.get(key_prefix="HD")
    ticket = services.ticket_create(
        actor=User.objects.get(username="requester1"), queue=hd, title="После демо"
    )
    assert ticket.number == len(numbers["HD"]) + 1
    assert ticket.rank < min(columns[ticket.status_id])


# Transactional: InnoDB applies full-text changes when the seeding transactions commit, as
# they do in the command. Such a test starts from emptied tables, without the statuses and
# priorities of the data migration, so it creates them as the migration does.
@pytest.mark.django_db(transaction=True)
def test_search_index_finds_seeded_words():
    ensure_default_workflow()
    seed("--tickets", str(N))
    ticket = Ticket.objects.order_by("id").first()
    assert ticket is not None
    word = max(re.findall(r"[^\W\d_]{4,}", ticket.title), key=len)
    found = search_tickets(Ticket.objects.all(), word)
    assert ticket in found
    assert SearchDocument.objects.get(ticket=ticket).title == normalise(ticket.title)
    # Comment words are indexed too, internal notes apart from public replies.
    note = Comment.objects.filter(is_internal=True).select_related("ticket").first()
    assert note is not None
    assert SearchDocument.objects.get(ticket=note.ticket).notes


def test_comments_include_internal_notes_by_agents():
    seed("--tickets", str(N))
    notes = Comment.objects.filter(is_internal=True).select_related("author")
    assert notes.exists()
    assert {user_role(note.author) for note in notes} == {Role.AGENT}
    assert Comment.objects.filter(is_internal=False).exists()
    internal_events = TicketEvent.objects.filter(kind=TicketEvent.Kind.COMMENTED, is_internal=True)
    assert internal_events.count() == notes.count()


def test_personas_queues_and_visibility_work_after_seeding():
    seed("--tickets", str(N))
    agent1 = authenticate(username="agent1", password="demo")
    requester1 = authenticate(username="requester1", password="demo")
    assert agent1 is not None and requester1 is not None
    hd = Queue.objects.get(key_prefix="HD")
    assert set(hd.members.values_list("username", flat=True)) == {"agent1", "agent2"}
    hw_assignee = Queue.objects.get(key_prefix="HW").default_assignee
    assert hw_assignee is not None
    assert hw_assignee.username == "agent3"
    assert WipLimit.objects.filter(queue=hd, status__code="in_progress").exists()
    own = visible_tickets(requester1)
    assert set(own.values_list("requester_id", flat=True)) <= {requester1.pk}
    assert (
        visible_tickets(agent1).filter(queue=hd).count() == Ticket.objects.filter(queue=hd).count()
    )


def test_comment_counts_vary_but_keep_the_average():
    found = comment_counts(seed=1, start=0, stop=200, per_ticket=5)
    assert sum(found) == 1000
    assert min(found) < 3 and max(found) > 7
    assert comment_counts(seed=1, start=50, stop=60, per_ticket=5) == found[50:60]


def test_the_demo_ticket_about_a_network_folder_shows_its_path_with_both_backslashes(client):
    seed("--tickets", str(N))
    restored = Comment.objects.filter(body="Доступ к \\\\fs02\\scan восстановлен.")
    ticket = Ticket.objects.filter(comments__in=restored).first()
    assert ticket is not None
    client.force_login(User.objects.get(username="agent1"))

    html = client.get(ticket.get_absolute_url()).content.decode()

    assert ticket.queue.key_prefix == "HD"
    assert "<p>Доступ к \\\\fs02\\scan восстановлен.</p>" in html
    assert "<code>\\\\fs02\\scan</code>" in html  # the description's code span, as before
    assert "к \\fs02" not in html
