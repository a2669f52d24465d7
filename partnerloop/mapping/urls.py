"""Account lists, uploads and populations under /o/<org>/mapping/."""

from django.urls import path

from partnerloop.mapping import views

urlpatterns = [
    path("", views.lists, name="mapping_lists"),
    path("upload/", views.upload, name="mapping_upload"),
    path("uploads/<str:code>/", views.upload_detail, name="mapping_upload_detail"),
    path("uploads/<str:code>/columns/", views.upload_columns, name="mapping_upload_columns"),
    path("uploads/<str:code>/cancel/", views.upload_cancel, name="mapping_upload_cancel"),
    path("lists/<str:code>/", views.list_detail, name="mapping_list"),
    path("lists/<str:code>/export.csv", views.list_export, name="mapping_list_export"),
    path("populations/", views.populations, name="mapping_populations"),
    path("populations/add/", views.population_add, name="mapping_population_add"),
    path(
        "populations/<slug:key>/delete/",
        views.population_delete,
        name="mapping_population_delete",
    ),
]
