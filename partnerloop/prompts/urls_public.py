"""Token URLs without a session: one-click e-mail links and personal calendar feeds."""

from django.urls import path

from partnerloop.prompts import delivery_views as views

urlpatterns = [
    path("l/<str:token>/", views.action_link, name="action_link"),
    path("cal/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
