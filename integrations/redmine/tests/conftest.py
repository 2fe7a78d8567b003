import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from integrations.models import RedmineProject, RedmineUser
from integrations.redmine import client as client_module
from integrations.redmine.testing import FakeRedmine
from tickets.tests.factories import QueueFactory
from tickets.workflow import ensure_default_workflow


@pytest.fixture
def redmine(settings, monkeypatch, db) -> FakeRedmine:
    """The sync switched on against an in-memory Redmine (recorded shapes of 5.0.4)."""
    settings.REDMINE_URL = FakeRedmine.url
    settings.REDMINE_API_KEY = "test-key"
    settings.REDMINE_SYNC_ENABLED = True
    fake = FakeRedmine()
    monkeypatch.setattr(client_module, "get_client", lambda: fake)
    ensure_default_workflow()
    return fake


@pytest.fixture
def net_agent(db):
    return UserFactory(username="ivanov", email="ivanov@example.com", roles=[Role.AGENT])


@pytest.fixture
def project(redmine, net_agent) -> RedmineProject:
    """Redmine project 10 ↔ queue NET (both ways); Redmine user 7 is our agent."""
    redmine.add_project(10, "Сеть", "net")
    redmine.add_project(20, "Архив", "archive")
    redmine.add_user(7, "ivanov", "ivanov@example.com", "Иван Иванов")
    redmine.add_user(8, "petrov", "petrov@example.com", "Пётр Петров")
    queue = QueueFactory(name="Сеть", key_prefix="NET", members=[net_agent])
    RedmineUser.objects.create(redmine_id=7, login="ivanov", user=net_agent)
    return RedmineProject.objects.create(redmine_id=10, name="Сеть", queue=queue)
