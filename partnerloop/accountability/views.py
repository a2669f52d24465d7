"""Commitments inside a partnership, under /o/<org>/p/<code>/commitments/."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from partnerloop.accountability import selectors, services
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import org_view
from partnerloop.partnerships.models import Side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.partnerships.services import ConcurrentEdit


class CommitmentForm(forms.Form):
    whose = forms.ChoiceField(choices=[("ours", "ours"), ("theirs", "theirs")])
    what = forms.CharField(max_length=300)
    due_on = forms.DateField()
    promised_by = forms.CharField(max_length=200, required=False)


def _back(actor: Actor, code: str) -> HttpResponse:
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += "#commitments"
    return response


@require_POST
@org_view
def commitment_add(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    form = CommitmentForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {' '.join(errors)}")
        return _back(actor, code)
    data = form.cleaned_data
    other = Side.PARTNER if side == Side.HOST else Side.HOST
    try:
        services.commitment_add(
            actor=actor,
            partnership=partnership,
            side=side if data["whose"] == "ours" else other,
            what=data["what"],
            due_on=data["due_on"],
            promised_by=data["promised_by"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The promise is recorded: both sides see it.")
    return _back(actor, code)


@require_POST
@org_view
def commitment_close(
    request: HttpRequest, actor: Actor, code: str, commitment: str
) -> HttpResponse:
    partnership, _side = partnership_for(actor=actor, code=code)
    found = selectors.commitment_for(partnership=partnership, code=commitment)
    version = request.POST.get("version", "")
    try:
        services.commitment_close(
            actor=actor,
            commitment=found,
            status=request.POST.get("status", ""),
            version=int(version) if version.isdigit() else None,
        )
    except ConcurrentEdit as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(actor, code)
