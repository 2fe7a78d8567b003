from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


def _warn_if_push_not_configured(**kwargs: object) -> None:
    from notifications import web_push

    web_push.warn_if_not_configured()


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from celery.signals import worker_init

        from accounts.signals import sign_in_paused
        from notifications import live_access, live_updates, profile, receivers
        from notifications import tasks as _tasks  # noqa: F401 (queued by name from the web)
        from tickets import signals

        signals.changes_recorded.connect(receivers.changes_recorded, dispatch_uid="notifications")
        sign_in_paused.connect(receivers.sign_in_paused, dispatch_uid="notifications")
        if apps.is_installed("sla"):
            from notifications import sla as sla_receivers
            from sla import signals as sla_signals

            sla_signals.sla_at_risk.connect(sla_receivers.sla_at_risk, dispatch_uid="notifications")
            sla_signals.sla_breached.connect(
                sla_receivers.sla_breached, dispatch_uid="notifications"
            )
        live_updates.connect()
        live_access.connect()
        profile.register()
        # Missing VAPID keys: said once when a worker starts, not once per notification.
        worker_init.connect(_warn_if_push_not_configured, dispatch_uid="notifications-push")
