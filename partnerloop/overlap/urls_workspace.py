"""Account overlap inside a partnership, under /o/<org>/p/<code>/overlap/."""

from django.urls import path

from partnerloop.overlap import views

urlpatterns = [
    path("", views.overlap_matrix, name="overlap_matrix"),
    path("summary/", views.overlap_summary, name="overlap_summary"),
    path("matrix.csv", views.overlap_matrix_export, name="overlap_matrix_export"),
    path("sharing/", views.overlap_sharing, name="overlap_sharing"),
    path("cell/<slug:ours>/<slug:theirs>/", views.overlap_cell, name="overlap_cell"),
    path(
        "cell/<slug:ours>/<slug:theirs>/export.csv",
        views.overlap_cell_export,
        name="overlap_cell_export",
    ),
    path("matches/<int:match>/reject/", views.overlap_match_reject, name="overlap_match_reject"),
    path("matches/<int:match>/act/", views.overlap_act, name="overlap_act"),
    path(
        "actions/<str:action>/outcome/",
        views.overlap_action_outcome,
        name="overlap_action_outcome",
    ),
    path(
        "rejections/<int:rejection>/undo/",
        views.overlap_rejection_undo,
        name="overlap_rejection_undo",
    ),
]
