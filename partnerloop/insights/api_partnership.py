"""A partnership's dashboard and quarterly review pack in the JSON API, mounted at
/api/v1/insights/partnerships.

The same panels as the pages, for both sides of a partnership: for each panel its columns
and rows, the rows of the page's tables and CSV downloads. The dashboard counts what the
token's side may see (shared records and its own private ones); the review pack counts
shared records only and is the same for both sides. Another organization's partnership
is a 404.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from partnerloop.api.partnerships import _actor, _partnership
from partnerloop.api.schemas import responses
from partnerloop.insights.partnership import panel_out, partnership_dashboard
from partnerloop.insights.review import quarter_for, review_pack

router = Router(tags=["insights"])


class PanelOut(Schema):
    key: str = Field(description="Stable key; `?csv=<key>` on the page downloads it")
    title: str
    columns: list[str]
    rows: list[list[Any]] = Field(
        description="One list of cells per row, as the columns say; amounts are decimal "
        "strings, a dash where there is nothing to divide"
    )


class PartnershipDashboardOut(Schema):
    code: str
    side: str = Field(description="The side the token's organization is on: host or partner")
    quarters: list[str] = Field(description="The quarters of the time axis, oldest first")
    current_phase: str = Field(description="The plan's current phase, empty without a plan")
    panels: list[PanelOut]


class ReviewQuery(Schema):
    quarter: str = Field("", description="A quarter such as 2026Q4 (default: the current one)")


class ReviewSectionOut(PanelOut):
    note: str


class ReviewOut(Schema):
    code: str
    quarter: str
    first_day: date
    last_day: date
    current_phase: str = Field(description="The plan's phase at the end of the quarter")
    sections: list[ReviewSectionOut]


@router.get(
    "/{code}/dashboard",
    response=responses(200, PartnershipDashboardOut, 404),
    summary="A partnership's dashboard",
    description="Plan progress, milestones, each side's outcomes and figures by quarter, "
    "referrals by quarter, commitments kept on both sides and the partner scorecard, as "
    "your side may see them: shared records and your own private ones, never the other "
    "side's private ones (docs/insights-partnership.md).",
)
def dashboard(request: HttpRequest, code: str) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    found = partnership_dashboard(partnership=partnership, side=side)
    return {
        "code": partnership.code,
        "side": side,
        "quarters": [q.key for q in found.quarters],
        "current_phase": found.progress.current_phase,
        "panels": [panel_out(panel) for panel in found.panels],
    }


@router.get(
    "/{code}/review",
    response=responses(200, ReviewOut, 404, 422),
    summary="A partnership's quarterly review pack",
    description="Fit, plan progress, milestones, outcomes, commitments and referrals of the "
    "quarter, and the next steps: shared records only, the same for both sides "
    "(docs/insights-partnership.md). A missing, invalid or future quarter gives the "
    "current one.",
)
def review(request: HttpRequest, code: str, query: Query[ReviewQuery]) -> dict[str, Any]:
    partnership, _side = _partnership(_actor(request), code)
    quarter = quarter_for(query.quarter, today=timezone.localdate())
    pack = review_pack(partnership=partnership, quarter=quarter)
    return {
        "code": partnership.code,
        "quarter": quarter.key,
        "first_day": quarter.first_day,
        "last_day": quarter.last_day,
        "current_phase": pack.current_phase,
        "sections": [
            {**panel_out(section.panel), "note": section.note} for section in pack.sections
        ],
    }
