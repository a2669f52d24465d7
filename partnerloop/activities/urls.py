"""Activities across the ecosystem, under /o/<org>/activities/."""

from django.urls import path

from partnerloop.activities import views

urlpatterns = [
    path("what-works/", views.what_works, name="what_works"),
    path("export.csv", views.activities_export, name="activities_export"),
]
