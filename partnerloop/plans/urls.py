"""The host's playbooks, under /o/<org>/plans/."""

from django.urls import path

from partnerloop.plans import views

urlpatterns = [
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/default/", views.playbook_default_create, name="playbook_default_create"),
    path("playbooks/<str:playbook>/", views.playbook_detail, name="playbook_detail"),
    path(
        "playbooks/<str:playbook>/make-default/",
        views.playbook_make_default,
        name="playbook_make_default",
    ),
    path(
        "playbooks/<str:playbook>/steps/<int:step>/",
        views.playbook_step_edit,
        name="playbook_step_edit",
    ),
    path(
        "playbooks/<str:playbook>/steps/<int:step>/remove/",
        views.playbook_step_remove,
        name="playbook_step_remove",
    ),
    path(
        "playbooks/<str:playbook>/steps/<int:step>/move/",
        views.playbook_step_move,
        name="playbook_step_move",
    ),
]
