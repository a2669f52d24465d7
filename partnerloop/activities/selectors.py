"""Reads of activities, for one side of one partnership (already resolved for the actor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from partnerloop.activities.models import Activity, ActivityComment, Outcome, Result
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.selectors import visible_to

WORKSPACE_ACTIVITIES = 10


def activities_for(*, partnership: Partnership, side: str) -> QuerySet[Activity]:
    """The activities a side may see, with both sides' outcomes."""
    return (
        Activity.objects.filter(partnership=partnership)
        .filter(visible_to(side))
        .prefetch_related(Prefetch("outcomes", queryset=Outcome.objects.order_by("side")))
    )


def activity_for(*, partnership: Partnership, side: str, code: str) -> Activity:
    activity = (
        activities_for(partnership=partnership, side=side)
        .prefetch_related(
            Prefetch("comments", queryset=ActivityComment.objects.select_related("author")),
            "plan_steps",
        )
        .filter(code=code)
        .first()
    )
    if activity is None:
        raise Http404("No such activity.")
    return activity


@dataclass
class Views:
    """Each side's outcome of one activity, and whether they disagree."""

    host: Outcome | None
    partner: Outcome | None

    @property
    def disagree(self) -> bool:
        settled = {Result.WORKED, Result.DIDNT, Result.MIXED}
        return bool(
            self.host
            and self.partner
            and self.host.result in settled
            and self.partner.result in settled
            and self.host.result != self.partner.result
        )


def views_of(activity: Activity) -> Views:
    by_side = {o.side: o for o in activity.outcomes.all()}
    return Views(host=by_side.get(Side.HOST), partner=by_side.get(Side.PARTNER))


def workspace_activities(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The activities section of the workspace: the latest ones, each with both views."""
    latest = list(activities_for(partnership=partnership, side=side)[: WORKSPACE_ACTIVITIES + 1])
    return {
        "activities": [(a, views_of(a)) for a in latest[:WORKSPACE_ACTIVITIES]],
        "activities_more": len(latest) > WORKSPACE_ACTIVITIES,
    }
