from django import template

from integrations.redmine.health import pull_health

register = template.Library()


@register.inclusion_tag("integrations/redmine/admin_warning.html")
def redmine_sync_warning() -> dict:
    health = pull_health()
    if health is None or health["status"] != "stale":
        return {"stale": False}
    return {"stale": True, "last": health["last"]}
