"""Routes of the notifications app: the service worker at the site root, push
subscriptions, the preferences form, and the API under ``/api/v1/``."""

from django.urls import URLPattern, URLResolver, include, path

from notifications import api, push_views

urlpatterns: list[URLPattern | URLResolver] = [
    *push_views.urlpatterns,
    path("", include("notifications.views")),
]
api_urlpatterns = [*api.urlpatterns]
