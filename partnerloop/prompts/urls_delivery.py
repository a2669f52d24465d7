"""How prompts reach people, under /o/<org>/notifications/."""

from django.urls import path

from partnerloop.prompts import delivery_views as views

urlpatterns = [
    path("", views.delivery_preferences, name="delivery_preferences"),
    path("calendar/", views.calendar_feed_create, name="calendar_feed_create"),
    path("calendar/revoke/", views.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("webhooks/", views.webhook_add, name="webhook_add"),
    path("webhooks/<str:webhook>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/<str:webhook>/test/", views.webhook_test, name="webhook_test"),
]
