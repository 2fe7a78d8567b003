"""Template tags of the admin index, a library of the project (TEMPLATES "libraries"),
so the page renders whichever of the optional apps are installed."""

from django import template
from django.apps import apps
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag
def integration_warnings() -> str:
    """A warning when the Redmine pull has not succeeded for three intervals."""
    if not apps.is_installed("integrations"):
        return ""
    from integrations.redmine.health import pull_health

    health = pull_health()
    if health is None or health["status"] != "stale":
        return ""
    return render_to_string(
        "integrations/redmine/admin_warning.html", {"stale": True, "last": health["last"]}
    )
