"""The profile page's "Notifications" section: what the person hears about where, and the
button that turns on browser push on this device. Registered by ``register()`` from
``NotificationsConfig.ready()``; the form posts to ``notifications:preferences``."""

from django.http import HttpRequest

from accounts.profile_sections import register_section
from notifications.models import Channel
from notifications.views import PreferencesForm

SECTION = "notifications"


def section_context(request: HttpRequest) -> dict | None:
    if not request.user.is_authenticated:
        return None
    form = PreferencesForm(user=request.user)
    return {"rows": form.rows(), "channels": list(Channel)}


def register() -> None:
    register_section(
        SECTION,
        "notifications/profile_section.html",
        context=section_context,
        order=10,
    )
