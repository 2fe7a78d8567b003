from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from accounts.signals import sign_in_paused
        from notifications import live_access, live_updates, profile, receivers
        from notifications import tasks as _tasks  # noqa: F401 (queued by name from the web)
        from tickets import signals

        signals.change_recorded.connect(receivers.change_recorded, dispatch_uid="notifications")
        sign_in_paused.connect(receivers.sign_in_paused, dispatch_uid="notifications")
        live_updates.connect()
        live_access.connect()
        profile.register()
