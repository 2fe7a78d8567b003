"""Notification pages: saving the choices of the profile's "Notifications" section
(``notifications.profile``).

Included by the project's URLs as a namespace of its own (``notifications:preferences``).
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from notifications import services
from notifications.models import Channel, Event
from notifications.preferences import matrix


def cell_name(event: str, channel: str) -> str:
    return f"{event}__{channel}"


class PreferencesForm(forms.Form):
    """One checkbox per event and channel. Every cell is on the page, so a box not sent
    is a box left unticked."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_notification_%s")  # unique on the profile page
        super().__init__(*args, **kwargs)
        current = {} if self.is_bound else {row["event"]: row["channels"] for row in matrix(user)}
        for event in Event:
            for channel in Channel:
                self.fields[cell_name(event, channel)] = forms.BooleanField(
                    required=False,
                    initial=current.get(event.value, {}).get(channel.value, False),
                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
                )

    def rows(self) -> list[dict]:
        """The table: every event with its label and one bound field per channel."""
        return [
            {
                "event": event.value,
                "label": event.label,
                "cells": [
                    {"channel": channel.value, "label": channel.label, "field": self[name]}
                    for channel in Channel
                    for name in [cell_name(event, channel)]
                ],
            }
            for event in Event
        ]

    def changes(self) -> dict[tuple[str, str], bool]:
        return {
            (event.value, channel.value): self.cleaned_data[cell_name(event, channel)]
            for event in Event
            for channel in Channel
        }


@login_required
@require_POST
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the whole matrix posted from the profile, then back to its section."""
    form = PreferencesForm(request.POST, user=request.user)
    form.full_clean()  # checkboxes: every value is valid, "off" when missing
    services.preferences_set(user=request.user, changes=form.changes())
    messages.success(request, _("Notification settings saved."))
    return redirect(f"{reverse('accounts:profile')}#notifications")


app_name = "notifications"

urlpatterns = [
    path("notifications/preferences/", preferences, name="preferences"),
]
