from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from sla import extensions, receivers
        from sla.clocks import rules_changed
        from sla.models import BusinessCalendar, CalendarException, Policy
        from tickets import signals

        signals.changes_recorded.connect(receivers.changes_recorded, dispatch_uid="sla")
        for model in (Policy, BusinessCalendar, CalendarException):
            post_save.connect(rules_changed, sender=model, dispatch_uid=f"sla-{model.__name__}")
            post_delete.connect(rules_changed, sender=model, dispatch_uid=f"sla-{model.__name__}-d")
        m2m_changed.connect(
            rules_changed, sender=Policy.pause_statuses.through, dispatch_uid="sla-pauses"
        )
        extensions.register()
