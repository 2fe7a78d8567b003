from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: requester, agent, manager or administrator.

    The ERP fields are filled from Oracle E-Business Suite at sign-in and by the
    directory sync; local accounts (administrators) leave them empty.
    """

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
    employee_number = models.CharField(
        _("employee number"), max_length=30, blank=True, db_index=True
    )
    department = models.CharField(_("department"), max_length=240, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_display_name()

    def save(self, *args, **kwargs):
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

    def get_display_name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_erp_account(self) -> bool:
        return bool(self.erp_username)
