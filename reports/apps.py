from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.http import HttpRequest

        from reports.dashboard import register_builtin_sections
        from tickets.list_actions import register_list_action

        register_builtin_sections()

        def export_context(request: HttpRequest) -> dict:
            params = request.GET.copy()
            params.pop("page", None)
            params.pop("per_page", None)
            return {"query": params.urlencode()}

        register_list_action(
            "export", "reports/includes/list_export.html", context=export_context, order=10
        )
