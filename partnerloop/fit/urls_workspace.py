"""Fit inside a partnership, under /o/<org>/p/<code>/fit/."""

from django.urls import path

from partnerloop.fit import views

urlpatterns = [
    path("checklist/", views.checklist, name="fit_checklist"),
    path("share/", views.fit_share, name="fit_share"),
    path("gaps/", views.fit_gap_action, name="fit_gap_action"),
    path("gaps/<str:gap>/promise/", views.fit_gap_promise, name="fit_gap_promise"),
]
