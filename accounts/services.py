"""Every change to accounts goes through these functions."""

import datetime as dt
import hmac
import logging
from collections.abc import Iterable

from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import ApiToken, User
from accounts.roles import Role, forget_roles

log = logging.getLogger(__name__)

PREFERENCE_CHOICES = {"theme": User.Theme, "language": User.Language}

# Fields the ERP owns for ERP accounts: set at each ERP sign-in and by the directory sync.
ERP_OWNED_FIELDS = ("first_name", "last_name", "email")
API_TOKENS_PER_USER = 20
API_TOKEN_NAME_MAX_LENGTH = 100  # ApiToken.name; the refusal below says 100 too
# A token's last use is written at most this often, so busy API clients do not turn
# every request into a write.
API_TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


class ProfileLocked(ValueError):
    """A change to a field the ERP owns for this account (name, e-mail)."""

    def __init__(self, fields: list[str]):
        super().__init__(f"these fields come from the ERP: {', '.join(fields)}")
        self.fields = fields


def user_set_preferences(
    *,
    user: User,
    theme: str | None = None,
    language: str | None = None,
    sound_enabled: bool | None = None,
) -> User:
    """Change the user's theme, language and/or sound; only what changed is written."""
    wanted = {"theme": theme, "language": language, "sound_enabled": sound_enabled}
    changes = {name: value for name, value in wanted.items() if value is not None}
    for name, value in changes.items():
        if name in PREFERENCE_CHOICES and value not in PREFERENCE_CHOICES[name].values:
            raise ValueError(f"unknown {name} {value!r}")
        if name == "sound_enabled" and not isinstance(value, bool):
            raise ValueError(f"sound_enabled must be a bool, not {value!r}")
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


def user_update_profile(
    *,
    user: User,
    display_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> User:
    """Change the user's names and e-mail; only what changed is written.

    The display name is everyone's own. For ERP accounts the full name and the e-mail
    belong to the ERP (the next sign-in would overwrite them), so changing them raises
    ``ProfileLocked``; passing their current values is allowed.
    """
    wanted = {
        "display_name": display_name,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
    }
    changes = {name: value.strip() for name, value in wanted.items() if value is not None}
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if user.is_erp_account:
        locked = [name for name in changed if name in ERP_OWNED_FIELDS]
        if locked:
            raise ProfileLocked(locked)
    errors = {}
    for name in changed:
        limit = getattr(User._meta.get_field(name), "max_length", None)
        if limit is not None and len(changes[name]) > limit:
            errors[name] = ngettext(
                "Use at most %(limit)d character.", "Use at most %(limit)d characters.", limit
            ) % {"limit": limit}
    if "email" in changed and changes["email"]:
        try:
            validate_email(changes["email"])
        except ValidationError as exc:
            errors["email"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        user.save(update_fields=changed)
    return user


# --- API tokens ---------------------------------------------------------------------------


def _token_lookup(secret: str) -> str:
    # The same cut as ApiToken.new_secret(): the prefix and the next eight characters.
    return secret[: len(ApiToken.PREFIX) + 8]


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new active token for ``user`` and its secret, which is never stored and cannot be
    shown again. Names are unique among the user's active tokens."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > API_TOKEN_NAME_MAX_LENGTH:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    # Lock the user's row so two requests cannot both pass the checks below.
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    active = ApiToken.objects.active().filter(user=user)
    if active.filter(name=name).exists():
        raise ValidationError(
            {"name": _("You already have a token called “%(name)s”.") % {"name": name}}
        )
    if active.count() >= API_TOKENS_PER_USER:
        raise ValidationError(
            _(
                "You have reached the limit of active tokens (%(limit)d). "
                "Revoke one you no longer use."
            )
            % {"limit": API_TOKENS_PER_USER},
            code="limit",
        )
    secret, lookup = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name, lookup=lookup, key_hash=ApiToken.hash(secret)
    )
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens; revoking it again changes nothing.

    Another user's token does not exist for this user: ``ApiToken.DoesNotExist``.
    """
    token = ApiToken.objects.get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str) -> tuple[User, ApiToken] | None:
    """The active user and active token this secret belongs to, or ``None``."""
    if not secret or not secret.startswith(ApiToken.PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(lookup=_token_lookup(secret)).first()
    if token is None or not hmac.compare_digest(token.key_hash, ApiToken.hash(secret)):
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - API_TOKEN_USE_RESOLUTION
    if token.last_used_at is None or token.last_used_at <= stale:
        # One conditional UPDATE: parallel requests do not write the same minute twice.
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
        ).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


@transaction.atomic
def sign_in_lockouts_clear(*, pairs: Iterable[tuple[str, str | None]], by: User) -> int:
    """Forget the wrong passwords of each (user name, address) pair, from every browser,
    which lifts its pause. Returns how many pairs had anything to forget."""
    cleared = 0
    for username, ip_address in sorted(set(pairs), key=lambda pair: (pair[0], pair[1] or "")):
        deleted, _rows = AccessAttempt.objects.filter(
            username=username, ip_address=ip_address
        ).delete()
        if deleted:
            cleared += 1
            log.info("Sign-in lockout of %r from %s cleared by %s", username, ip_address, by)
    return cleared
