"""Reads of MAP health. Callers pass a partnership already resolved for the actor."""

from __future__ import annotations

from typing import Any

from partnerloop.health.models import HealthSnapshot, PartnershipHealth
from partnerloop.partnerships.models import Partnership


def workspace_health(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The health section of the workspace: the current scores and the last 90 days."""
    return {
        "health": PartnershipHealth.objects.filter(partnership=partnership).first(),
        "health_history": list(
            HealthSnapshot.objects.filter(partnership=partnership).order_by("-day")[:90]
        )[::-1],
    }
