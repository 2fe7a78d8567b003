from django.urls import path

from integrations.redmine import views

app_name = "integrations"

urlpatterns = [
    path("tickets/<str:key>/redmine/escalate/", views.escalate, name="redmine-escalate"),
    path("tickets/<str:key>/redmine/retry/", views.retry_pushes, name="redmine-retry"),
]
