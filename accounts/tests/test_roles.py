import pytest
from django.contrib.auth.models import AnonymousUser, Group

from accounts.roles import (
    Role,
    prefetch_role_codes,
    user_has_role,
    user_is_agent,
    user_is_manager,
    user_role,
    user_role_codes,
)
from accounts.services import user_set_roles
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_groups_are_created_by_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {"requester", "agent", "manager"}


def test_personas_have_their_roles(requester, agent, manager, admin):
    assert user_role(requester) == Role.REQUESTER
    assert user_role(agent) == Role.AGENT
    assert user_role(manager) == Role.MANAGER
    assert user_role(admin) == Role.MANAGER  # superusers count as managers
    assert not user_is_agent(requester)
    assert user_is_agent(agent) and not user_is_manager(agent)
    assert user_is_agent(manager) and user_is_manager(manager)
    assert user_is_manager(admin)


def test_highest_role_wins():
    user = UserFactory(roles=[Role.REQUESTER, Role.AGENT])
    assert user_role(user) == Role.AGENT
    assert user_has_role(user, Role.REQUESTER)
    assert not user_has_role(user, Role.MANAGER)


def test_anonymous_and_roleless_users():
    assert user_role(AnonymousUser()) is None
    assert not user_is_agent(AnonymousUser())
    assert user_role(UserFactory()) is None


def test_roles_are_read_once_per_user_object(django_assert_max_num_queries, agent):
    with django_assert_max_num_queries(1):
        user_role_codes(agent)
        user_is_agent(agent)
        user_has_role(agent, Role.AGENT)


def test_set_roles_replaces_role_groups_only(agent):
    other = Group.objects.create(name="printers")
    agent.groups.add(other)
    user_set_roles(user=agent, roles={Role.MANAGER})
    assert user_role(agent) == Role.MANAGER
    assert set(agent.groups.values_list("name", flat=True)) == {"manager", "printers"}


def test_roles_of_many_users_are_read_in_one_query(django_assert_num_queries):
    users = [
        UserFactory(roles=[Role.AGENT]),
        UserFactory(roles=[Role.REQUESTER, Role.MANAGER]),
        UserFactory(),
    ]
    users[2].groups.add(Group.objects.create(name="printers"))

    with django_assert_num_queries(1):
        prefetch_role_codes(users)
        roles = [user_role(user) for user in users]

    assert roles == [Role.AGENT, Role.MANAGER, None]
    assert user_role_codes(users[1]) == {"requester", "manager"}
