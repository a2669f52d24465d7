"""The host's IPP pages, under /o/<org>/fit/."""

from django.urls import path

from partnerloop.fit import views

urlpatterns = [
    path("", views.ipp_home, name="ipp_home"),
    path("start/", views.ipp_start, name="ipp_start"),
    path("compare/", views.ipp_compare, name="ipp_compare"),
    path("test/", views.ipp_test, name="ipp_test"),
    path("test/export.csv", views.ipp_test_export, name="ipp_test_export"),
    path("versions/<str:version>/", views.ipp_version, name="ipp_version"),
    path("versions/<str:version>/new-draft/", views.ipp_new_draft, name="ipp_new_draft"),
    path("versions/<str:version>/retire/", views.ipp_retire, name="ipp_retire"),
    path("versions/<str:version>/rescore/", views.ipp_rescore, name="ipp_rescore"),
    path(
        "versions/<str:version>/criteria/<int:criterion>/",
        views.ipp_criterion_edit,
        name="ipp_criterion_edit",
    ),
    path(
        "versions/<str:version>/criteria/<int:criterion>/delete/",
        views.ipp_criterion_delete,
        name="ipp_criterion_delete",
    ),
]
