"""CSV import of partners, mounted under `/o/<org>/partners/`."""

from django.urls import path

from partnerloop.partnerships import import_views as views

urlpatterns = [
    path("import/", views.partner_import, name="partner_import"),
    path("import/sample.csv", views.partner_import_sample, name="partner_import_sample"),
    path("import/<str:code>/", views.partner_import_preview, name="partner_import_preview"),
    path("import/<str:code>/commit/", views.partner_import_commit, name="partner_import_commit"),
    path(
        "import/<str:code>/discard/",
        views.partner_import_discard,
        name="partner_import_discard",
    ),
]
