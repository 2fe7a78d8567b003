"""The list's filter form and the queryset it builds (tickets/filters.py)."""

from datetime import datetime, time, timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone, translation

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.filters import TicketFilterForm, filter_chips, filter_tickets
from tickets.models import Ticket
from tickets.selectors import visible_tickets
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(agent):
    return QueueFactory(name="Network", key_prefix="NET", slug="net", members=[agent])


def keys(user, query: str = "", **extra) -> list[str]:
    """The keys the list shows ``user`` for a query string, in order."""
    form = TicketFilterForm(QueryDict(query), user=user, **extra)
    return [t.key for t in filter_tickets(visible_tickets(user), form=form, user=user)]


def form_for(user, query: str) -> TicketFilterForm:
    form = TicketFilterForm(QueryDict(query), user=user)
    form.is_valid()
    return form


def set_times(ticket: Ticket, **values) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(**values)


# --- State, status, priority, queue -------------------------------------------------------


def test_open_by_default_closed_and_all(agent, queue, requester):
    open_ticket = TicketFactory(queue=queue, requester=requester)
    closed = TicketFactory(queue=queue, requester=requester, status=status("closed"))
    assert keys(agent) == [open_ticket.key]
    assert keys(agent, "state=closed") == [closed.key]
    assert set(keys(agent, "state=all")) == {open_ticket.key, closed.key}


def test_status_filter_takes_the_place_of_the_state(agent, queue, requester):
    new = TicketFactory(queue=queue, requester=requester)
    waiting = TicketFactory(queue=queue, requester=requester, status=status("waiting"))
    resolved = TicketFactory(queue=queue, requester=requester, status=status("resolved"))
    assert keys(agent, "status=waiting") == [waiting.key]
    assert set(keys(agent, "status=new&status=resolved")) == {new.key, resolved.key}


def test_priority_and_queue_filters(agent, queue, network, requester):
    low = TicketFactory(queue=queue, requester=requester, priority=priority("low"))
    urgent = TicketFactory(queue=network, requester=requester, priority=priority("urgent"))
    assert keys(agent, "priority=urgent") == [urgent.key]
    assert set(keys(agent, "priority=urgent&priority=low")) == {low.key, urgent.key}
    assert keys(agent, "queue=hd") == [low.key]
    assert keys(agent, "queue=net&priority=low") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=nope", "status"),
        ("priority=bogus", "priority"),
        ("queue=missing", "queue"),
        ("state=sideways", "state"),
        ("sort=colour", "sort"),
        ("per_page=7", "per_page"),
    ],
)
def test_unknown_codes_are_field_errors_and_are_ignored(agent, queue, requester, query, field):
    ticket = TicketFactory(queue=queue, requester=requester)
    form = form_for(agent, query)
    assert field in form.errors
    assert keys(agent, query) == [ticket.key]


# --- People ---------------------------------------------------------------------------


def test_assignee_me_none_id_and_username(agent, manager, queue, requester):
    mine = TicketFactory(queue=queue, requester=requester, assignee=agent)
    theirs = TicketFactory(queue=queue, requester=requester, assignee=manager)
    nobody = TicketFactory(queue=queue, requester=requester)
    assert keys(agent, "assignee=me") == [mine.key]
    assert keys(agent, "assignee=none") == [nobody.key]
    assert keys(agent, f"assignee={manager.pk}") == [theirs.key]
    assert keys(agent, "assignee=MANAGER") == [theirs.key]


def test_requester_me_and_username(agent, queue, requester):
    other = UserFactory(username="other", roles=[Role.REQUESTER])
    filed = TicketFactory(queue=queue, requester=requester)
    TicketFactory(queue=queue, requester=other)
    own = TicketFactory(queue=queue, requester=agent, actor=agent)
    assert keys(agent, "requester=requester") == [filed.key]
    assert keys(agent, "requester=me") == [own.key]


