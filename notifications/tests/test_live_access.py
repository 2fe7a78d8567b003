"""Which saves of a user make their sockets check their subscriptions again."""

import pytest
from django.contrib.auth.models import update_last_login

from notifications import live_access


@pytest.fixture
def told(monkeypatch):
    users = []
    monkeypatch.setattr(live_access, "users_changed", lambda ids: users.extend(ids))
    return users


def test_a_sign_in_tells_nobody(agent, told):
    update_last_login(type(agent), agent)  # saves last_login only
    agent.save(update_fields=["first_name"])
    assert told == []


def test_a_change_of_rights_tells_the_users_sockets(agent, told):
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    agent.save()  # a full save may change anything
    assert told == [agent.pk, agent.pk]
