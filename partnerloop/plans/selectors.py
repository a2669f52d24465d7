"""Reads of plans. Callers pass a partnership already resolved for the actor (tenancy)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from partnerloop.partnerships.models import Partnership
from partnerloop.partnerships.selectors import visible_to
from partnerloop.plans.models import Milestone, PlanStep


def steps_for(*, partnership: Partnership, side: str) -> QuerySet[PlanStep]:
    """The plan steps a side may see: shared ones and its own private ones."""
    return PlanStep.objects.filter(partnership=partnership).filter(visible_to(side))


def milestones_for(*, partnership: Partnership) -> QuerySet[Milestone]:
    return Milestone.objects.filter(partnership=partnership)


def workspace_plan(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The plan section of the workspace."""
    return {
        "plan_steps": list(steps_for(partnership=partnership, side=side)),
        "milestones": list(milestones_for(partnership=partnership)),
    }
