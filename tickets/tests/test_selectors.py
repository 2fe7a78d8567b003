"""Who sees and works what, decided in one place (tickets/selectors.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import selectors
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(requester, agent, manager, admin):
    """Two queues; the agent works HD only. Tickets: own (requester's), other (someone
    else's in HD), foreign (in NET), assigned (NET ticket assigned to the agent)."""
    hd = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    net = QueueFactory(key_prefix="NET", slug="net")
    someone = UserFactory(username="someone", roles=[Role.REQUESTER])
    net_agent = UserFactory(username="netagent", roles=[Role.AGENT])
    net.members.add(net_agent)
    tickets = {
        "own": TicketFactory(queue=hd, requester=requester, actor=requester),
        "other": TicketFactory(queue=hd, requester=someone, actor=someone),
        "foreign": TicketFactory(queue=net, requester=someone, actor=someone),
        "assigned": TicketFactory(queue=net, requester=someone, actor=net_agent, assignee=agent),
    }
    return tickets


VISIBLE = {
    "requester": {"own"},
    "agent": {"own", "other", "assigned"},
    "manager": {"own", "other", "foreign", "assigned"},
    "admin": {"own", "other", "foreign", "assigned"},
}
WORKABLE = {
    "requester": set(),
    "agent": {"own", "other", "assigned"},
    "manager": {"own", "other", "foreign", "assigned"},
    "admin": {"own", "other", "foreign", "assigned"},
}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_visibility_and_work_matrix(world, persona, request):
    user = request.getfixturevalue(persona)
    visible = set(selectors.visible_tickets(user).values_list("pk", flat=True))
    assert {name for name, t in world.items() if t.pk in visible} == VISIBLE[persona]
    for name, ticket in world.items():
        assert selectors.user_can_see_ticket(user, ticket) == (name in VISIBLE[persona])
        assert selectors.user_can_work_ticket(user, ticket) == (name in WORKABLE[persona])
        if name in VISIBLE[persona]:
            assert selectors.get_visible_ticket(user, key=ticket.key.lower()) == ticket
        else:
            with pytest.raises(Http404):
                selectors.get_visible_ticket(user, key=ticket.key)


def test_watchers_see_the_ticket(world):
    watcher = UserFactory(username="watcher", roles=[Role.REQUESTER])
    world["foreign"].watchers.add(watcher)
    assert list(selectors.visible_tickets(watcher)) == [world["foreign"]]
    assert not selectors.user_can_work_ticket(watcher, world["foreign"])


def test_anonymous_and_inactive_users_see_nothing(world, requester):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.visible_tickets(AnonymousUser()).exists()
    requester.is_active = False
    requester.save()
    assert not selectors.visible_tickets(requester).exists()


def test_internal_notes_events_and_files_are_hidden_from_requesters(world, requester, agent):
    ticket = world["own"]
    comment(ticket, requester, "Публичный ответ")
    comment(ticket, agent, "Внутренняя заметка", is_internal=True)
    assert [c.body for c in selectors.visible_comments(requester, ticket)] == ["Публичный ответ"]
    assert len(selectors.visible_comments(agent, ticket)) == 2
    requester_events = selectors.visible_events(requester, ticket)
    assert not requester_events.filter(is_internal=True).exists()
    assert selectors.visible_events(agent, ticket).filter(is_internal=True).count() == 1


def test_assignable_agents(world, agent, manager, requester):
    hd = world["own"].queue
    assert set(selectors.assignable_agents(hd)) == {agent}
    everyone = set(selectors.assignable_agents())
    assert {agent, manager} <= everyone
    assert requester not in everyone


def test_visible_tickets_costs_one_query_for_an_agent(world, agent, django_assert_max_num_queries):
    agent = type(agent).objects.get(pk=agent.pk)  # nothing cached yet
    with django_assert_max_num_queries(3):  # roles, queue memberships, the tickets
        list(selectors.visible_tickets(agent))
    with django_assert_max_num_queries(1):  # then only the tickets
        list(selectors.visible_tickets(agent))


def test_agent_choices_follow_roles_names_and_memberships(world, agent, requester):
    hd = world["own"].queue
    names = {person.username: person for person in selectors.agent_choices(queue_id=hd.pk)}
    assert names["agent"].in_queue
    assert "requester" not in names
    # A new agent, a renamed one, a membership: seen at once, without a stale cache.
    from accounts.services import user_set_roles

    user_set_roles(user=requester, roles={Role.AGENT})
    agent.display_name = "Анна С."
    agent.save()
    hd.members.remove(agent)
    names = {person.username: person for person in selectors.agent_choices(queue_id=hd.pk)}
    assert "requester" in names
    assert names["agent"].get_display_name() == "Анна С."
    assert not names["agent"].in_queue


def test_agent_choices_cost_no_query_once_cached(world, django_assert_num_queries):
    selectors.agent_choices()
    with django_assert_num_queries(0):
        selectors.agent_choices()


def test_who_is_an_agent_and_which_whole_boards_they_see(world, requester, agent, manager):
    hd = world["own"].queue
    assert selectors.user_works_queues(agent) and selectors.user_works_queues(manager)
    assert not selectors.user_works_queues(requester)
    assert selectors.whole_board_queue_ids(agent) == {hd.pk}
    assert selectors.whole_board_queue_ids(manager) is None
    # A requester sees only their own cards on a board: no whole board.
    assert selectors.whole_board_queue_ids(requester) == frozenset()
    agent.is_active = False
    assert not selectors.user_works_queues(agent)
    assert selectors.whole_board_queue_ids(agent) == frozenset()
    assert selectors.whole_board_queue_ids(AnonymousUser()) == frozenset()
