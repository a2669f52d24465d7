"""Fit in the JSON API: IPP versions and criteria, evaluations, scores and the IPP test.

Mounted at /api/v1/fit. Every operation goes through the same selectors and services as
the pages: the partner never receives the host's *ours* scores or answers unless shared.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from partnerloop.api.partnerships import LimitOffset, _actor, _partnership
from partnerloop.api.schemas import InputSchema, responses
from partnerloop.core.views import form_errors
from partnerloop.fit import selectors, services
from partnerloop.fit.ipp_test import run_ipp_test
from partnerloop.fit.models import Criterion, IppVersion, PartnershipFit

router = Router(tags=["fit"])


class CriterionOut(Schema):
    key: str
    question: str
    help_text: str
    direction: str
    dimension: str
    answer_kind: str
    options: list[dict[str, Any]]
    weight: int
    knock_out: bool
    improvement_step: str


class VersionOut(Schema):
    code: str
    number: int
    name: str
    status: str
    band_high: int
    band_medium: int
    change_note: str
    created_at: datetime
    activated_at: datetime | None


class VersionDetailOut(VersionOut):
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj: IppVersion) -> list[Criterion]:
        return list(obj.criteria.all())


class ActivateIn(InputSchema):
    change_note: str = Field(description="Why the profile changed; required.")


class BandMoveOut(Schema):
    partnership_code: str
    partner_name: str
    before: str
    after: str
    before_score: float | None
    after_score: float | None
    why: str


class RescoreOut(Schema):
    version_number: int
    scored: int
    moves: list[BandMoveOut]


class ScoreOut(Schema):
    partnership_code: str = Field(alias="partnership.code")
    partner_name: str = Field(alias="partnership.partner.name")
    version: int = Field(alias="version.number")
    ours: float | None
    theirs: float | None
    mutual: float | None
    fit_score: float | None
    band: str
    provisional: bool
    coverage: float
    knocked_out: bool


class ScoreFilters(Schema):
    band: str = Field("", description="high, medium or low")


class AnswerOut(Schema):
    key: str
    question: str
    direction: str
    value: Any = None
    evidence: str = ""
    points: float | None = Field(None, description="0–1; null when it is still to answer")


class FitOut(Schema):
    """What the calling side may see: `ours`, `mutual` and the host's answers are null or
    empty for the partner unless the host shared its evaluation."""

    side: str
    version: int | None
    ours: float | None = None
    theirs: float | None = None
    mutual: float | None = None
    band: str = ""
    provisional: bool = True
    coverage: float | None = None
    knocked_out: bool = False
    why_they_fit_us: list[AnswerOut]
    why_we_fit_them: list[AnswerOut]
    other_dimensions: list[dict[str, str]]
    red_flags: list[str]


class EvaluationOut(Schema):
    code: str | None
    version: int | None
    status: str | None
    revision: int
    answers: dict[str, Any]
    other_dimensions: str


class AnswerIn(InputSchema):
    value: Any = None
    evidence: str = ""


class EvaluationIn(InputSchema):
    answers: dict[str, AnswerIn] = Field(
        default_factory=dict, description="Criterion key → answer; only your side's keys count."
    )
    other_dimensions: str | None = Field(
        None, description="Omit to keep the text you saved before."
    )
    revision: int = Field(description="The `revision` you read; 409 if someone saved since.")
    submit: bool = False


class SplitOut(Schema):
    label: str
    count: int
    successes: int
    spearman: float | None
    high_count: int
    high_success_rate: float | None
    rest_success_rate: float | None
    separation: float | None
    precision: float | None
    recall: float | None


class LiftOut(Schema):
    key: str
    question: str
    direction: str
    answered: int
    strong: int = Field(description="Answers worth half the points or more")
    strong_success_rate: float | None
    base_success_rate: float | None = Field(description="Success rate of all that answered")
    lift: float | None = Field(
        description="strong_success_rate / base_success_rate; above 1 points to success"
    )


class IppTestOut(Schema):
    version: int
    scored: int
    unscored: int
    splits: list[SplitOut]
    lifts: list[LiftOut]


@router.get(
    "/versions",
    response=responses(200, list[VersionOut], 422),
    summary="List IPP versions",
    description="Your organization's Ideal Partner Profile versions, newest first.",
)
@paginate(LimitOffset)
def version_list(request: HttpRequest) -> QuerySet[IppVersion]:
    return selectors.versions_for(actor=_actor(request))


@router.post(
    "/versions",
    response=responses(201, VersionDetailOut, 403),
    summary="Start a draft from the built-in template",
    description="Owners, admins and managers.",
)
def version_create(request: HttpRequest) -> Status:
    return Status(201, services.ipp_create_from_template(actor=_actor(request)))


@router.get(
    "/versions/{version}",
    response=responses(200, VersionDetailOut, 404),
    summary="Get an IPP version with its criteria",
)
def version_get(request: HttpRequest, version: str) -> IppVersion:
    return selectors.version_for(actor=_actor(request), code=version)


@router.post(
    "/versions/{version}/activate",
    response=responses(200, RescoreOut, 403, 404, 422),
    summary="Activate a draft",
    description="Retires the active version and rescores every partnership; the report "
    "lists who moved between fit bands and why.",
)
def version_activate(request: HttpRequest, version: str, payload: ActivateIn) -> Any:
    actor = _actor(request)
    obj = selectors.version_for(actor=actor, code=version)
    return services.ipp_version_activate(actor=actor, version=obj, change_note=payload.change_note)


@router.post(
    "/versions/{version}/rescore",
    response=responses(200, RescoreOut, 403, 404),
    summary="Rescore every partnership against a version",
    description="For the active version the scores are saved; for any other version "
    "nothing changes and the report shows what would move.",
)
def version_rescore(request: HttpRequest, version: str) -> Any:
    actor = _actor(request)
    obj = selectors.version_for(actor=actor, code=version)
    return services.rescore_all(actor=actor, version=obj, reason="Rescored through the API")


@router.get(
    "/versions/{version}/test",
    response=responses(200, IppTestOut, 403, 404),
    summary="Run the IPP test",
    description="Scores every partnership against the version and compares with outcomes: "
    "rank correlation, separation of the high band, lift per criterion, recent vs older.",
)
def version_test(request: HttpRequest, version: str) -> dict[str, Any]:
    actor = _actor(request)
    report = run_ipp_test(actor=actor, version=selectors.version_for(actor=actor, code=version))
    return {
        "version": report.version.number,
        "scored": len(report.scored),
        "unscored": report.unscored,
        "splits": report.splits,
        "lifts": report.lifts,
    }


@router.get(
    "/scores",
    response=responses(200, list[ScoreOut], 422),
    summary="Current fit of your partnerships",
    description="The partnerships your organization hosts, against the active version.",
)
@paginate(LimitOffset)
def score_list(request: HttpRequest, filters: Query[ScoreFilters]) -> QuerySet[PartnershipFit]:
    fits = PartnershipFit.objects.filter(
        partnership__host=_actor(request).organization
    ).select_related("partnership__partner", "version")
    if filters.band:
        fits = fits.filter(band=filters.band)
    return fits.order_by("-fit_score", "partnership__partner__name")


def _answers(answered: list[selectors.AnsweredCriterion]) -> list[dict[str, Any]]:
    return [
        {
            "key": a.criterion.key,
            "question": a.criterion.question,
            "direction": a.criterion.direction,
            "value": a.value,
            "evidence": a.evidence,
            "points": a.points,
        }
        for a in answered
    ]


@router.get(
    "/partnerships/{code}",
    response=responses(200, FitOut, 404),
    summary="The fit of a partnership, as your side may see it",
)
def partnership_fit(request: HttpRequest, code: str) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    overview = selectors.fit_overview(partnership=partnership, side=side)
    current = overview.current
    show_ours = overview.show_ours
    result: dict[str, Any] = {
        "side": side,
        "version": overview.version.number if overview.version else None,
        "why_they_fit_us": _answers(overview.why_they_fit_us),
        "why_we_fit_them": _answers(overview.why_we_fit_them),
        "other_dimensions": [{"side": s, "text": t} for s, t in overview.other_dimensions],
        "red_flags": [a.criterion.key for a in overview.red_flags],
    }
    if current is not None:
        result["theirs"] = current.theirs
        if show_ours:
            result.update(
                ours=current.ours,
                mutual=current.mutual,
                band=current.band,
                provisional=current.provisional,
                coverage=current.coverage,
                knocked_out=current.knocked_out,
            )
    return result


@router.get(
    "/partnerships/{code}/evaluation",
    response=responses(200, EvaluationOut, 404),
    summary="Your side's checklist",
    description="Your open draft, else your latest submitted checklist (what a new draft "
    "starts from), else an empty one (revision 0). Save with the revision of a draft; "
    "after a submission send revision 0 to open a new draft.",
)
def evaluation_get(request: HttpRequest, code: str) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    draft = selectors.own_latest(partnership=partnership, side=side)
    if draft is None:
        return {
            "code": None,
            "version": None,
            "status": None,
            "revision": 0,
            "answers": {},
            "other_dimensions": "",
        }
    return {
        "code": draft.code,
        "version": draft.version.number,
        "status": draft.status,
        "revision": draft.revision if draft.status == "draft" else 0,
        "answers": draft.answers,
        "other_dimensions": draft.other_dimensions,
    }


@router.put(
    "/partnerships/{code}/evaluation",
    response=responses(200, EvaluationOut, 403, 404, 409, 422),
    summary="Save or submit your side's checklist",
    description="Host users answer the *ours* criteria, partner users the *theirs* ones "
    "(keys of the other side are ignored). Invalid answers answer 422 with one entry per "
    "criterion key, at `answers.<key>.value`.",
)
def evaluation_put(request: HttpRequest, code: str, payload: EvaluationIn) -> Any:
    actor = _actor(request)
    partnership, _ = _partnership(actor, code)
    version = selectors.active_version(host_id=partnership.host_id)
    if version is None:
        raise ValidationError("The host has no active Ideal Partner Profile yet.")
    draft = services.evaluation_open(actor=actor, partnership=partnership, version=version)
    expected = payload.revision or draft.revision
    try:
        saved = services.evaluation_save(
            actor=actor,
            partnership=partnership,
            evaluation=draft,
            answers={
                key: services.AnswerInput(value=a.value, evidence=a.evidence)
                for key, a in payload.answers.items()
            },
            other_dimensions=draft.other_dimensions
            if payload.other_dimensions is None
            else payload.other_dimensions,
            expected_revision=expected,
            submit=payload.submit,
        )
    except services.ConcurrentEdit as exc:
        draft.refresh_from_db()
        return Status(409, {"detail": str(exc), "current_version": draft.revision})
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        # One entry per criterion key, where the body has it: answers.<key>.value.
        return Status(
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "payload", "answers", key, "value"],
                        "msg": message,
                        "type": "value_error",
                    }
                    for key, messages in form_errors(exc).items()
                    for message in messages
                ]
            },
        )
    return Status(
        200,
        {
            "code": saved.code,
            "version": version.number,
            "status": saved.status,
            "revision": saved.revision,
            "answers": saved.answers,
            "other_dimensions": saved.other_dimensions,
        },
    )
