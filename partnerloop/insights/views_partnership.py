"""The partnership dashboard and the quarterly review pack, for both sides of a
partnership (under /o/<org>/p/<code>/). Thin: resolve the partnership for the actor, read
through `partnership.py` / `review.py`, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import org_view
from partnerloop.insights.panels import panel_csv
from partnerloop.insights.partnership import partnership_dashboard as dashboard_of
from partnerloop.insights.partnership import side_names
from partnerloop.insights.review import quarter_for, quarters_offered, review_pack
from partnerloop.partnerships.models import Side, other_side
from partnerloop.partnerships.selectors import partnership_for


@require_GET
@org_view
def partnership_dashboard(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Progress, outcomes, commitments and the scorecard, as this side may see them; each
    panel's rows as CSV with `?csv=<key>`."""
    partnership, side = partnership_for(actor=actor, code=code)
    dashboard = dashboard_of(partnership=partnership, side=side)
    if key := request.GET.get("csv"):
        panel = dashboard.panel(key)
        if panel is None:
            raise Http404("No such panel.")
        return panel_csv(panel, prefix=f"{partnership.code}-dashboard")
    names = side_names(partnership)
    return render(
        request,
        "insights/partnership.html",
        {
            "actor": actor,
            "p": partnership,
            "is_host": side == Side.HOST,
            "own_name": names[side],
            "other_name": names[other_side(side)],
            "dashboard": dashboard,
            "own_promises": dashboard.promises[side],
        },
    )


@require_GET
@org_view
def partnership_review(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The quarterly review pack (`?quarter=2026Q4`, the current quarter by default):
    shared records only, the same page for both sides."""
    partnership, _side = partnership_for(actor=actor, code=code)
    today = timezone.localdate()
    quarter = quarter_for(request.GET.get("quarter"), today=today)
    offered = quarters_offered(partnership=partnership, today=today)
    if quarter not in offered:
        offered.append(quarter)
    return render(
        request,
        "insights/review.html",
        {
            "actor": actor,
            "p": partnership,
            "pack": review_pack(partnership=partnership, quarter=quarter),
            "quarters": offered,
        },
    )
