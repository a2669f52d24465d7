"""Check-ins and prompt overrides inside a partnership, under /o/<org>/p/<code>/prompts/."""

from django.urls import path

from partnerloop.prompts import views

urlpatterns = [
    path("check-in/", views.check_in, name="check_in"),
    path("settings/", views.prompt_overrides, name="prompt_overrides"),
]
