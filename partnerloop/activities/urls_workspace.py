"""Activities inside a partnership, under /o/<org>/p/<code>/activities/."""

from django.urls import path

from partnerloop.activities import views

urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_new, name="activity_new"),
    path("export.csv", views.activity_export, name="activity_export"),
    path("<str:activity>/", views.activity_detail, name="activity_detail"),
    path("<str:activity>/edit/", views.activity_edit, name="activity_edit"),
    path("<str:activity>/outcome/", views.activity_outcome, name="activity_outcome"),
    path("<str:activity>/comments/", views.activity_comment, name="activity_comment"),
]
