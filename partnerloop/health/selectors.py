"""Reads of MAP health. Callers pass a partnership already resolved for the actor.

Health is shown to the HOST side only: it is computed from the host's private fit
checklist answers (and the host's own private records), so a partner would learn private
host data from it. The partner side gets nothing, not even a count (docs/health.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from partnerloop.core.tenancy import Actor
from partnerloop.health.models import (
    ATTENTION_BELOW,
    HealthSnapshot,
    PartnershipHealth,
    Recommendation,
)
from partnerloop.partnerships.models import Partnership, Side

HISTORY_DAYS = 90
FACTORS = (("motivation", "Motivation"), ("ability", "Ability"), ("prompt", "Prompt"))


def hosted_health(*, actor: Actor, attention_only: bool = False) -> QuerySet[PartnershipHealth]:
    """The current health of every partnership the actor's organization hosts, weakest
    first (health is host-side only: a partner organization gets its own hosted ones)."""
    rows = PartnershipHealth.objects.filter(partnership__host=actor.organization).select_related(
        "partnership__partner"
    )
    if attention_only:
        rows = rows.filter(overall__lt=ATTENTION_BELOW)
    return rows.order_by("overall", "partnership__partner__name", "id")


def current_health(*, partnership: Partnership) -> PartnershipHealth | None:
    return PartnershipHealth.objects.filter(partnership=partnership).first()


def history(*, partnership: Partnership, days: int | None = HISTORY_DAYS) -> list[HealthSnapshot]:
    """The daily snapshots, oldest first (the last `days` of them, or all)."""
    snapshots = HealthSnapshot.objects.filter(partnership=partnership).order_by("-day")
    return list(snapshots[:days] if days else snapshots)[::-1]


def action_link(*, health: PartnershipHealth, partnership: Partnership, org_code: str) -> str:
    """Where the recommended step is done: the plan, the check-in form or the checklist."""
    workspace = reverse("workspace", kwargs={"org": org_code, "code": partnership.code})
    step = (health.signals or {}).get("step_code") or ""
    if health.recommendation in (Recommendation.SCHEDULE_CHECKIN, Recommendation.ASK_PARTNER):
        return workspace + "#check-in"
    if health.recommendation == Recommendation.REVISIT_FIT:
        return reverse("fit_checklist", kwargs={"org": org_code, "code": partnership.code})
    if step and health.recommendation in (Recommendation.SPLIT_STEP, Recommendation.KEEP_GOING):
        return workspace + f"#step-{step}"
    return workspace + "#plan"


def history_chart(snapshots: list[HealthSnapshot]) -> dict[str, Any] | None:
    """A Chart.js line per factor over the days (charts.js renders it; CSP-safe)."""
    if not snapshots:
        return None
    colors = {"motivation": "#6a1b9a", "ability": "#1565c0", "prompt": "#2e7d32"}
    return {
        "type": "line",
        "data": {
            "labels": [s.day.isoformat() for s in snapshots],
            "datasets": [
                {
                    "label": label,
                    "data": [getattr(s, name) for s in snapshots],
                    "borderColor": colors[name],
                }
                for name, label in FACTORS
            ],
        },
        "options": {"animation": False, "scales": {"y": {"min": 0, "max": 100}}},
    }


def workspace_health(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The health section of the workspace: host side only, at most 2 queries.

    Nothing computed yet: the section asks for it on first view (`health_refresh`, loaded
    by htmx, or a button without JavaScript), so the page itself stays cheap."""
    if side != Side.HOST:
        return {"health_visible": False, "health": None, "health_history": []}
    health = current_health(partnership=partnership)
    snapshots = history(partnership=partnership) if health else []
    return {
        "health_visible": True,
        "health": health,
        "health_history": snapshots,
        "health_chart": history_chart(snapshots),
        "health_factors": [(name, label, getattr(health, name)) for name, label in FACTORS]
        if health
        else [],
        "health_action": action_link(
            health=health, partnership=partnership, org_code=partnership.host.code
        )
        if health
        else "",
    }
