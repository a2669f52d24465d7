"""The host dashboard at /o/<org>/insights/: figures across the partnerships it hosts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import org_view
from partnerloop.insights import host
from partnerloop.insights.panels import panel_csv
from partnerloop.partnerships.models import PartnerType, Tier


@require_GET
@org_view
def insights_host(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = host.HostFilters.from_query(request.GET)
    csv_key = request.GET.get("csv")
    if csv_key:
        panel = host.host_panel(actor=actor, filters=filters, key=csv_key)
        return panel_csv(panel, prefix=f"insights-{actor.organization.code}")
    dashboard = host.host_dashboard(actor=actor, filters=filters)
    context = {"actor": actor, "dashboard": dashboard, "filters": filters}
    if dashboard.hosts:
        context |= {
            "query": filters.query(),
            "tiers": [("none", "No tier"), *((v, label) for v, label in Tier.choices if v)],
            "owners": host.owner_choices(actor=actor),
            "types": PartnerType.choices,
            "periods": host.PERIODS,
        }
    else:
        context["as_partner"] = list(host.partnerships_as_partner(actor=actor))
    return render(request, "insights/host.html", context)
