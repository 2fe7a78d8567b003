"""Every change to accounts goes through these functions."""

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import Role, forget_roles

PREFERENCE_CHOICES = {"theme": User.Theme, "language": User.Language}


def user_set_preferences(
    *, user: User, theme: str | None = None, language: str | None = None
) -> User:
    """Change the user's theme and/or language; only what changed is written."""
    wanted = {"theme": theme, "language": language}
    changes = {name: value for name, value in wanted.items() if value is not None}
    for name, value in changes.items():
        if value not in PREFERENCE_CHOICES[name].values:
            raise ValueError(f"unknown {name} {value!r}")
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        user.save(update_fields=changed)
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
