"""The IPP test: do this version's fit scores agree with what actually happened?

For any version (a draft included) every partnership of the host is scored against it
from its latest submitted checklists, and set beside its outcome score
(`partnerloop.fit.outcomes`). The report gives, for all partnerships and separately for
recent and older ones ("this worked three months ago, does it still work now?"):

- the Spearman rank correlation between fit score and outcome (ties get average ranks);
- how well the high band separates success: the success rate inside the high band, outside
  it, and the difference between the two (separation);
- precision (share of high-band partnerships that succeeded) and recall (share of the
  successful ones that the high band found);

and, per criterion, its lift: the success rate of partnerships with a strong answer
(points ≥ 0.5) divided by the success rate of all partnerships that answered it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from partnerloop.core.tenancy import Actor
from partnerloop.fit import scoring
from partnerloop.fit.models import IppVersion
from partnerloop.fit.outcomes import PartnershipFacts, is_success, outcome_scores_of
from partnerloop.fit.services import criterion_specs, gc_paused, latest_answers_of_host
from partnerloop.partnerships.models import Partnership, Side

RECENT_DAYS = 180


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        for index in order[start : end + 1]:
            ranks[index] = mean_rank
        start = end + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho, or None when it is undefined (fewer than 3 points, or no spread)."""
    if len(xs) < 3:
        return None
    try:
        return round(statistics.correlation(average_ranks(xs), average_ranks(ys)), 4)
    except statistics.StatisticsError:
        return None


@dataclass
class ScoredPartnership:
    code: str
    name: str
    fit_score: float
    band: str
    outcome: float
    success: bool
    created_at: datetime
    points: dict[str, float]
    ours: float | None = None
    theirs: float | None = None
    mutual: float | None = None


@dataclass
class SplitReport:
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


@dataclass
class CriterionLift:
    key: str
    question: str
    direction: str
    answered: int
    strong: int
    strong_success_rate: float | None
    base_success_rate: float | None
    lift: float | None


@dataclass
class IppTestReport:
    version: IppVersion
    scored: list[ScoredPartnership]
    unscored: int
    splits: list[SplitReport] = field(default_factory=list)
    lifts: list[CriterionLift] = field(default_factory=list)

    @property
    def overall(self) -> SplitReport:
        return self.splits[0]


def _rate(successes: int, count: int) -> float | None:
    return round(successes / count, 4) if count else None


def split_report(label: str, rows: Sequence[ScoredPartnership]) -> SplitReport:
    high = [r for r in rows if r.band == "high"]
    rest = [r for r in rows if r.band != "high"]
    successes = sum(r.success for r in rows)
    high_ok, rest_ok = sum(r.success for r in high), sum(r.success for r in rest)
    high_rate = _rate(high_ok, len(high))
    rest_rate = _rate(rest_ok, len(rest))
    separation = None
    if high and rest:
        # From the counts, not the rounded rates (1/3 − 2/3 is −0.3333, not −0.3334).
        separation = round(high_ok / len(high) - rest_ok / len(rest), 4)
    return SplitReport(
        label=label,
        count=len(rows),
        successes=successes,
        spearman=spearman([r.fit_score for r in rows], [r.outcome for r in rows]),
        high_count=len(high),
        high_success_rate=high_rate,
        rest_success_rate=rest_rate,
        separation=separation,
        precision=high_rate,
        recall=_rate(high_ok, successes),
    )


def criterion_lifts(
    specs: Sequence[scoring.CriterionSpec], rows: Sequence[ScoredPartnership]
) -> list[CriterionLift]:
    # One pass over the partnerships: per key [answered, answered and successful, strong,
    # strong and successful].
    counts: dict[str, list[int]] = {spec.key: [0, 0, 0, 0] for spec in specs}
    for r in rows:
        success = int(r.success)
        for key, points in r.points.items():
            tally = counts.get(key)
            if tally is None:
                continue
            tally[0] += 1
            tally[1] += success
            if points >= 0.5:
                tally[2] += 1
                tally[3] += success
    lifts = []
    for spec in specs:
        answered, answered_ok, strong, strong_ok = counts[spec.key]
        base = _rate(answered_ok, answered)
        lift = None
        if strong and base:
            # From the counts, not the rounded rates.
            lift = round((strong_ok / strong) / (answered_ok / answered), 4)
        lifts.append(
            CriterionLift(
                key=spec.key,
                question=spec.question,
                direction=spec.direction,
                answered=answered,
                strong=strong,
                strong_success_rate=_rate(strong_ok, strong),
                base_success_rate=base,
                lift=lift,
            )
        )
    return lifts


@gc_paused()
def run_ipp_test(
    *,
    actor: Actor,
    version: IppVersion,
    now: datetime | None = None,
    recent_days: int = RECENT_DAYS,
    outcome_cache: dict[int, dict[int, float]] | None = None,
) -> IppTestReport:
    """Score every partnership of the host against `version` and compare with outcomes.

    Outcomes do not depend on the version: a caller testing several versions passes one
    `outcome_cache` dict so they are computed once (the costly part on large hosts)."""
    actor.require_manage()
    if version.host_id != actor.organization.pk:
        raise PermissionDenied
    now = now or timezone.now()
    specs = criterion_specs(version)
    rows = list(
        Partnership.objects.filter(host=version.host).values_list(
            "id", "code", "stage", "stage_changed_at", "created_at", "partner__name"
        )
    )
    facts = [
        PartnershipFacts(
            id=r[0], stage=r[2], stage_changed_at=r[3], created_at=r[4], host_id=version.host_id
        )
        for r in rows
    ]
    if outcome_cache is not None and version.host_id in outcome_cache:
        outcomes = outcome_cache[version.host_id]
    else:
        outcomes = outcome_scores_of(facts, now=now)
        if outcome_cache is not None:
            outcome_cache[version.host_id] = outcomes
    latest = latest_answers_of_host(version.host_id)
    scored: list[ScoredPartnership] = []
    scorer = scoring.FitScorer(specs, band_high=version.band_high, band_medium=version.band_medium)
    for pk, code, _stage, _changed, created_at, partner_name in rows:
        host_eval = latest.get((pk, Side.HOST))
        partner_eval = latest.get((pk, Side.PARTNER))
        if (host_eval is None and partner_eval is None) or pk not in outcomes:
            continue  # no checklist (no fit score) or no outcome
        result = scorer.score(
            ours_answers=host_eval.answers if host_eval else {},
            theirs_answers=partner_eval.answers if partner_eval else {},
        )
        if result.fit_score is None:
            continue
        scored.append(
            ScoredPartnership(
                code=code,
                name=partner_name,
                fit_score=result.fit_score,
                band=result.band,
                outcome=outcomes[pk],
                success=is_success(outcomes[pk]),
                created_at=created_at,
                points={**result.ours.answered, **result.theirs.answered},
                ours=result.ours.score,
                theirs=result.theirs.score,
                mutual=result.mutual,
            )
        )
    cutoff = now - timedelta(days=recent_days)
    report = IppTestReport(version=version, scored=scored, unscored=len(rows) - len(scored))
    report.splits = [
        split_report("All partnerships", scored),
        split_report(
            f"Recent (last {recent_days} days)", [r for r in scored if r.created_at >= cutoff]
        ),
        split_report(
            f"Older (before {recent_days} days)", [r for r in scored if r.created_at < cutoff]
        ),
    ]
    report.lifts = criterion_lifts(specs, scored)
    return report
