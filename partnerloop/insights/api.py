"""Insights in the JSON API, mounted at /api/v1/insights.

The host dashboard's panels as data: for each panel its columns and rows, the same rows
as the page's tables and CSV downloads, with the same filters. Only the partnerships the
token's organization hosts count; an organization that hosts none gets no panel.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from partnerloop.api.partnerships import _actor
from partnerloop.api.schemas import responses
from partnerloop.insights import host

router = Router(tags=["insights"])


class HostFiltersQuery(Schema):
    tier: str = Field("", description="A tier, or `none` for partnerships without one")
    owner: str = Field("", description="The host owner's user id, or `none`")
    partner_type: str = Field("", description="A partner type")
    days: int = Field(
        host.DEFAULT_PERIOD, description="The period in days: 30, 90, 180 or 365 (others: 90)"
    )


class FiltersOut(Schema):
    tier: str
    owner: str
    partner_type: str
    days: int


class PanelOut(Schema):
    key: str = Field(description="Stable key; `?csv=<key>` on the page downloads it")
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]] = Field(description="One list of cells per row, as the columns say")


class HostDashboardOut(Schema):
    hosts: bool = Field(description="Whether the organization hosts any partnership")
    filters: FiltersOut
    panels: list[PanelOut]


@router.get(
    "/host",
    response=responses(200, HostDashboardOut),
    summary="The host dashboard's panels",
    description="Across the partnerships your organization hosts, narrowed by tier, host "
    "owner, partner type and period: partnerships by stage and fit band, fit × MAP health, "
    "the tiny-steps funnel and where partnerships stall, prompt effectiveness, what works, "
    "referrals by month and by partner, the IPP test (managers only; empty otherwise). "
    "Amounts are decimal strings (docs/insights.md).",
)
def host_dashboard(request: HttpRequest, filters: Query[HostFiltersQuery]) -> dict[str, Any]:
    chosen = host.HostFilters.from_query(filters.dict())
    dashboard = host.host_dashboard(actor=_actor(request), filters=chosen)
    return {
        "hosts": dashboard.hosts,
        "filters": chosen.as_dict(),
        "panels": [
            {
                "key": p.key,
                "title": p.title,
                "description": p.description,
                "columns": list(p.columns),
                "rows": [list(row) for row in p.rows],
            }
            for p in dashboard.panels
        ],
    }
