"""Private mode inside a partnership, under /o/<org>/p/<code>/private-mode/."""

from django.urls import path

from partnerloop.psi import views

urlpatterns = [
    path("", views.consent_page, name="psi_consent"),
    path("remove/", views.consent_remove, name="psi_consent_remove"),
]
