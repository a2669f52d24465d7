"""The IPP test and the outcome score, against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from partnerloop.accounts.models import Organization
from partnerloop.conftest import World
from partnerloop.fit.ipp_test import (
    ScoredPartnership,
    average_ranks,
    criterion_lifts,
    run_ipp_test,
    spearman,
    split_report,
)
from partnerloop.fit.models import Evaluation, EvaluationStatus
from partnerloop.fit.outcomes import outcome_scores
from partnerloop.fit.scoring import CriterionSpec
from partnerloop.fit.tests.test_services import small_version
from partnerloop.partnerships.models import Partnership, StageChange

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_average_ranks_share_ties() -> None:
    assert average_ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]
    assert average_ranks([5, 5, 5]) == [2, 2, 2]


def test_spearman() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == -1
    # ranks x: 1 2 3 4 5, y: 2 1 4 3 5 → d² = 1+1+1+1+0 = 4 → 1 − 6·4/(5·24) = 0.8
    assert spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert spearman([1, 1, 1], [1, 2, 3]) is None  # no spread
    assert spearman([1, 2], [1, 2]) is None  # too few


def row(
    fit: float, band: str, outcome: float, points: dict[str, float] | None = None
) -> ScoredPartnership:
    return ScoredPartnership(
        code="x",
        name="x",
        fit_score=fit,
        band=band,
        outcome=outcome,
        success=outcome >= 0.6,
        created_at=NOW,
        points=points or {},
    )


def test_split_report_by_hand() -> None:
    rows = [
        row(90, "high", 1.0),  # success
        row(80, "high", 0.7),  # success
        row(75, "high", 0.2),
        row(50, "medium", 0.7),  # success
        row(45, "medium", 0.0),
        row(10, "low", 0.0),
    ]
    report = split_report("All", rows)
    assert (report.count, report.successes, report.high_count) == (6, 3, 3)
    assert report.high_success_rate == pytest.approx(2 / 3, abs=1e-4)
    assert report.rest_success_rate == pytest.approx(1 / 3, abs=1e-4)
    assert report.separation == pytest.approx(1 / 3, abs=1e-3)
    assert report.recall == pytest.approx(2 / 3, abs=1e-4)


def test_criterion_lift_by_hand() -> None:
    spec = CriterionSpec(key="k", direction="ours", answer_kind="yes_no", weight=1, question="k?")
    rows = [
        row(90, "high", 1.0, {"k": 1.0}),
        row(80, "high", 0.7, {"k": 1.0}),
        row(50, "medium", 0.0, {"k": 0.0}),
        row(40, "medium", 0.0, {"k": 0.0}),
        row(10, "low", 0.0),  # did not answer k
    ]
    (lift,) = criterion_lifts([spec], rows)
    # Strong answers: 2 of 2 succeeded; all that answered: 2 of 4 → lift 1.0 / 0.5 = 2.
    assert (lift.answered, lift.strong, lift.lift) == (4, 2, 2.0)


@time_machine.travel(NOW, tick=False)
def test_outcome_scores_from_stage_history(world: World) -> None:
    def make(name: str, stages: list[str], now_stage: str, stage_age_days: int = 1) -> Partnership:
        org = Organization.objects.create(name=name, domain=f"{name}.com")
        p = Partnership.objects.create(host=world.host, partner=org, stage=now_stage)
        for stage in stages:
            StageChange.objects.create(partnership=p, to_stage=stage, reason="r")
        Partnership.objects.filter(pk=p.pk).update(
            stage_changed_at=NOW - timedelta(days=stage_age_days)
        )
        p.refresh_from_db()
        return p

    strategic = make("s", ["prospect", "active", "strategic"], "strategic")
    ended_late = make("el", ["prospect", "active", "ended"], "ended")
    ended_early = make("ee", ["prospect", "evaluating", "ended"], "ended")
    stalled = make("st", ["prospect", "onboarding"], "onboarding", stage_age_days=200)
    fresh = make("fr", ["prospect", "onboarding"], "onboarding", stage_age_days=10)
    scores = outcome_scores([strategic, ended_late, ended_early, stalled, fresh], now=NOW)
    assert scores[strategic.pk] == 1.0
    assert scores[ended_late.pk] == pytest.approx(0.7 * 2 / 3, abs=1e-4)
    assert scores[ended_early.pk] == 0
    assert scores[stalled.pk] == pytest.approx(0.3)
    assert scores[fresh.pk] == pytest.approx(0.4)


@time_machine.travel(NOW, tick=False)
def test_run_ipp_test_end_to_end_with_recent_and_older(world: World) -> None:
    version = small_version(world)
    signature = {c.key: c.signature() for c in version.criteria.all()}
    cases = [
        ("good", "yes", 5, "strategic", 30),
        ("ok", "yes", 1, "active", 400),
        ("bad", "no", 1, "prospect", 30),
    ]
    for name, sponsor, offer, stage, age in cases:
        org = Organization.objects.create(name=name, domain=f"{name}.com")
        p = Partnership.objects.create(host=world.host, partner=org, stage=stage)
        StageChange.objects.create(partnership=p, to_stage=stage, reason="r")
        Partnership.objects.filter(pk=p.pk).update(created_at=NOW - timedelta(days=age))
        Evaluation.objects.create(
            partnership=p,
            version=version,
            side="host",
            status=EvaluationStatus.SUBMITTED,
            submitted_at=NOW,
            answers={
                "sponsor": {"value": sponsor, "signature": signature["sponsor"]},
                "offer": {"value": offer, "signature": signature["offer"]},
            },
        )
    report = run_ipp_test(actor=world.actor("host_owner"), version=version, now=NOW)
    scores = {r.name: (r.fit_score, r.band, r.success) for r in report.scored}
    # good: 100 × (3 + 1) / 4 = 100; ok: 100 × 3 / 4 = 75; bad: sponsor "no" (knock-out) → 0.
    assert scores == {
        "good": (100, "high", True),
        "ok": (75, "high", True),
        "bad": (0, "low", False),
    }
    assert report.unscored == 2  # the world's own two partnerships have no checklist
    overall, recent, older = report.splits
    assert overall.spearman == 1.0 and overall.separation == 1.0
    assert (recent.count, older.count) == (2, 1)
    sponsor = next(lift for lift in report.lifts if lift.key == "sponsor")
    assert sponsor.lift == pytest.approx(1.5)  # strong: 2/2 succeed; all: 2/3
    with pytest.raises(PermissionDenied):
        run_ipp_test(actor=world.actor("host_member"), version=version)
