from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.backends import erp_refusal
from accounts.models import User
from accounts.services import ERP_OWNED_FIELDS


class SignInForm(AuthenticationForm):
    """Sign-in with Bootstrap classes and wording that suits ERP and local accounts."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong. Passwords are case-sensitive."),
        "inactive": _("This account is disabled. Contact the IT service desk."),
        "erp_unavailable": _(
            "The ERP cannot be reached right now, so ERP accounts cannot sign in. "
            "Try again in a few minutes; local accounts still work."
        ),
        "erp_locked": _(
            "Your EBS account is locked after too many wrong passwords. Ask the EBS "
            "administrators to unlock it, then sign in again."
        ),
        "erp_password_expired": _(
            "Your EBS password has expired or was reset by an administrator. Change it in "
            "EBS first, then sign in here with the new password."
        ),
        "erp_external": _(
            "Your EBS account signs in through single sign-on, so this page cannot check "
            "its password. Ask the IT service desk how to sign in to Helpdesk."
        ),
        "erp_failure_limit": _(
            "To keep your EBS account from being locked, Helpdesk will not check its "
            "password again before %(time)s: one more wrong password and EBS would lock it. "
            "If you have forgotten the password, reset it in EBS."
        ),
        "erp_no_checks": _(
            "EBS locks an account at its first wrong password, so Helpdesk does not check "
            "EBS passwords. Ask the IT service desk how to sign in."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "username", "autocapitalize": "none"}
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "current-password"}
        )

    def get_invalid_login_error(self) -> ValidationError:
        # A wrong password, an ERP that could not be asked and an EBS account that needs
        # something done in EBS are different problems.
        code = erp_refusal(self.request)
        if not code:
            return super().get_invalid_login_error()
        params = {}
        until = getattr(self.request, "erp_refusal_details", {}).get("until")
        if until is not None:
            params["time"] = formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")
        return ValidationError(self.error_messages[code], code=code, params=params or None)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=User.Language.choices)


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(choices=User.Theme.choices)


class _BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, ``is-invalid`` on those with errors, and a
    service's ``ValidationError`` put back onto the fields it names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            field.widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes.split():
                    widget.attrs["class"] = f"{classes} is-invalid".strip()


class ProfileForm(_BootstrapForm):
    """Personal details and preferences. For ERP accounts the name and e-mail come from
    the ERP: those fields are disabled, so whatever a browser posts for them is ignored."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=150,
        required=False,
        help_text=_("How your name appears on tickets; your full name is used when empty."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)
    theme = forms.ChoiceField(
        label=_("Theme"),
        choices=User.Theme.choices,
        help_text=_("“Auto” follows your device’s light or dark setting."),
    )
    sound_enabled = forms.BooleanField(
        label=_("Play a sound on new notifications"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )

    def __init__(self, *args: Any, user: User, language: str, **kwargs: Any) -> None:
        """``language`` is the one in effect (account, cookie or site default)."""
        kwargs.setdefault(
            "initial",
            {
                "display_name": user.display_name,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "language": user.language or language,
                "theme": user.theme,
                "sound_enabled": user.sound_enabled,
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_erp_account:
            for name in ERP_OWNED_FIELDS:
                self.fields[name].disabled = True


class ApiTokenForm(_BootstrapForm):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, for example “Reports script”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class LocalPasswordChangeForm(_BootstrapForm, PasswordChangeForm):
    """Django's password change, Bootstrap-styled (local accounts only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One card among several on the profile page: do not jump to it on load.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
