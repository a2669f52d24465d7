"""The partner scorecard of a partnership and the host's responsiveness to it, under
/o/<org>/p/<code>/scorecard/."""

from django.urls import path

from partnerloop.accountability import views

urlpatterns = [
    path("", views.scorecard, name="scorecard"),
    path("responsiveness/", views.partnership_responsiveness, name="partnership_responsiveness"),
]
