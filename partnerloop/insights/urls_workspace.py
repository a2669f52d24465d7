"""A partnership's dashboard and quarterly review pack under /o/<org>/p/<code>/."""

from django.urls import path

from partnerloop.insights import views_partnership

urlpatterns = [
    path("dashboard/", views_partnership.partnership_dashboard, name="partnership_dashboard"),
    path("review/", views_partnership.partnership_review, name="partnership_review"),
]
