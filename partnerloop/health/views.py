"""MAP health pages: recompute now, and the history download (the section itself is part
of the workspace, see `selectors.workspace_health`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import org_view
from partnerloop.health import selectors
from partnerloop.health.services import refresh_partnership_health
from partnerloop.partnerships.models import Side
from partnerloop.partnerships.selectors import hosted_partnership_for


@require_POST
@org_view
def refresh(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Recompute one partnership's health now (host side). Any member of the host may:
    it changes no one's data, only the derived scores. htmx gets the section back."""
    partnership = hosted_partnership_for(actor=actor, code=code)
    refresh_partnership_health(partnership)
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "actor": actor,
            "p": partnership,
            **selectors.workspace_health(partnership=partnership, side=Side.HOST),
        }
        return render(request, "health/_workspace_health.html", context)
    response = redirect("workspace", org=actor.organization.code, code=partnership.code)
    response["Location"] += "#health"
    return response


@require_GET
@org_view
def history_csv(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Every daily snapshot of one partnership's health (host side; the partner gets 404)."""
    partnership = hosted_partnership_for(actor=actor, code=code)
    rows = (
        (
            s.day.isoformat(),
            s.motivation,
            s.ability,
            s.prompt,
            s.overall,
            s.weakest,
            s.diagnosis,
            s.get_recommendation_display(),
            s.recommendation_text,
        )
        for s in selectors.history(partnership=partnership, days=None)
    )
    return csv_response(
        filename=f"health-{partnership.code}.csv",
        header=[
            "day",
            "motivation",
            "ability",
            "prompt",
            "overall",
            "weakest",
            "diagnosis",
            "recommendation",
            "next_step",
        ],
        rows=rows,
    )
