"""Included at /o/<org>/tokens/."""

from django.urls import path

from partnerloop.api import views

urlpatterns = [
    path("", views.api_tokens, name="api_tokens"),
    path("<str:prefix>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
