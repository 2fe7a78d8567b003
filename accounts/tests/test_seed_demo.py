import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.roles import Role, user_role

pytestmark = pytest.mark.django_db

PERSONAS = {
    "manager": Role.MANAGER,
    "agent1": Role.AGENT,
    "agent2": Role.AGENT,
    "agent3": Role.AGENT,
    "requester1": Role.REQUESTER,
    "requester2": Role.REQUESTER,
    "requester3": Role.REQUESTER,
}


def test_creates_the_personas_with_roles(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    for username, role in PERSONAS.items():
        user = User.objects.get(username=username)
        assert user_role(user) == role
        assert authenticate(username=username, password="demo") == user


def test_is_idempotent_and_resets_passwords(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", "--password", "another", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert User.objects.count() == 8
    assert authenticate(username="agent1", password="another") is not None
    assert User.objects.get(username="agent1").groups.count() == 1


def test_default_password_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_weak_password_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="too weak"):
        call_command("seed_demo", "--password", "12345")


def test_strong_password_accepted_without_debug(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--password", "Vq8-lamp-Orbit-27", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert authenticate(username="manager", password="Vq8-lamp-Orbit-27") is not None
