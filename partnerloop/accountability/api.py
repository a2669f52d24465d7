"""Accountability in the JSON API, mounted at /api/v1/accountability.

A partnership's commitments (both sides, always shared; a stale `version` answers 409), the
host's responsiveness to that partner and the partner scorecard (both sides read the same
figures), and for the organization's own program the fairness report and "mark handled".
The same selectors and services as the pages.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from partnerloop.accountability import selectors, services
from partnerloop.accountability.figures import ResponseTally
from partnerloop.accountability.models import Commitment
from partnerloop.api.partnerships import LimitOffset, _actor, _partnership
from partnerloop.api.schemas import InputSchema, current_version, responses, stale_edit
from partnerloop.partnerships.selectors import hosted_partnership_for
from partnerloop.partnerships.services import ConcurrentEdit

router = Router(tags=["accountability"])


class CommitmentOut(Schema):
    code: str
    side: str = Field(description="Whose promise: host or partner")
    promised_by: str
    what: str
    due_on: date
    status: str = Field(description="open, kept or missed")
    late: bool = Field(description="Open and past its date")
    closed_at: datetime | None
    closed_side: str = Field(description="The side that closed it, empty while open")
    recorded_side: str
    version: int

    @staticmethod
    def resolve_late(obj: Commitment) -> bool:
        return obj.status == "open" and obj.due_on < timezone.localdate()


class CommitmentIn(InputSchema):
    side: str = Field(description="Whose promise: host or partner")
    what: str
    due_on: date | None = None
    promised_by: str = ""


class CommitmentCloseIn(InputSchema):
    status: str = Field(description="kept, missed, or open to reopen")
    version: int | None = Field(None, description="The `version` you read; 409 if it changed.")


class PeriodQuery(Schema):
    days: int = Field(selectors.DEFAULT_DAYS, description="30, 90 or 365 (other values: 90)")


class TallyOut(Schema):
    requests: int = Field(description="Requests asked in the period")
    answered: int
    median_hours: float | None = Field(description="Median hours to first response")
    p90_hours: float | None = Field(description="90th percentile, nearest rank")
    within_target_share: float | None = Field(
        description="Answered within target ÷ (answered + waiting past target), 0–1"
    )
    waiting: int = Field(description="Waiting now, whenever asked")


class KindResponsivenessOut(TallyOut):
    kind: str
    target_hours: int


class ResponsivenessOut(Schema):
    days: int
    overall: TallyOut
    kinds: list[KindResponsivenessOut]


class ScoreLineOut(Schema):
    key: str
    label: str
    unit: str = Field(description="count, share (0–1) or amount")
    value: float | None
    peer_median: float | None = Field(
        description="Median of the tier's other partners; null when not comparable"
    )


class ScorecardOut(Schema):
    days: int
    first_day: date
    last_day: date
    tier: str
    comparable: bool = Field(description="False when there is no tier or too few partners in it")
    reason: str
    lines: list[ScoreLineOut]


class FairnessPartnershipOut(Schema):
    code: str
    partner_name: str
    tier: str
    band: str
    touches: int
    resources: int
    reviews: int
    response_hours: float | None
    response_target_hours: float | None
    referrals_decided: int
    referrals_accepted: int
    acceptance_rate: float | None


class GroupMedianOut(Schema):
    compared: int = Field(description="Partnerships of the group with this figure")
    median: float | None = Field(description="Null below 3 compared")


class PeerGroupOut(Schema):
    key: str = Field(description="tier:<tier> or band:<fit band>")
    label: str
    size: int
    medians: dict[str, GroupMedianOut]


class HandledOut(Schema):
    note: str
    handled_by: str
    handled_at: datetime


class FlagOut(Schema):
    partnership_code: str
    partner_name: str
    metric: str
    group: str
    group_label: str
    group_size: int
    figure: float
    peer_median: float
    rule: str
    handled: HandledOut | None


class FairnessOut(Schema):
    days: int
    first_day: date
    last_day: date
    partnerships: list[FairnessPartnershipOut]
    groups: list[PeerGroupOut]
    flags: list[FlagOut]


class HandleIn(InputSchema):
    metric: str = Field(description="touches, response, acceptance, resources or reviews")
    group: str = Field(description="tier:<tier> or band:<fit band>, as in the report")
    note: str


class HandledFlagOut(HandledOut):
    partnership_code: str
    metric: str
    group: str


def _tally(t: ResponseTally) -> dict[str, Any]:
    return {
        "requests": t.requests,
        "answered": t.answered,
        "median_hours": t.median_hours,
        "p90_hours": t.p90_hours,
        "within_target_share": t.within_share,
        "waiting": t.waiting,
    }


@router.get(
    "/partnerships/{code}/commitments",
    response=responses(200, list[CommitmentOut], 404, 422),
    summary="A partnership's commitments",
    description="Every promise of both sides (commitments are always shared), open first.",
)
@paginate(LimitOffset)
def commitment_list(request: HttpRequest, code: str) -> QuerySet[Commitment]:
    partnership, _side = _partnership(_actor(request), code)
    return selectors.commitments_for(partnership=partnership)


@router.post(
    "/partnerships/{code}/commitments",
    response=responses(201, CommitmentOut, 403, 404, 422),
    summary="Record a promise",
    description="Writers of either side record a promise of either side: `side` says whose.",
)
def commitment_create(request: HttpRequest, code: str, payload: CommitmentIn) -> Status:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    commitment = services.commitment_add(actor=actor, partnership=partnership, **payload.dict())
    return Status(201, commitment)


@router.post(
    "/partnerships/{code}/commitments/{commitment}/close",
    response=responses(200, CommitmentOut, 403, 404, 409, 422),
    summary="Mark a promise kept or missed, or reopen it",
    description="Writers of either side. With `version`, a promise changed since answers 409 "
    "with the current version and nothing is written.",
)
def commitment_close(
    request: HttpRequest, code: str, commitment: str, payload: CommitmentCloseIn
) -> Any:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    found = selectors.commitment_for(partnership=partnership, code=commitment)
    found.partnership = partnership
    try:
        closed = services.commitment_close(
            actor=actor, commitment=found, status=payload.status, version=payload.version
        )
    except ConcurrentEdit as exc:
        return stale_edit(exc, current_version(found))
    return Status(200, closed)


@router.get(
    "/partnerships/{code}/responsiveness",
    response=responses(200, ResponsivenessOut, 404, 422),
    summary="The host's responsiveness to this partner",
    description="Per kind of request (referral, check_in, comment): hours from the partner's "
    "request to the host's first response over the period, against the host's target. Both "
    "sides read it.",
)
def partnership_responsiveness(
    request: HttpRequest, code: str, period: Query[PeriodQuery]
) -> dict[str, Any]:
    partnership, _side = _partnership(_actor(request), code)
    days = selectors.period_days(period.days)
    figures = selectors.partnership_responsiveness(partnership=partnership, days=days)
    return {
        "days": days,
        "overall": _tally(figures.overall),
        "kinds": [
            {"kind": row.key, "target_hours": row.target, **_tally(row.tally)}
            for row in figures.kinds
        ],
    }


@router.get(
    "/partnerships/{code}/scorecard",
    response=responses(200, ScorecardOut, 404, 422),
    summary="The partner scorecard",
    description="The partnership's own figures over the period against the median of the "
    "host's other working partnerships of the same tier. No name or other partnership's "
    "figure, and no median unless at least 5 other partners of the tier have that figure.",
)
def scorecard(request: HttpRequest, code: str, period: Query[PeriodQuery]) -> dict[str, Any]:
    partnership, _side = _partnership(_actor(request), code)
    card = selectors.scorecard(partnership=partnership, days=selectors.period_days(period.days))
    return {
        "days": card.window.days,
        "first_day": card.window.first_day,
        "last_day": card.window.today,
        "tier": card.tier,
        "comparable": card.comparable,
        "reason": card.reason,
        "lines": [
            {
                "key": line.key,
                "label": line.definition.label,
                "unit": line.definition.unit,
                "value": None if line.value is None else float(line.value),
                "peer_median": line.peer_median,
            }
            for line in card.lines
        ],
    }


@router.get(
    "/fairness",
    response=responses(200, FairnessOut, 422),
    summary="The fairness report of your program",
    description="For the partnerships your organization hosts in a working stage: figures "
    "over the period, peer groups (tier, fit band), and the flags of partnerships treated "
    "notably worse than their peers, handled or open (docs/accountability.md).",
)
def fairness(request: HttpRequest, period: Query[PeriodQuery]) -> dict[str, Any]:
    actor = _actor(request)
    report = selectors.fairness_report(
        host=actor.organization, days=selectors.period_days(period.days)
    )
    return {
        "days": report.window.days,
        "first_day": report.window.first_day,
        "last_day": report.window.today,
        "partnerships": [
            {
                "code": p.code,
                "partner_name": p.name,
                "tier": p.tier,
                "band": p.band,
                "touches": p.touches,
                "resources": p.resources,
                "reviews": p.reviews,
                "response_hours": p.response_hours,
                "response_target_hours": p.response_target,
                "referrals_decided": p.decided,
                "referrals_accepted": p.accepted,
                "acceptance_rate": p.acceptance,
            }
            for p in report.partnerships
        ],
        "groups": [
            {
                "key": g.key,
                "label": g.label,
                "size": g.size,
                "medians": {
                    metric: {"compared": compared, "median": value}
                    for metric, (compared, value) in g.medians.items()
                },
            }
            for g in report.groups
        ],
        "flags": [
            {
                "partnership_code": f.partnership.code,
                "partner_name": f.partnership.name,
                "metric": f.metric,
                "group": f.group,
                "group_label": f.group_label,
                "group_size": f.group_size,
                "figure": f.figure,
                "peer_median": f.peer_median,
                "rule": f.rule,
                "handled": f.handled.__dict__ if f.handled else None,
            }
            for f in report.flags
        ],
    }


@router.post(
    "/fairness/partnerships/{code}/handled",
    response=responses(201, HandledFlagOut, 403, 404, 422),
    summary="Mark a fairness flag handled",
    description="Owners, admins and managers of the host, with a note on what was done. The "
    "flag shows as handled while the handling is younger than the report's window.",
)
def fairness_handle(request: HttpRequest, code: str, payload: HandleIn) -> Status:
    actor = _actor(request)
    partnership = hosted_partnership_for(actor=actor, code=code)
    handled = services.fairness_flag_handle(
        actor=actor,
        partnership=partnership,
        metric=payload.metric,
        group=payload.group,
        note=payload.note,
    )
    return Status(
        201,
        {
            "partnership_code": partnership.code,
            "metric": handled.metric,
            "group": handled.group,
            "note": handled.note,
            "handled_by": actor.user.email,
            "handled_at": handled.handled_at,
        },
    )
