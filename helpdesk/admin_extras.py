"""Template tags of the admin index, a library of the project (TEMPLATES "libraries"),
so the page renders whichever of the optional apps are installed."""

from typing import Any

from django import template
from django.apps import apps
from django.template.loader import render_to_string
from django.utils.text import capfirst
from django.utils.translation import gettext

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


@register.simple_tag
def result_count(changelist: Any) -> str:
    """ "0 sync runs" under a change list, in words that agree with the number.

    Django's own line puts the number before the singular or the plural name, which in
    Russian gives «0 запуски синхронизации». A ModelAdmin may give ``count_phrase``
    (``ngettext_lazy(…, "count")`` with the proper forms); any other says "name: count"
    in Russian, which agrees with every number.
    """
    count = changelist.result_count
    phrase = getattr(changelist.model_admin, "count_phrase", None)
    if phrase is not None:
        return str(phrase % {"count": count})
    opts = changelist.opts
    name = opts.verbose_name if count == 1 else opts.verbose_name_plural
    return capfirst(gettext("%(count)s %(name)s") % {"count": count, "name": name})
