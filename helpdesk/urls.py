from django.apps import apps
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import MeView
from helpdesk.api_root import ApiRootView
from helpdesk.health import healthz
from helpdesk.views import home

handler404 = "helpdesk.views.page_not_found"

admin.site.site_header = _("Helpdesk administration")
admin.site.site_title = _("Helpdesk")
admin.site.index_title = _("Operator console")

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("", include("tickets.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/me/", MeView.as_view(), name="api-me"),
    path("api/v1/users/me/", MeView.as_view(), name="api-users-me"),
    path("api/v1/", include("tickets.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, not inline (CSP).
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

# The ticket system works without these apps (see tickets/tests/test_pluggable.py).
if apps.is_installed("reports"):
    from reports.views import home as reports_home

    # The home page by role; without reports, the plain account page.
    urlpatterns += [path("", reports_home, name="home"), path("", include("reports.urls"))]
else:
    urlpatterns += [path("", home, name="home")]

if apps.is_installed("integrations"):
    urlpatterns += [path("", include("integrations.urls"))]

if apps.is_installed("sla"):
    urlpatterns += [path("", include("sla.urls"))]

if apps.is_installed("notifications"):
    from notifications import urls as notifications_urls

    urlpatterns += [
        path("api/v1/", include(notifications_urls.api_urlpatterns)),
        path("", include(notifications_urls.urlpatterns)),
    ]
