"""The host dashboard at /o/<org>/insights/: figures across the partnerships it hosts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import org_view
from partnerloop.insights import host, snapshots
from partnerloop.insights.panels import panel_csv
from partnerloop.partnerships.models import PartnerType, Tier


@require_GET
@org_view
def insights_host(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = host.HostFilters.from_query(request.GET)
    if request.GET.get("refresh"):
        # Recompute, then show the page at its plain address (a reload does not recompute).
        snapshots.host_snapshot(actor=actor, filters=filters, refresh=True)
        query = filters.query()
        return redirect(request.path + (f"?{query}" if query else ""))
    if csv_key := request.GET.get("csv"):
        # From the snapshot the page shows, so the download matches the table.
        snapshot = snapshots.host_snapshot(actor=actor, filters=filters)
        return panel_csv(snapshot.panel(csv_key), prefix=f"insights-{actor.organization.code}")
    page = snapshots.cached_page(actor=actor, filters=filters)
    if page is None:
        dashboard = (snapshot := snapshots.host_snapshot(actor=actor, filters=filters)).dashboard
        if dashboard.hosts:
            html = render_to_string(
                "insights/_panels.html", {"dashboard": dashboard, "query": filters.query()}
            )
            page = snapshots.keep_page(actor=actor, filters=filters, snapshot=snapshot, html=html)
    # Only an organization that hosts partnerships has panels, hence a page.
    context: dict[str, Any] = {"actor": actor, "filters": filters, "hosting": page is not None}
    if page is not None:
        context |= {
            "page": page,
            "query": filters.query(),
            "tiers": [("none", "No tier"), *((v, label) for v, label in Tier.choices if v)],
            "owners": host.owner_choices(actor=actor),
            "types": PartnerType.choices,
            "periods": host.PERIODS,
        }
    else:
        context["as_partner"] = list(host.partnerships_as_partner(actor=actor))
    return render(request, "insights/host.html", context)
