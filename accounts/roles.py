"""Roles are Django groups named by code; these helpers answer "what may this user do"."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Not accounts.models, which imports this module.
    from django.contrib.auth.models import AbstractUser, AnonymousUser

    Viewer = AbstractUser | AnonymousUser


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")


# Higher rank includes what a lower rank may do.
ROLE_RANK = {Role.REQUESTER: 1, Role.AGENT: 2, Role.MANAGER: 3}
_CACHE_ATTR = "_helpdesk_role_codes"


def user_role_codes(user: "Viewer | None") -> frozenset[str]:
    """The role groups the user belongs to (one query, then cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def prefetch_role_codes(users: Iterable["AbstractUser"]) -> None:
    """Load the role groups of many users in one query (cached as ``user_role_codes``)."""
    from django.contrib.auth import get_user_model

    users = list(users)
    through = get_user_model().groups.through
    codes: dict[int, set[str]] = {user.pk: set() for user in users}
    pairs = through.objects.filter(user_id__in=codes, group__name__in=Role.values)
    for user_id, name in pairs.values_list("user_id", "group__name"):
        codes[user_id].add(name)
    for user in users:
        setattr(user, _CACHE_ATTR, frozenset(codes[user.pk]))


def forget_roles(user: "Viewer") -> None:
    """Drop the cached roles after the user's groups changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def user_has_role(user: "Viewer | None", role: Role) -> bool:
    """True when the user belongs to exactly this role's group."""
    return role in user_role_codes(user)


def user_role(user: "Viewer | None") -> Role | None:
    """The user's highest role; superusers count as managers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.MANAGER
    codes = user_role_codes(user)
    held = [role for role in Role if role in codes]
    return max(held, key=ROLE_RANK.__getitem__, default=None)


def user_is_at_least(user: "Viewer | None", role: Role) -> bool:
    current = user_role(user)
    return current is not None and ROLE_RANK[current] >= ROLE_RANK[role]


def at_least_q(role: Role) -> models.Q:
    """Users holding ``role`` or a higher one, superusers included (may repeat a user: a
    join on the groups, so take ``distinct()``)."""
    names = [held for held in Role if ROLE_RANK[held] >= ROLE_RANK[role]]
    return models.Q(is_superuser=True) | models.Q(groups__name__in=names)


def user_is_agent(user: "Viewer | None") -> bool:
    """Agents, managers and administrators work tickets."""
    return user_is_at_least(user, Role.AGENT)


def user_is_manager(user: "Viewer | None") -> bool:
    """Managers and administrators see and manage everything."""
    return user_is_at_least(user, Role.MANAGER)
