"""Host insights under /o/<org>/insights/."""

from django.urls import path

from partnerloop.insights import views_host

urlpatterns: list = [
    path("", views_host.insights_host, name="insights_host"),
]
