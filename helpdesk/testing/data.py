"""Test data every app shares: the named personas and the service desk queue."""

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory

# --- Personas -------------------------------------------------------------------------


@pytest.fixture
def requester(db):
    return UserFactory(username="requester", roles=[Role.REQUESTER])


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", roles=[Role.AGENT])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=[Role.MANAGER], is_staff=True)


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


# --- Shared test data ------------------------------------------------------------------


@pytest.fixture
def queue(agent):
    """The service desk queue HD, which ``agent`` works."""
    from tickets.tests.factories import QueueFactory

    return QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])
