from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partnerloop.core.tenancy import Actor, actor_for

OrgView = Callable[..., HttpResponse]


def org_view(view: OrgView) -> OrgView:
    """Resolve the organization in the URL into an `Actor`; 404 for non-members."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = actor_for(user=request.user, org_code=org)
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, actor, *args, **kwargs)

    return wrapper


def form_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as field -> messages, for re-rendering a form."""
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": list(exc.messages)}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field, or above the form."""
    for field, errors in form_errors(exc).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their first organization, or to create one."""
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    membership = (
        request.user.memberships.select_related("organization").order_by("created_at").first()
    )
    if membership is None:
        return redirect("organization_create")
    return redirect("org_home", org=membership.organization.code)


def actor_context(actor: Actor) -> dict[str, Any]:
    return {"actor": actor, "org": actor.organization}
