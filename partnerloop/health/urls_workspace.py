"""MAP health inside a partnership, under /o/<org>/p/<code>/health/."""

from django.urls import path

from partnerloop.health import views

urlpatterns = [
    path("refresh/", views.refresh, name="health_refresh"),
    path("history.csv", views.history_csv, name="health_history_csv"),
]
