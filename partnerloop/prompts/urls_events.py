"""Reviews and joint events of a partnership, under /o/<org>/p/<code>/events/."""

from django.urls import path

from partnerloop.prompts import delivery_views as views

urlpatterns = [
    path("new/", views.event_new, name="event_new"),
    path("<str:event>/edit/", views.event_edit, name="event_edit"),
    path("<str:event>/confirm/", views.event_confirm, name="event_confirm"),
    path("<str:event>/cancel/", views.event_cancel, name="event_cancel"),
]
