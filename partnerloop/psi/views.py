"""The private mode page of a partnership (/o/<org>/p/<code>/private-mode/): which of our
populations the other side may run private mode against, what we may run against theirs,
and the audit log of every run (both sides read it; managers change their own side)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view
from partnerloop.partnerships.models import Side, other_side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.psi import engine, selectors, services

AUDIT_ROWS = 100


class ConsentForm(forms.Form):
    population = forms.SlugField(
        max_length=60,
        label="Population",
        help_text="One of your account list populations, such as customers or prospects.",
        widget=forms.TextInput(attrs={"list": "psi-populations"}),
    )
    allow_reveal = forms.BooleanField(
        required=False,
        label="Also allow reveal mode (they learn which of their accounts are in this population)",
    )


def _page(
    request: HttpRequest, actor: Actor, code: str, form: ConsentForm, status: int
) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    consents = list(selectors.consents_for(partnership=partnership))
    runs = list(selectors.runs_for(partnership=partnership)[:AUDIT_ROWS])
    other = other_side(side)
    return render(
        request,
        "psi/consent.html",
        {
            "actor": actor,
            "p": partnership,
            "side": side,
            "is_host": side == Side.HOST,
            "other_name": partnership.partner.name if side == Side.HOST else partnership.host.name,
            "ours": [c for c in consents if c.side == side],
            "theirs": [c for c in consents if c.side == other],
            "runs": runs,
            "form": form,
            "populations": selectors.COMMON_POPULATIONS,
            "limits": {
                "runs_per_day": selectors.runs_per_day(),
                "min_set_size": selectors.min_set_size(),
                "max_set_size": engine.max_set_size(),
            },
            "site_url": settings.SITE_URL,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view
def consent_page(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    form = ConsentForm(request.POST or None)
    if request.method == "POST":
        actor.require_manage()
        if form.is_valid():
            try:
                services.consent_set(
                    actor=actor,
                    partnership=partnership,
                    side=side,
                    population=form.cleaned_data["population"],
                    allow_reveal=form.cleaned_data["allow_reveal"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Private mode is on for that population.")
                return redirect("psi_consent", org=actor.organization.code, code=code)
    return _page(request, actor, code, form, 400 if form.errors else 200)


@require_POST
@org_view
def consent_remove(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    actor.require_manage()
    population = request.POST.get("population", "")
    services.consent_remove(actor=actor, partnership=partnership, side=side, population=population)
    messages.success(request, f"Private mode is off for {population}.")
    return redirect("psi_consent", org=actor.organization.code, code=code)
