"""The local side of the ERP directory: users made and kept from ERP profiles.

The sign-in backend and the directory sync both come through here, so a user looks the
same whichever touched them last.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.erp import ERPProfile
from accounts.models import ResponsibilityRole, User
from accounts.roles import ROLE_RANK, Role, user_role_codes
from accounts.services import user_set_roles

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DEACTIVATED = "deactivated"
    REFUSED = "refused"


class AccountConflict(Exception):
    """A local account (with its own password) already has the ERP user's name."""


Mapping = dict[str, str]


def responsibility_mapping() -> Mapping:
    """Every responsibility key that gives a role: one query for a whole sync page."""
    return dict(ResponsibilityRole.objects.values_list("responsibility_key", "role"))


def roles_for(responsibilities: Iterable[str], *, mapping: Mapping | None = None) -> set[Role]:
    """Our roles for these ERP responsibility keys (requester when none is mapped)."""
    keys = {key.strip().upper() for key in responsibilities if key}
    if mapping is None:
        mapped = set(
            ResponsibilityRole.objects.filter(responsibility_key__in=keys).values_list(
                "role", flat=True
            )
        )
    else:
        mapped = {mapping[key] for key in keys if key in mapping}
    roles = {Role(code) for code in mapped}
    return roles or {Role.REQUESTER}


def _profile_values(profile: ERPProfile) -> dict:
    email = profile.email.strip()
    try:
        validate_email(email)
    except ValidationError:
        if email:
            log.warning("ERP user %s has an invalid e-mail address; kept empty", profile.username)
        email = ""
    first, last = profile.first_name.strip(), profile.last_name.strip()
    if not (first or last) and profile.full_name:
        # PER_ALL_PEOPLE_F.FULL_NAME is "Last, First" in most EBS installations.
        last, _sep, first = profile.full_name.partition(",")
        first, last = first.strip(), last.strip()
    return {
        "first_name": first[:150],
        "middle_name": profile.middle_name.strip()[:150],
        "last_name": last[:150],
        "email": email[:254],
        "employee_number": profile.employee_number.strip()[:30],
        "department": profile.department.strip()[:240],
        "erp_end_date": profile.end_date,
    }


def find_user(erp_username: str) -> User | None:
    """The local user of this ERP account: linked by ERP name, or a pre-created account
    (no password of its own) with the same user name."""
    name = erp_username.strip().upper()
    user = User.objects.filter(erp_username=name).first()
    if user is not None:
        return user
    same_name = User.objects.filter(username__iexact=name, erp_username__isnull=True).first()
    if same_name is None:
        return None
    if same_name.has_usable_password():
        raise AccountConflict(name)
    return same_name


def _free_username(name: str) -> str:
    """The lower-cased ERP name, or with a number when a local user already has it."""
    base = name.lower()[:140]
    taken = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {username.lower() for username in taken}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def apply_profile(
    profile: ERPProfile, *, user: User | None = None, mapping: Mapping | None = None
) -> tuple[User, Outcome]:
    """Create or update the local user from an active ERP profile; roles follow the
    responsibility mapping unless the user's roles are kept locally."""
    now = timezone.now()
    values = _profile_values(profile)
    with transaction.atomic():
        if user is None:
            user = find_user(profile.username)
        if user is None:
            user = User(username=_free_username(profile.username), **values)
            user.erp_username = profile.username
            user.set_unusable_password()
            user.erp_synced_at = now
            user.save()
            outcome = Outcome.CREATED
        else:
            changed = [name for name, value in values.items() if getattr(user, name) != value]
            if user.erp_username != profile.username.upper():
                user.erp_username = profile.username
                changed.append("erp_username")
            if not user.is_active and user.erp_deactivated_at is not None:
                # The ERP ended this account before and shows it active again.
                user.is_active = True
                user.erp_deactivated_at = None
                changed += ["is_active", "erp_deactivated_at"]
            for name in changed:
                if name in values:
                    setattr(user, name, values[name])
            user.erp_synced_at = now
            user.save(update_fields=[*changed, "erp_synced_at"])
            outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
        if user.roles_from_erp and apply_roles(user, profile.responsibilities, mapping=mapping):
            outcome = Outcome.UPDATED if outcome is Outcome.UNCHANGED else outcome
    return user, outcome


def apply_roles(
    user: User, responsibilities: Iterable[str], *, mapping: Mapping | None = None
) -> bool:
    """Set the user's role groups from the mapping; True when they changed."""
    wanted = roles_for(responsibilities, mapping=mapping)
    current = {Role(code) for code in user_role_codes(user)}
    if wanted == current:
        return False
    user_set_roles(user=user, roles=wanted)
    log.info(
        "ERP user %s: roles %s -> %s",
        user.erp_username,
        [role.value for role in sorted(current, key=ROLE_RANK.__getitem__)],
        [role.value for role in sorted(wanted, key=ROLE_RANK.__getitem__)],
    )
    return True


def deactivate(user: User) -> bool:
    """Deactivate a user whose ERP account ended; True when it was active."""
    if not user.is_active:
        return False
    user.is_active = False
    user.erp_deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "erp_deactivated_at"])
    log.info("ERP user %s ended in the ERP: local user deactivated", user.erp_username)
    return True


def usable(profile: ERPProfile, today: dt.date) -> bool:
    """Whether this ERP account may use Helpdesk on ``today``: open in FND_USER and,
    with ``ERP_REFUSE_TERMINATED``, linked to a current employee or contingent worker."""
    if not profile.is_active_on(today):
        return False
    return not (settings.ERP_REFUSE_TERMINATED and profile.terminated)


def sync_user(
    profile: ERPProfile | None,
    user: User,
    *,
    today: dt.date | None = None,
    mapping: Mapping | None = None,
) -> Outcome:
    """Bring one ERP-backed user in line with the ERP (``None``: no longer in the ERP);
    ``mapping`` (``responsibility_mapping()``) saves a query per user in a batch."""
    today = today or timezone.localdate()
    if profile is None or not usable(profile, today):
        if profile is not None and user.erp_end_date != profile.end_date:
            user.erp_end_date = profile.end_date
            user.save(update_fields=["erp_end_date"])
        return Outcome.DEACTIVATED if deactivate(user) else Outcome.UNCHANGED
    if not user.is_active and user.erp_deactivated_at is None:
        # Deactivated by hand: the ERP does not overrule an operator.
        return Outcome.UNCHANGED
    _user, outcome = apply_profile(profile, user=user, mapping=mapping)
    return outcome


def sign_in(profile: ERPProfile) -> User | None:
    """The local user for an ERP sign-in that the ERP accepted, or None when refused."""
    today = timezone.localdate()
    if not usable(profile, today):
        refuse(profile, today=today)
        log.info("ERP user %s refused: account not active today", profile.username)
        return None
    try:
        user, _outcome = apply_profile(profile)
    except AccountConflict:
        log.warning(
            "ERP user %s refused: a local account with its own password has that name",
            profile.username,
        )
        return None
    if not user.is_active:
        return None
    user.erp_last_login = timezone.now()
    user.save(update_fields=["erp_last_login"])
    return user


def refuse(profile: ERPProfile, *, today: dt.date | None = None) -> None:
    """An ERP user who may not sign in: bring an existing local user in line (which
    deactivates it when the ERP account ended); never creates one."""
    user = User.objects.filter(erp_username=profile.username.upper()).first()
    if user is not None:
        sync_user(profile, user, today=today)
