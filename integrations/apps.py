from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations.mail import outgoing
        from integrations.redmine import links, push
        from integrations.redmine.views import ticket_panel
        from integrations.schedule import register_schedules
        from tickets import signals
        from tickets.panels import register_panel

        post_migrate.connect(register_schedules, sender=self)
        signals.change_recorded.connect(push.record_change, dispatch_uid="redmine-push")
        signals.change_recorded.connect(links.move_on_merge, dispatch_uid="redmine-merge")
        signals.mail_composed.connect(outgoing.mail_composed, dispatch_uid="mail-reply-to")
        for signal in (post_save, post_delete):
            signal.connect(outgoing.mailboxes_changed, sender="integrations.Mailbox")
        register_panel(
            "redmine", "integrations/redmine/ticket_panel.html", context=ticket_panel, order=10
        )
