from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("home/figures/", views.home_counts, name="home_figures"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "dashboard/export/<slug:name>.<str:fmt>",
        views.dashboard_export,
        name="dashboard_export",
    ),
    path("reports/tickets.<str:fmt>", views.ticket_export, name="ticket_export"),
]
