"""Reads of the fit domain, each scoped by the acting organization and side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from partnerloop.core.tenancy import Actor
from partnerloop.fit import scoring
from partnerloop.fit.models import (
    Criterion,
    Direction,
    Evaluation,
    EvaluationStatus,
    FitSnapshot,
    GapAction,
    IppVersion,
    PartnershipFit,
    VersionStatus,
)
from partnerloop.fit.services import criterion_specs, latest_submitted
from partnerloop.partnerships.models import Partnership, Side, Visibility


def versions_for(*, actor: Actor) -> QuerySet[IppVersion]:
    return IppVersion.objects.filter(host=actor.organization)


def version_for(*, actor: Actor, code: str) -> IppVersion:
    version = versions_for(actor=actor).filter(code=code).first()
    if version is None:
        raise Http404("No such version.")
    return version


def active_version(*, host_id: int) -> IppVersion | None:
    return IppVersion.objects.filter(host_id=host_id, status=VersionStatus.ACTIVE).first()


def criterion_for(*, version: IppVersion, pk: int) -> Criterion:
    criterion = version.criteria.filter(pk=pk).first()
    if criterion is None:
        raise Http404("No such criterion.")
    return criterion


@dataclass
class CriterionChange:
    key: str
    change: str  # "added", "removed", "changed"
    before: Criterion | None
    after: Criterion | None
    fields: list[str] = field(default_factory=list)


COMPARED_FIELDS = [
    "question",
    "help_text",
    "direction",
    "dimension",
    "answer_kind",
    "options",
    "weight",
    "knock_out",
    "improvement_step",
]


def version_diff(*, before: IppVersion, after: IppVersion) -> list[CriterionChange]:
    """What changed from one version to another, criterion by criterion (by key)."""
    old = {c.key: c for c in before.criteria.all()}
    new = {c.key: c for c in after.criteria.all()}
    changes: list[CriterionChange] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None:
            changes.append(CriterionChange(key=key, change="added", before=None, after=b))
        elif b is None:
            changes.append(CriterionChange(key=key, change="removed", before=a, after=None))
        else:
            differing = [f for f in COMPARED_FIELDS if getattr(a, f) != getattr(b, f)]
            if differing:
                changes.append(
                    CriterionChange(key=key, change="changed", before=a, after=b, fields=differing)
                )
    return changes


def own_draft(*, partnership: Partnership, side: str) -> Evaluation | None:
    return (
        Evaluation.objects.filter(partnership=partnership, side=side, status=EvaluationStatus.DRAFT)
        .select_related("version")
        .first()
    )


def own_latest(*, partnership: Partnership, side: str) -> Evaluation | None:
    """This side's newest evaluation, draft or submitted: what its checklist starts from."""
    return (
        Evaluation.objects.filter(partnership=partnership, side=side)
        .order_by("-created_at", "-id")
        .first()
    )


def evaluation_for(*, partnership: Partnership, side: str, code: str) -> Evaluation:
    """One of this side's own evaluations (never the other side's)."""
    evaluation = (
        Evaluation.objects.filter(partnership=partnership, side=side, code=code)
        .select_related("version")
        .first()
    )
    if evaluation is None:
        raise Http404("No such evaluation.")
    return evaluation


@dataclass
class AnsweredCriterion:
    criterion: scoring.CriterionSpec
    value: Any
    evidence: str
    points: float | None  # None: to answer


@dataclass
class FitOverview:
    """What one side may see of the fit of a partnership."""

    version: IppVersion | None
    side: str
    current: PartnershipFit | None
    show_ours: bool
    show_theirs: bool
    why_they_fit_us: list[AnsweredCriterion] = field(default_factory=list)
    why_we_fit_them: list[AnsweredCriterion] = field(default_factory=list)
    other_dimensions: list[tuple[str, str]] = field(default_factory=list)  # (side, text)
    red_flags: list[AnsweredCriterion] = field(default_factory=list)
    trend: list[FitSnapshot] = field(default_factory=list)
    host_evaluation: Evaluation | None = None
    partner_evaluation: Evaluation | None = None
    draft: Evaluation | None = None


def _answered(
    specs: list[scoring.CriterionSpec], direction: str, evaluation: Evaluation | None
) -> list[AnsweredCriterion]:
    answers = evaluation.answers if evaluation else {}
    points = scoring.usable_answers([s for s in specs if s.direction == direction], answers)
    return [
        AnsweredCriterion(
            criterion=s,
            value=answers.get(s.key, {}).get("value") if s.key in points else None,
            evidence=answers.get(s.key, {}).get("evidence", "") if s.key in points else "",
            points=points.get(s.key),
        )
        for s in specs
        if s.direction == direction
    ]


TREND_POINTS = 24


def _theirs_moves(snapshots: list[FitSnapshot]) -> list[FitSnapshot]:
    """The points where the partner's own score moved. Without the host's share, a point
    for each private host submission would tell the partner when the host evaluated it."""
    moves: list[FitSnapshot] = []
    last: float | None = None
    for snapshot in snapshots:
        if snapshot.theirs is not None and snapshot.theirs != last:
            moves.append(snapshot)
        last = snapshot.theirs
    return moves