def test_unknown_person_is_an_error_and_ignored(agent, queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    form = form_for(agent, "assignee=ghost&requester=none")
    assert "assignee" in form.errors
    assert "requester" in form.errors  # every ticket has a requester
    assert keys(agent, "assignee=ghost") == [ticket.key]


def test_people_are_resolved_in_one_query(agent, manager, django_assert_num_queries):
    form = TicketFilterForm(QueryDict("assignee=manager&requester=agent"), user=agent)
    with django_assert_num_queries(2):  # the viewer's roles, then both people at once
        assert form.is_valid()
    assert form.value("assignee").user == manager
    assert form.value("requester").user == agent


def test_requesters_may_only_filter_by_themselves(requester, agent, queue):
    mine = TicketFactory(queue=queue, requester=requester)
    form = form_for(requester, f"requester={agent.username}&assignee=agent")
    assert "requester" in form.errors
    assert "assignee" in form.errors
    assert keys(requester, "requester=me") == [mine.key]
    assert keys(requester, "assignee=none") == [mine.key]


# --- Tags and dates ---------------------------------------------------------------------


def test_tags_every_listed_one(agent, queue, requester):
    both = TicketFactory(queue=queue, requester=requester, tags=["vpn", "printer"])
    vpn = TicketFactory(queue=queue, requester=requester, tags=["vpn"])
    assert set(keys(agent, "tag=vpn")) == {both.key, vpn.key}
    assert keys(agent, "tag=vpn&tag=printer") == [both.key]
    assert keys(agent, "tag=VPN,+printer") == [both.key]
    assert keys(agent, "tag=unknown") == []


def test_created_and_updated_ranges_are_inclusive_in_the_site_time_zone(agent, queue, requester):
    early = TicketFactory(queue=queue, requester=requester)
    late = TicketFactory(queue=queue, requester=requester)
    # 23:30 and 00:30 Moscow time on either side of a midnight ten days ago.
    tz = timezone.get_current_timezone()
    first = timezone.localdate() - timedelta(days=10)
    second = first + timedelta(days=1)
    set_times(early, created_at=datetime.combine(first, time(23, 30), tzinfo=tz))
    set_times(late, created_at=datetime.combine(second, time(0, 30), tzinfo=tz))
    assert keys(agent, f"created_from={first}&created_to={first}") == [early.key]
    assert keys(agent, f"created_from={second}") == [late.key]
    assert set(keys(agent, f"created_to={second}")) == {early.key, late.key}
    updated = first + timedelta(days=5)
    set_times(early, updated_at=datetime.combine(updated, time(12, 0), tzinfo=tz))
    assert keys(agent, f"updated_to={updated}") == [early.key]


def test_due_range_and_overdue(agent, queue, requester):
    today = timezone.localdate()
    past = TicketFactory(queue=queue, requester=requester, due_date=today - timedelta(days=2))
    soon = TicketFactory(queue=queue, requester=requester, due_date=today + timedelta(days=3))
    closed_late = TicketFactory(
        queue=queue,
        requester=requester,
        due_date=today - timedelta(days=5),
        status=status("closed"),
    )
    TicketFactory(queue=queue, requester=requester)
    assert keys(agent, f"due_from={today}") == [soon.key]
    assert keys(agent, f"due_to={today}") == [past.key]
    assert keys(agent, "overdue=1&state=all") == [past.key]
    assert closed_late.key in keys(agent, f"due_to={today}&state=all")


@pytest.mark.parametrize(
    "query",
    ["created_from=2024-13-45", "due_to=yesterday", "updated_from=01/02/2024x"],
)
def test_malformed_dates_are_errors(agent, queue, requester, query):
    ticket = TicketFactory(queue=queue, requester=requester)
    form = form_for(agent, query)
    assert form.errors
    assert keys(agent, query) == [ticket.key]


def test_a_range_that_ends_before_it_starts_is_ignored(agent, queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    today = timezone.localdate()
    query = f"created_from={today}&created_to={today - timedelta(days=9)}"
    form = form_for(agent, query)
    assert "created_to" in form.errors
    assert keys(agent, query) == [ticket.key]


# --- Search and sort ------------------------------------------------------------------


# InnoDB updates its full-text index on commit: the search needs committed rows.
@pytest.mark.django_db(transaction=True)
def test_search_finds_word_forms_and_ranks_title_first(agent, queue, requester):
    body = TicketFactory(queue=queue, requester=requester, title="Не работает", description="")
    services.comment_add(actor=requester, ticket=body, body="Сломался принтер на втором этаже")
    title = TicketFactory(queue=queue, requester=requester, title="Принтер", description="")
    TicketFactory(queue=queue, requester=requester, title="Сеть", description="Нет сети")
    assert keys(agent, "q=принтера") == [title.key, body.key]
    # An explicit sort replaces the relevance order.
    assert keys(agent, "q=принтера&sort=key") == [body.key, title.key]


def test_search_by_key(agent, queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    TicketFactory(queue=queue, requester=requester)
    assert keys(agent, f"q={ticket.key.lower()}") == [ticket.key]


def test_default_sort_is_last_updated_first(agent, queue, requester):
    first = TicketFactory(queue=queue, requester=requester)
    second = TicketFactory(queue=queue, requester=requester)
    set_times(first, updated_at=timezone.now() + timedelta(hours=1))
    assert keys(agent) == [first.key, second.key]


@pytest.mark.parametrize(
    ("sort", "field"),
    [
        ("title", "title"),
        ("status", "status__order"),
        ("priority", "priority__order"),
        ("queue", "queue__name"),
        ("requester", "requester__last_name"),
        ("assignee", "assignee__last_name"),
        ("created", "created_at"),
        ("updated", "updated_at"),
        ("due", "due_date"),
    ],
)
def test_sorts_both_ways(agent, manager, queue, network, sort, field):
    today = timezone.localdate()
    alice = UserFactory(username="alice", last_name="Алексеева", roles=[Role.REQUESTER])
    boris = UserFactory(username="boris", last_name="Борисов", roles=[Role.REQUESTER])
    agent.last_name, manager.last_name = "Яковлев", "Андреев"
    agent.save()
    manager.save()
    TicketFactory(
        queue=queue,
        requester=alice,
        title="Бета",
        status=status("waiting"),
        priority=priority("low"),
        assignee=agent,
        due_date=today + timedelta(days=3),
    )
    TicketFactory(
        queue=network,
        requester=boris,
        title="Альфа",
        status=status("new"),
        priority=priority("urgent"),
        assignee=manager,
        due_date=today,
    )
    later = Ticket.objects.order_by("id").last()
    assert later is not None
    set_times(later, created_at=timezone.now() + timedelta(days=1))
    set_times(later, updated_at=timezone.now() + timedelta(days=1))

    def values(query):
        form = TicketFilterForm(QueryDict(query), user=manager)
        tickets = filter_tickets(visible_tickets(manager), form=form, user=manager)
        return list(tickets.values_list(field, flat=True))

    ascending = values(f"sort={sort}")
    assert ascending == sorted(ascending)
    assert values(f"sort=-{sort}") == list(reversed(ascending))


def test_key_sort_is_numeric_within_a_prefix(agent, queue, requester):
    made = [TicketFactory(queue=queue, requester=requester) for _ in range(10)]
    assert keys(agent, "sort=key") == [t.key for t in made]  # HD-9 before HD-10
    assert keys(agent, "sort=-key")[0] == "HD-10"


def test_most_urgent_first_and_ties_broken_by_newest(agent, queue, requester):
    a = TicketFactory(queue=queue, requester=requester, priority=priority("high"))
    b = TicketFactory(queue=queue, requester=requester, priority=priority("immediate"))
    c = TicketFactory(queue=queue, requester=requester, priority=priority("high"))
    assert keys(agent, "sort=-priority") == [b.key, c.key, a.key]
    assert keys(agent, "sort=priority") == [c.key, a.key, b.key]


def test_priority_sort_follows_order_even_when_ids_do_not(agent, queue, requester):
    urgent = TicketFactory(queue=queue, requester=requester, priority=priority("urgent"))
    low = TicketFactory(queue=queue, requester=requester, priority=priority("low"))
    assert keys(agent, "sort=-priority") == [urgent.key, low.key]
    reordered = priority("low")
    reordered.order = 100  # now the most urgent, though its id is the smallest
    reordered.save()
    assert keys(agent, "sort=-priority") == [low.key, urgent.key]


def test_tickets_without_due_date_come_last_both_ways(agent, queue, requester):
    today = timezone.localdate()
    none = TicketFactory(queue=queue, requester=requester)
    early = TicketFactory(queue=queue, requester=requester, due_date=today)
    late = TicketFactory(queue=queue, requester=requester, due_date=today + timedelta(days=1))
    assert keys(agent, "sort=due") == [early.key, late.key, none.key]
    assert keys(agent, "sort=-due") == [late.key, early.key, none.key]


def test_per_page_defaults_and_choices(agent, settings):
    assert form_for(agent, "").current_per_page == settings.TICKETS_PER_PAGE
    assert form_for(agent, "per_page=100").current_per_page == 100


# --- Chips ------------------------------------------------------------------------------


def test_chips_describe_filters_and_remove_one_value(agent, queue):
    params = QueryDict("status=new&status=waiting&assignee=me&tag=vpn,printer&page=3")
    with translation.override("en"):
        chips = filter_chips(TicketFilterForm(params, user=agent), params)
    by_param = {(chip.param, chip.value): chip.remove_query for chip in chips}
    assert by_param[("status", "New")] == "?status=waiting&assignee=me&tag=vpn%2Cprinter"
    assert by_param[("assignee", "me")] == "?status=new&status=waiting&tag=vpn%2Cprinter"
    assert by_param[("tag", "vpn")] == "?status=new&status=waiting&assignee=me&tag=printer"


def test_has_filters(agent):
    assert not form_for(agent, "").has_filters
    assert not form_for(agent, "state=open&sort=title&per_page=50").has_filters
    assert form_for(agent, "state=all").has_filters
    assert form_for(agent, f"due_to={timezone.localdate()}").has_filters


def test_a_key_finds_the_ticket_even_when_closed(agent, queue, requester):
    closed = TicketFactory(queue=queue, requester=requester, status=status("closed"))
    form = TicketFilterForm(QueryDict(f"q={closed.key.lower()}"), user=agent)
    found = filter_tickets(visible_tickets(agent), form=form, user=agent)
    assert list(found) == [closed]
    assert form.current_state == "all"
    # "All" is the default for a key, so it is not shown as an active filter.
    assert isinstance(form.data, QueryDict)
    assert "state" not in {chip.param for chip in filter_chips(form, form.data)}
