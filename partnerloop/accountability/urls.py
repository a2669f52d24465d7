"""The organization's accountability reports, under /o/<org>/accountability/."""

from django.urls import path

from partnerloop.accountability import views

urlpatterns = [
    path("responsiveness/", views.responsiveness, name="responsiveness"),
    path("responsiveness/export.csv", views.responsiveness_export, name="responsiveness_export"),
    path("targets/", views.response_targets, name="response_targets"),
    path("fairness/", views.fairness_page, name="fairness"),
    path("fairness/export.csv", views.fairness_export, name="fairness_export"),
    path("fairness/<str:code>/handled/", views.fairness_handle, name="fairness_handle"),
]
