"""A partnership's plan, under /o/<org>/p/<code>/plan/."""

from django.urls import path

from partnerloop.plans import views

urlpatterns = [
    path("start/", views.plan_start, name="plan_start"),
    path("steps/", views.step_add, name="plan_step_add"),
    path("steps/<str:step>/", views.step_edit, name="plan_step_edit"),
    path("steps/<str:step>/done/", views.step_done, name="plan_step_done"),
    path("steps/<str:step>/reopen/", views.step_reopen, name="plan_step_reopen"),
    path("steps/<str:step>/move/", views.step_move, name="plan_step_move"),
    path("steps/<str:step>/split/", views.step_split, name="plan_step_split"),
    path("steps/<str:step>/outcome/", views.step_outcome, name="plan_step_outcome"),
    path("gaps/<str:gap>/", views.step_from_gap, name="plan_step_from_gap"),
]
