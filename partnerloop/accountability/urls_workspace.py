"""Commitments inside a partnership, under /o/<org>/p/<code>/commitments/."""

from django.urls import path

from partnerloop.accountability import views

urlpatterns = [
    path("", views.commitment_add, name="commitment_add"),
    path("export.csv", views.commitments_export, name="commitments_export"),
    path("<str:commitment>/", views.commitment_close, name="commitment_close"),
]
