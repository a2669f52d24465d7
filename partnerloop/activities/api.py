"""Activities in the JSON API, mounted at /api/v1/activities.

The same selectors and services as the pages: a side never receives (nor counts) the
other side's private activities; both sides' outcomes of an activity it may see are
shown; a stale `version` answers 409 with the current one.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from partnerloop.activities import selectors, services
from partnerloop.activities.models import Activity, ActivityType, Outcome, Result
from partnerloop.api.partnerships import LimitOffset, _actor, _partnership
from partnerloop.api.schemas import InputSchema, _email, current_version, responses, stale_edit
from partnerloop.partnerships.models import Side, Visibility
from partnerloop.partnerships.services import ConcurrentEdit

router = Router(tags=["activities"])

# Storage limits of the figures (a bigger number is refused with 422, not stored).
MAX_COUNT = 2_147_483_647


class StepRefOut(Schema):
    code: str
    title: str


class OutcomeOut(Schema):
    side: Side = Field(description="Whose view this is")
    result: Result = Field(description="worked, didnt, mixed or pending")
    notes: str
    leads: int | None
    meetings: int | None
    pipeline: Decimal | None = Field(description='A decimal string, e.g. "25000.00"')
    revenue: Decimal | None
    recorded_by: str | None = Field(description="E-mail of who recorded it")
    version: int = Field(description="Send it back when you change your side's view")
    updated_at: datetime

    @staticmethod
    def resolve_recorded_by(obj: Outcome) -> str | None:
        return _email(obj.recorded_by)


class OutcomesOut(Schema):
    host: OutcomeOut | None = Field(description="The host's view; null until it says")
    partner: OutcomeOut | None = Field(description="The partner's view; null until it says")


class ActivityOut(Schema):
    code: str
    partnership: str = Field(description="Code of the partnership")
    kind: ActivityType
    title: str
    happened_on: date
    description: str
    host_people: str = Field(description="One name per line")
    partner_people: str = Field(description="One name per line")
    plan_steps: list[StepRefOut] = Field(description="The linked plan steps your side may see")
    side: Side = Field(description="The side that logged it (and edits it)")
    visibility: Visibility
    version: int = Field(description="Send it back in PATCH; it changes on every edit")
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    outcomes: OutcomesOut = Field(description="Each side's view of what it gave")
    disagree: bool = Field(description="Both sides settled (worked, didnt, mixed) and differ")

    @staticmethod
    def resolve_partnership(obj: Activity) -> str:
        return obj.partnership.code

    @staticmethod
    def resolve_plan_steps(obj: Activity) -> list[Any]:
        return list(obj.plan_steps.all())

    @staticmethod
    def resolve_created_by(obj: Activity) -> str | None:
        return _email(obj.created_by)

    @staticmethod
    def resolve_outcomes(obj: Activity) -> dict[str, Any]:
        views = selectors.views_of(obj)
        return {"host": views.host, "partner": views.partner}

    @staticmethod
    def resolve_disagree(obj: Activity) -> bool:
        return selectors.views_of(obj).disagree


class CommentOut(Schema):
    code: str
    side: Side
    author: str | None
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> str | None:
        return _email(obj.author)


class ActivityDetailOut(ActivityOut):
    comments: list[CommentOut] = Field(description="Oldest first")

    @staticmethod
    def resolve_comments(obj: Activity) -> list[Any]:
        return list(obj.comments.all())


class ActivityListFilters(Schema):
    partnership: str = Field("", max_length=12, description="Only this partnership (its code)")
    kind: ActivityType | None = None
    since: date | None = Field(None, description="Happened on or after this day")
    until: date | None = Field(None, description="Happened on or before this day")


class ActivityIn(InputSchema):
    kind: ActivityType
    title: str = Field(max_length=200)
    happened_on: date
    description: str = Field("", max_length=10000)
    host_people: str = Field("", max_length=2000, description="One name per line")
    partner_people: str = Field("", max_length=2000, description="One name per line")
    visibility: Visibility = Field(
        Visibility.SHARED, description="`shared` (the default) or `private` to your side"
    )
    plan_steps: list[str] = Field(
        default_factory=list, max_length=50, description="Codes of plan steps it belongs to"
    )


class ActivityEditIn(InputSchema):
    version: int = Field(description="The `version` you read; 409 if someone saved since.")
    kind: ActivityType | None = None
    title: str | None = Field(None, max_length=200)
    happened_on: date | None = None
    description: str | None = Field(None, max_length=10000)
    host_people: str | None = Field(None, max_length=2000)
    partner_people: str | None = Field(None, max_length=2000)
    visibility: Visibility | None = None
    plan_steps: list[str] | None = Field(
        None, max_length=50, description="Replaces the linked steps; [] unlinks them all"
    )


class OutcomeIn(InputSchema):
    result: Result = Field(description="worked, didnt, mixed or pending")
    notes: str = Field("", max_length=10000)
    leads: int | None = Field(None, le=MAX_COUNT)
    meetings: int | None = Field(None, le=MAX_COUNT)
    pipeline: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    revenue: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    version: int | None = Field(
        None,
        description="The `version` of your side's view you read (omit when your side has "
        "none yet); 409 if it changed since.",
    )


class CommentIn(InputSchema):
    body: str = Field(max_length=10000)


class RateOut(Schema):
    worked: int = Field(description="Views that say it worked")
    settled: int = Field(description="Views that say worked, didnt or mixed")
    rate: float | None = Field(description="worked ÷ settled, null without settled views")


class GroupRateOut(RateOut):
    key: str = Field(description='The tier or fit band; "" for none')
    label: str


class KindRateOut(Schema):
    kind: ActivityType
    label: str
    overall: RateOut
    by_tier: list[GroupRateOut]
    by_band: list[GroupRateOut]


class WhatWorksOut(Schema):
    kinds: list[KindRateOut]


# --- operations -------------------------------------------------------------------------


def _rate(rate: selectors.Rate | None) -> dict[str, Any]:
    rate = rate or selectors.Rate()
    return {"worked": rate.worked, "settled": rate.settled, "rate": rate.rate}


@router.get(
    "",
    response=responses(200, list[ActivityOut], 404, 422),
    summary="Activities of your partnerships, newest first",
    description="In every partnership of your organization (as host and as partner): the "
    "shared activities and your side's private ones, each with both sides' outcomes. "
    "Filter by `partnership` (404 if it is not one of yours), `kind`, `since`, `until`.",
)
@paginate(LimitOffset)
def activity_list(request: HttpRequest, filters: Query[ActivityListFilters]) -> QuerySet[Activity]:
    actor = _actor(request)
    partnership = _partnership(actor, filters.partnership)[0] if filters.partnership else None
    return selectors.activities_of(
        actor=actor,
        filters=selectors.ActivityFilters(
            partnership=partnership,
            kind=filters.kind or "",
            since=filters.since,
            until=filters.until,
        ),
    )


@router.get(
    "/what-works",
    response=responses(200, WhatWorksOut),
    summary="What works across the partnerships you host",
    description="Per kind of activity, the share of recorded views (each side's, pending "
    "left out) that say it worked: overall, by tier and by fit band. Counts what the host "
    "may see; an organization that hosts no partnership gets zeros.",
)
def what_works(request: HttpRequest) -> dict[str, Any]:
    report = selectors.what_works(actor=_actor(request))
    return {
        "kinds": [
            {
                "kind": kind,
                "label": label,
                "overall": _rate(report.overall.get(kind)),
                "by_tier": [
                    {"key": tier, "label": tier_label, **_rate(report.by_tier.get((kind, tier)))}
                    for tier, tier_label in report.tiers
                ],
                "by_band": [
                    {"key": band, "label": band_label, **_rate(report.by_band.get((kind, band)))}
                    for band, band_label in report.bands
                ],
            }
            for kind, label in report.kinds
        ]
    }


@router.post(
    "/partnerships/{code}",
    response=responses(201, ActivityDetailOut, 403, 404, 422),
    summary="Log an activity",
    description="Owners, admins, managers and members of either side. Shared with both "
    "sides unless `visibility` is `private`.",
)
def activity_log(request: HttpRequest, code: str, payload: ActivityIn) -> Status:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    activity = services.activity_log(actor=actor, partnership=partnership, **payload.dict())
    return Status(201, selectors.activity_of(actor=actor, code=activity.code)[0])


@router.get(
    "/{activity}",
    response=responses(200, ActivityDetailOut, 404),
    summary="Get an activity",
    description="With both sides' outcomes and the comments. The other side's private "
    "activity answers 404.",
)
def activity_get(request: HttpRequest, activity: str) -> Activity:
    return selectors.activity_of(actor=_actor(request), code=activity)[0]


@router.patch(
    "/{activity}",
    response=responses(200, ActivityDetailOut, 403, 404, 409, 422),
    summary="Edit an activity",
    description="Writers of the side that logged it (the other side comments instead: "
    "403). Send the `version` you read and the fields to change; a null field is left as "
    "it is. If someone saved in between, nothing is written: 409 with the current version.",
)
def activity_update(request: HttpRequest, activity: str, payload: ActivityEditIn) -> Any:
    actor = _actor(request)
    found, side = selectors.activity_of(actor=actor, code=activity)
    if found.side != side:
        raise PermissionDenied("Only the side that logged an activity edits it; comment instead.")
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    version = fields.pop("version")
    try:
        services.activity_edit(actor=actor, activity=found, version=version, **fields)
    except ConcurrentEdit as exc:
        return stale_edit(exc, current_version(found))
    return Status(200, selectors.activity_of(actor=actor, code=activity)[0])


@router.put(
    "/{activity}/outcome",
    response=responses(200, OutcomeOut, 403, 404, 409, 422),
    summary="Record your side's outcome",
    description="Writers of either side say what the activity gave for their side: "
    "`result` with optional notes and figures. The other side's view is kept apart. "
    "Replaces your side's view; with `version`, a view changed since answers 409.",
)
def outcome_record(request: HttpRequest, activity: str, payload: OutcomeIn) -> Any:
    actor = _actor(request)
    found, side = selectors.activity_of(actor=actor, code=activity)
    try:
        outcome = services.outcome_record(actor=actor, activity=found, **payload.dict())
    except ConcurrentEdit as exc:
        current = (
            Outcome.objects.filter(activity=found, side=side)
            .values_list("version", flat=True)
            .first()
        )
        return stale_edit(exc, current)
    return Status(200, outcome)


@router.post(
    "/{activity}/comments",
    response=responses(201, CommentOut, 403, 404, 422),
    summary="Comment on an activity",
    description="Writers of either side; seen by whoever sees the activity.",
)
def comment_add(request: HttpRequest, activity: str, payload: CommentIn) -> Status:
    actor = _actor(request)
    found, _side = selectors.activity_of(actor=actor, code=activity)
    comment = services.comment_add(actor=actor, activity=found, body=payload.body)
    return Status(201, comment)
