"""Test data every app shares: the named personas and the service desk queue."""

from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory

if TYPE_CHECKING:
    from tickets.models import Queue

# --- Personas -------------------------------------------------------------------------


@pytest.fixture
def requester(db: None) -> User:
    return UserFactory(username="requester", roles=[Role.REQUESTER])


@pytest.fixture
def agent(db: None) -> User:
    return UserFactory(username="agent", roles=[Role.AGENT])


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(username="manager", roles=[Role.MANAGER], is_staff=True)


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


# --- Shared test data ------------------------------------------------------------------


@pytest.fixture
def queue(agent: User) -> "Queue":
    """The service desk queue HD, which ``agent`` works."""
    from tickets.tests.factories import QueueFactory

    return QueueFactory(name="Сервис-деск", key_prefix="HD", slug="hd", members=[agent])
