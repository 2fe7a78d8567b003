"""The third-party apps under names the admin can show in Russian.

Their own labels are English only (``Webpush``, ``push informations``) or read oddly in
Russian (``Периодические Задачи``, ``Запись о попытке доступа``). INSTALLED_APPS names
these configurations instead of the apps' own; the apps' labels, tables and migrations
stay as they are. Model names are set on ``_meta`` after loading: the migrations read
``Meta``'s original attributes, so no migration follows.
"""

from axes.apps import AppConfig as _AxesConfig
from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_celery_beat.apps import BeatConfig as _BeatConfig
from webpush.apps import WebPushConfig as _WebPushConfig


def _rename(label: str, names: dict[str, tuple[Promise, Promise]]) -> None:
    for model_name, (singular, plural) in names.items():
        opts = apps.get_model(label, model_name)._meta
        opts.verbose_name = singular
        opts.verbose_name_plural = plural


class AxesConfig(_AxesConfig):
    verbose_name = _("Sign-in attempts (Axes)")

    def ready(self) -> None:
        super().ready()
        _rename(
            self.label,
            {
                "AccessAttempt": (_("sign-in attempt"), _("sign-in attempts")),
                "AccessLog": (_("sign-in record"), _("sign-in records")),
                "AccessFailureLog": (_("failed sign-in record"), _("failed sign-in records")),
                "AccessAttemptExpiration": (
                    _("sign-in attempt expiry"),
                    _("sign-in attempt expiries"),
                ),
            },
        )


class WebPushConfig(_WebPushConfig):
    verbose_name = _("Web push")

    def ready(self) -> None:
        super().ready()
        _rename(
            self.label,
            {
                "PushInformation": (_("push subscription"), _("push subscriptions")),
                "SubscriptionInfo": (_("browser subscription"), _("browser subscriptions")),
                "Group": (_("push group"), _("push groups")),
            },
        )


class BeatConfig(_BeatConfig):
    verbose_name = _("Periodic tasks")

    def ready(self) -> None:
        super().ready()
        _rename(
            self.label,
            {
                "ClockedSchedule": (_("one-off schedule"), _("one-off schedules")),
                "PeriodicTasks": (_("schedule change mark"), _("schedule change marks")),
            },
        )
