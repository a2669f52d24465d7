"""The API tokens page: list, create (shown once) and revoke one's own tokens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from partnerloop.api import selectors, services
from partnerloop.api.forms import TokenForm
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view


@never_cache
@require_http_methods(["GET", "POST"])
@org_view
def api_tokens(request: HttpRequest, actor: Actor) -> HttpResponse:
    """List and create. The new token's value is in this one response only (never cached)."""
    form = TokenForm(request.POST or None, can_write=actor.can_write)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, value = services.token_create(
                actor=actor, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            new_token = {"token": token, "value": value}
            form = TokenForm(can_write=actor.can_write)
    tokens = list(selectors.tokens_of(actor=actor))
    return render(
        request,
        "api/tokens.html",
        {
            "actor": actor,
            "form": form,
            "new_token": new_token,
            "active_tokens": [t for t in tokens if t.is_active],
            "revoked_tokens": [t for t in tokens if not t.is_active],
        },
    )


@require_POST
@org_view
def api_token_revoke(request: HttpRequest, actor: Actor, prefix: str) -> HttpResponse:
    token = selectors.token_for(actor=actor, prefix=prefix)
    services.token_revoke(actor=actor, token=token)
    messages.success(request, f"“{token.name}” is revoked; it no longer works.")
    return redirect("api_tokens", org=actor.organization.code)