def fit_overview(*, partnership: Partnership, side: str) -> FitOverview:
    """The overview the checklist promises: why they fit us, why we fit them, other
    dimensions and red flags — limited to what `side` may see.

    The host's *ours* evaluation reaches the partner only when the host shared it; the
    partner's *theirs* answers reach the host only once submitted.
    """
    version = active_version(host_id=partnership.host_id)
    latest = latest_submitted([partnership.pk])
    host_eval = latest.get((partnership.pk, Side.HOST))
    partner_eval = latest.get((partnership.pk, Side.PARTNER))
    show_ours = side == Side.HOST or bool(host_eval and host_eval.shared)
    show_theirs = True  # the partner's own answers, or submitted ones for the host
    current = PartnershipFit.objects.filter(partnership=partnership).first()
    overview = FitOverview(
        version=version,
        side=side,
        current=current,
        show_ours=show_ours,
        show_theirs=show_theirs,
        host_evaluation=host_eval if show_ours else None,
        partner_evaluation=partner_eval,
        draft=own_draft(partnership=partnership, side=side),
    )
    trend = FitSnapshot.objects.filter(partnership=partnership).order_by("-created_at", "-id")
    overview.trend = list(reversed(trend[:TREND_POINTS]))
    if not show_ours:
        overview.trend = _theirs_moves(overview.trend)
    if version is None:
        return overview
    specs = criterion_specs(version)
    if show_ours:
        overview.why_they_fit_us = _answered(specs, Direction.OURS, host_eval)
        if host_eval and host_eval.other_dimensions:
            overview.other_dimensions.append((Side.HOST, host_eval.other_dimensions))
    overview.why_we_fit_them = _answered(specs, Direction.THEIRS, partner_eval)
    if partner_eval and partner_eval.other_dimensions:
        overview.other_dimensions.append((Side.PARTNER, partner_eval.other_dimensions))
    overview.red_flags = [
        a
        for a in overview.why_they_fit_us + overview.why_we_fit_them
        if a.criterion.knock_out and a.points == 0.0
    ]
    return overview


@dataclass
class Gap:
    criterion: scoring.CriterionSpec
    points: float | None
    weighted_gap: float  # weight × (1 − points): what closing it could add
    suggested_step: str


def fit_gaps(*, partnership: Partnership) -> list[Gap]:
    """For a low or medium fit, the weighted gaps that can change, biggest first (host)."""
    version = active_version(host_id=partnership.host_id)
    current = PartnershipFit.objects.filter(partnership=partnership).first()
    if version is None or current is None or current.band not in ("low", "medium"):
        return []
    latest = latest_submitted([partnership.pk])
    answers = {
        Direction.OURS: (latest.get((partnership.pk, Side.HOST)) or Evaluation()).answers or {},
        Direction.THEIRS: (latest.get((partnership.pk, Side.PARTNER)) or Evaluation()).answers
        or {},
    }
    gaps = []
    for spec in criterion_specs(version):
        points = scoring.usable_answers([spec], answers[spec.direction]).get(spec.key)
        if points is not None and points >= 1.0:
            continue
        gaps.append(
            Gap(
                criterion=spec,
                points=points,
                weighted_gap=round(spec.weight * (1 - (points or 0.0)), 2),
                suggested_step=spec.improvement_step
                or f"Agree one small step on “{spec.question}”.",
            )
        )
    return sorted(gaps, key=lambda g: (-g.weighted_gap, g.criterion.key))


def gap_actions_for(*, partnership: Partnership, side: str) -> QuerySet[GapAction]:
    """Gap actions are written by the host: private ones stay on the host's side."""
    actions = GapAction.objects.filter(partnership=partnership)
    if side != Side.HOST:
        actions = actions.filter(visibility=Visibility.SHARED)
    return actions


def trend_chart(overview: FitOverview) -> dict[str, Any] | None:
    """A Chart.js line of the fit over time, only with what this side may see."""
    if not overview.trend:
        return None
    show_ours = overview.show_ours
    labels = [s.created_at.date().isoformat() for s in overview.trend]
    datasets = [
        {
            "label": "Why we fit them (theirs)",
            "data": [s.theirs for s in overview.trend],
            "borderColor": "#1565c0",
        }
    ]
    if show_ours:
        datasets += [
            {
                "label": "Why they fit us (ours)",
                "data": [s.ours for s in overview.trend],
                "borderColor": "#6a1b9a",
            },
            {
                "label": "Mutual",
                "data": [s.mutual for s in overview.trend],
                "borderColor": "#2e7d32",
            },
        ]
    return {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "animation": False,
            "spanGaps": True,
            "scales": {"y": {"min": 0, "max": 100}},
        },
    }


def workspace_fit(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """Everything the workspace's fit section shows to `side`."""
    overview = fit_overview(partnership=partnership, side=side)
    is_host = side == Side.HOST
    return {
        "fit": overview,
        "fit_chart": trend_chart(overview),
        "fit_gaps": fit_gaps(partnership=partnership) if is_host else [],
        "fit_actions": list(gap_actions_for(partnership=partnership, side=side)),
    }
