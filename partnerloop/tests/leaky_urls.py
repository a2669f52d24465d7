"""A URL configuration with one view that forgets its tenancy check, to test the matrix."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from partnerloop.partnerships.models import Partnership
from partnerloop.urls import urlpatterns as project_urlpatterns


@login_required
def leaky_workspace(request: HttpRequest, org: str, code: str) -> HttpResponse:
    # The bug under test: looks the partnership up by code alone, ignoring the organization.
    partnership = get_object_or_404(Partnership, code=code)
    return HttpResponse(partnership.partner.name)


urlpatterns = [
    path("o/<str:org>/leaky/<str:code>/", leaky_workspace, name="leaky_workspace"),
    *project_urlpatterns,
]
