"""Every change to accounts goes through these functions."""

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import Role, forget_roles


def user_set_theme(*, user: User, theme: str) -> User:
    if theme not in User.Theme.values:
        raise ValueError(f"unknown theme {theme!r}")
    if user.theme != theme:
        user.theme = theme
        user.save(update_fields=["theme"])
    return user


def user_set_language(*, user: User, language: str) -> User:
    if language not in User.Language.values:
        raise ValueError(f"unknown language {language!r}")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: set[Role]) -> User:
    """Make the user's role groups exactly ``roles``; other groups are left alone."""
    wanted = {Group.objects.get_or_create(name=role.value)[0] for role in roles}
    current = set(user.groups.filter(name__in=Role.values))
    user.groups.remove(*(current - wanted))
    user.groups.add(*(wanted - current))
    forget_roles(user)
    return user
