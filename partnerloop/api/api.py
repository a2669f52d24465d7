"""The JSON API at /api/v1/: personal bearer tokens, the OpenAPI schema at
/api/v1/openapi.json and a server-rendered operation list at /api/v1/docs.

Errors always answer JSON with a `detail`:

| status | when | body |
|---|---|---|
| 401 | no, unknown, revoked token, or its user left the organization | `{"detail": "..."}` |
| 403 | the role or a read-only token does not allow the write | `{"detail": "..."}` |
| 404 | no such object in your organization's partnerships | `{"detail": "..."}` |
| 409 | an edit started from an old `version` | `{"detail": "...", "current_version": n}` |
| 422 | invalid input | `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}` |
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from partnerloop.api.auth import TokenAuth
from partnerloop.api.docs import ServerRenderedDocs
from partnerloop.api.partnerships import router as partnerships_router
from partnerloop.core.views import form_errors
from partnerloop.fit.api import router as fit_router

api = NinjaAPI(
    title="PartnerLoop API",
    version="1",
    description=(
        "Authenticate with a personal API token from the “API tokens” page of your "
        "organization: `Authorization: Bearer pl_…`. A token acts for one organization "
        "with your current role there; a read-only token cannot write."
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    docs=ServerRenderedDocs(),
)
api.add_router("/partnerships", partnerships_router)
api.add_router("/fit", fit_router)
api.add_router("/plans", "partnerloop.plans.api.router")
api.add_router("/health", "partnerloop.health.api.router")
api.add_router("/accountability", "partnerloop.accountability.api.router")
api.add_router("/referrals", "partnerloop.referrals.api.router")
api.add_router("/activities", "partnerloop.activities.api.router")
api.add_router("/prompts", "partnerloop.prompts.api.router")
api.add_router("/psi", "partnerloop.psi.api.router")
api.add_router("/mapping", "partnerloop.mapping.api.router")
api.add_router("/overlap", "partnerloop.overlap.api.router")
api.add_router("/insights", "partnerloop.insights.api.router")
api.add_router("/insights/partnerships", "partnerloop.insights.api_partnership.router")


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "Send a valid API token: `Authorization: Bearer pl_…`."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "You may not do this."}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(DjangoValidationError)
def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service's ValidationError in the same shape as ninja's own 422 answers."""
    detail = [
        {
            "loc": ["body"] if field == "__all__" else ["body", "payload", field],
            "msg": message,
            "type": "value_error",
        }
        for field, messages in form_errors(exc).items()
        for message in messages
    ]
    return api.create_response(request, {"detail": detail}, status=422)
