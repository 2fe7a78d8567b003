import hashlib
import secrets
from typing import Any, Self, TypeAlias

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class User(AbstractUser):
    """A person who signs in: requester, agent, manager or administrator.

    The ERP fields are filled from Oracle E-Business Suite at sign-in and by the
    directory sync; local accounts (administrators) leave them empty.
    """

    # Set on name-only users by ``tickets.selectors.agent_choices``: a member of the queue?
    in_queue: bool

    class Language(models.TextChoices):
        RUSSIAN = "ru", _("Russian")
        ENGLISH = "en", _("English")

    class Theme(models.TextChoices):
        AUTO = "auto", _("Auto")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("How the name appears on tickets; the full name is used when empty."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text=_("Interface language; the site default when empty."),
    )
    theme = models.CharField(_("theme"), max_length=8, choices=Theme.choices, default=Theme.AUTO)
    erp_username = models.CharField(
        _("ERP user name"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("FND_USER.USER_NAME in Oracle E-Business Suite; empty for local accounts."),
    )
    middle_name = models.CharField(
        _("middle name"),
        max_length=150,
        blank=True,
        help_text=_("The patronymic in Russian HR data (PER_ALL_PEOPLE_F.MIDDLE_NAMES)."),
    )
    employee_number = models.CharField(
        _("employee number"), max_length=30, blank=True, db_index=True
    )
    department = models.CharField(_("department"), max_length=240, blank=True)
    sound_enabled = models.BooleanField(
        _("sound"), default=True, help_text=_("Play a short tone on new notifications.")
    )
    erp_last_login = models.DateTimeField(_("last ERP sign-in"), null=True, blank=True)
    erp_synced_at = models.DateTimeField(_("ERP profile refreshed"), null=True, blank=True)
    erp_end_date = models.DateField(
        _("ERP end date"),
        null=True,
        blank=True,
        help_text=_(
            "The ERP account stops working on this day; the directory sync then "
            "deactivates the local user."
        ),
    )
    erp_deactivated_at = models.DateTimeField(
        _("deactivated by the ERP"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the ERP account ended; cleared when the ERP shows it active "
            "again. Users deactivated by hand are never reactivated by the ERP."
        ),
    )
    roles_from_erp = models.BooleanField(
        _("roles from ERP responsibilities"),
        default=True,
        help_text=_(
            "Clear to keep the roles set here; otherwise every ERP sign-in and "
            "directory sync sets them from the responsibility mapping."
        ),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # The stubs type Meta's names as str; Django takes lazy translations.
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_display_name()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Several local accounts have no ERP name: store NULL, not "", so the unique
        # constraint only applies to real ERP names.
        if not self.erp_username:
            self.erp_username = None
        else:
            self.erp_username = self.erp_username.upper()
        super().save(*args, **kwargs)

    # What showing a person needs: lists, boards and pickers read only these columns.
    NAME_FIELDS = ("username", "first_name", "last_name", "display_name")

    @classmethod
    def name_only(cls, pk: int, *names: str) -> "User":
        """A user built from ``NAME_FIELDS`` values read elsewhere (not loaded, not saved):
        enough for a display name and initials."""
        return cls(pk=pk, **dict(zip(cls.NAME_FIELDS, names, strict=True)))

    def get_full_name(self) -> str:
        """First name, middle name (the patronymic) and last name, those that are set."""
        parts = (self.first_name, self.middle_name, self.last_name)
        return " ".join(part for part in parts if part)

    def get_display_name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_erp_account(self) -> bool:
        return bool(self.erp_username)


# Who makes a request: the signed-in user or the anonymous one (``request.user``).
Viewer: TypeAlias = User | AnonymousUser


class ERPLoginFailure(models.Model):
    """A wrong password EBS counted for an ERP user through Helpdesk, or a check under
    way (removed when it did not fail). Helpdesk stops checking a user's password once
    one more failure would reach EBS's SIGNON_PASSWORD_FAILURE_LIMIT."""

    username = models.CharField(_("ERP user name"), max_length=100)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("failed ERP password check")
        verbose_name_plural = _("failed ERP password checks")
        ordering = ["username", "at"]
        indexes = [models.Index(fields=["username", "at"], name="erpfailure_user_at")]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class ResponsibilityRole(models.Model):
    """Operators map ERP responsibilities to our roles; a user gets the highest mapped
    role, and the requester role when none of theirs is mapped."""

    responsibility_key = models.CharField(
        _("responsibility key"),
        max_length=100,
        unique=True,
        help_text=_("FND_RESPONSIBILITY.RESPONSIBILITY_KEY, for example XX_IT_SUPPORT_AGENT."),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    note = models.CharField(_("note"), max_length=240, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ERP responsibility mapping")
        verbose_name_plural = _("ERP responsibility mappings")
        ordering = ["responsibility_key"]

    def __str__(self) -> str:
        return f"{self.responsibility_key} → {self.get_role_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.responsibility_key = self.responsibility_key.strip().upper()
        super().save(*args, **kwargs)


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A named personal token for the REST API. Only a hash of the secret is stored;
    the person sees the secret once, when the token is created."""

    PREFIX = "hd_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the secret, shown so a person can tell tokens apart.
    lookup = models.CharField(_("starts with"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.lookup}…)"

    @classmethod
    def new_secret(cls) -> tuple[str, str]:
        """A fresh secret and its lookup part."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        return secret, secret[: len(cls.PREFIX) + 8]

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SignInLockout(AccessAttempt):
    """The wrong-password count of one user name from one address (and browser), as the
    admin shows it: who is paused, until when, and a way to clear it."""

    class Meta:
        proxy = True
        verbose_name = _("sign-in lockout")
        verbose_name_plural = _("sign-in lockouts")


class FailedSignIn(AccessFailureLog):
    """One wrong password, kept as a record (``locked_out``: it started a pause)."""

    class Meta:
        proxy = True
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
