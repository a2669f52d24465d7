"""Reads of activities, for one side of one partnership (already resolved for the actor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from partnerloop.accounts.models import Organization
from partnerloop.activities.models import (
    Activity,
    ActivityComment,
    ActivityType,
    Outcome,
    Result,
)
from partnerloop.core.tenancy import Actor
from partnerloop.fit.models import Band
from partnerloop.partnerships.models import Partnership, Side, Tier, Visibility
from partnerloop.partnerships.selectors import visible_to
from partnerloop.plans.models import PlanStep

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
            # Only the linked steps this side may see: a shared activity can name a step
            # that is private to the side that logged it.
            Prefetch("plan_steps", queryset=PlanStep.objects.filter(visible_to(side))),
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


# "What works" -------------------------------------------------------------------------


@dataclass
class Rate:
    worked: int = 0
    settled: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.worked / self.settled, 4) if self.settled else None


@dataclass
class WhatWorks:
    kinds: list[tuple[str, str]]
    overall: dict[str, Rate]
    tiers: list[tuple[str, str]]
    by_tier: dict[tuple[str, str], Rate]
    bands: list[tuple[str, str]]
    by_band: dict[tuple[str, str], Rate]

    @property
    def any(self) -> bool:
        return any(r.settled for r in self.overall.values())


def what_works(*, actor: Actor) -> WhatWorks:
    """For the host: per kind of activity, the share of settled views that say it worked,
    overall, by tier and by fit band. One grouped query, whatever the number of activities.
    Only what the host may see counts (shared activities and its own private ones)."""

    settled = [Result.WORKED, Result.MIXED, Result.DIDNT]
    rows = (
        Outcome.objects.filter(activity__partnership__host=actor.organization, result__in=settled)
        .filter(Q(activity__visibility=Visibility.SHARED) | Q(activity__side=Side.HOST))
        .values(
            "activity__kind",
            "activity__partnership__tier",
            "activity__partnership__current_fit__band",
        )
        .annotate(settled=Count("id"), worked=Count("id", filter=Q(result=Result.WORKED)))
        .order_by()
    )
    overall: dict[str, Rate] = {kind: Rate() for kind in ActivityType.values}
    by_tier: dict[tuple[str, str], Rate] = {}
    by_band: dict[tuple[str, str], Rate] = {}
    for row in rows:
        kind = row["activity__kind"]
        tier = row["activity__partnership__tier"] or ""
        band = row["activity__partnership__current_fit__band"] or ""
        for tally in (
            overall.setdefault(kind, Rate()),
            by_tier.setdefault((kind, tier), Rate()),
            by_band.setdefault((kind, band), Rate()),
        ):
            tally.worked += row["worked"]
            tally.settled += row["settled"]
    return WhatWorks(
        kinds=list(ActivityType.choices),
        overall=overall,
        tiers=list(Tier.choices),
        by_tier=by_tier,
        bands=[*Band.choices, ("", "No fit yet")],
        by_band=by_band,
    )


# Across an organization's partnerships (the API and the CSV exports) -------------------


def seen_by(organization: Organization, prefix: str = "") -> Q:
    """Records an organization may see across all its partnerships: in each one, the
    shared records and the private ones of the side it is on there. `prefix` reaches the
    record through a relation (e.g. "activity__")."""

    def side_q(side: str) -> Q:
        return Q(**{f"{prefix}visibility": Visibility.SHARED}) | Q(**{f"{prefix}side": side})

    return (Q(**{f"{prefix}partnership__host": organization}) & side_q(Side.HOST)) | (
        Q(**{f"{prefix}partnership__partner": organization}) & side_q(Side.PARTNER)
    )


@dataclass
class ActivityFilters:
    partnership: Partnership | None = None
    kind: str = ""
    since: date | None = None
    until: date | None = None


def activities_of(*, actor: Actor, filters: ActivityFilters | None = None) -> QuerySet[Activity]:
    """The activities the actor's organization may see in all its partnerships (as host
    and as partner), newest first, with both sides' outcomes and the plan steps it may
    see: a fixed number of queries however many rows are read."""
    filters = filters or ActivityFilters()
    org = actor.organization
    activities = Activity.objects.filter(seen_by(org))
    if filters.partnership is not None:
        activities = activities.filter(partnership=filters.partnership)
    if filters.kind:
        activities = activities.filter(kind=filters.kind)
    if filters.since is not None:
        activities = activities.filter(happened_on__gte=filters.since)
    if filters.until is not None:
        activities = activities.filter(happened_on__lte=filters.until)
    return activities.select_related(
        "partnership__host", "partnership__partner", "created_by"
    ).prefetch_related(
        Prefetch(
            "outcomes", queryset=Outcome.objects.select_related("recorded_by").order_by("side")
        ),
        Prefetch(
            "plan_steps",
            queryset=PlanStep.objects.filter(seen_by(org)).only("id", "code", "title"),
        ),
    )


def activity_of(*, actor: Actor, code: str) -> tuple[Activity, str]:
    """One activity the actor's organization may see, and the side it is on in that
    partnership; another tenant's activity, or the other side's private one, is a 404."""
    activity = (
        activities_of(actor=actor)
        .prefetch_related(
            Prefetch("comments", queryset=ActivityComment.objects.select_related("author"))
        )
        .filter(code=code)
        .first()
    )
    if activity is None:
        raise Http404("No such activity.")
    return activity, activity.partnership.side_of(actor.organization.pk)
