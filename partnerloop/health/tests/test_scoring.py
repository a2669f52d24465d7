"""MAP health scoring on plain values, with hand-computed expectations (docs/health.md)."""

from __future__ import annotations

import pytest

from partnerloop.health import scoring
from partnerloop.health.models import Recommendation
from partnerloop.health.scoring import NextStep, Signals


def steps(*efforts: str) -> list[NextStep]:
    return [
        NextStep(code=f"s{i}", title=f"Step {i} ({e})", effort=e) for i, e in enumerate(efforts)
    ]


def healthy(**changes: object) -> Signals:
    """A partnership doing well on every factor; tests change one thing at a time."""
    base = {
        "age_days": 100,
        "partner_events_30d": 5,
        "days_since_partner_activity": 2,
        "checkin_ratings": [5],
        "has_plan": True,
        "open_steps": 3,
        "next_steps": steps("tiny", "small", "tiny"),
        "next_cadence_days": 10,
        "days_since_touch": 2,
    }
    base.update(changes)
    return Signals(**base)  # type: ignore[arg-type]


def test_motivation_is_the_weighted_mean_of_every_signal() -> None:
    s = Signals(
        age_days=60,
        partner_events_30d=2,  # 2 points
        partner_steps_done_30d=1,  # 2 points -> 4 points -> activity 80
        partner_steps_due_30d=2,
        partner_steps_on_time_30d=1,  # responsiveness 50
        days_since_partner_activity=1,  # ignored: on-time share wins
        checkin_ratings=[5, 3],  # 100 and 50 -> 75
        fit_motivation=40.0,
    )
    assert scoring.motivation_parts(s) == {
        "activity": 80.0,
        "responsiveness": 50.0,
        "checkins": 75.0,
        "fit": 40.0,
    }
    # (35×80 + 25×50 + 20×75 + 20×40) / 100 = 63.5
    assert scoring.motivation_score(s) == 64


def test_results_count_referrals_wins_and_milestones() -> None:
    # 1 referral (1) + 1 won (2) = 3 points -> 75; with activity 0 (30 days old):
    # (35×0 + 20×75) / 55 = 27.3
    s = Signals(age_days=30, results_known=True, referrals_90d=1, referrals_won_90d=1)
    assert scoring.motivation_parts(s) == {"activity": 0.0, "results": 75.0}
    assert scoring.motivation_score(s) == 27
    # Two milestones alone make 4 points: 100. Nothing in 90 days after earlier results: 0.
    assert scoring.motivation_parts(Signals(results_known=True, milestones_90d=2)) == {
        "results": 100.0
    }
    assert scoring.motivation_parts(Signals(results_known=True)) == {"results": 0.0}
    # Two views that an activity worked (2) and a referral registered (1): 75.
    s = Signals(results_known=True, worked_90d=2, referrals_90d=1)
    assert scoring.motivation_parts(s) == {"results": 75.0}
    # Never a referral nor a milestone: no data, nothing said.
    assert "results" not in scoring.motivation_parts(Signals(age_days=30))


def test_motivation_uses_only_signals_with_data() -> None:
    # 30 days old, no activity: activity 0; the partner was last active 20 days ago:
    # responsiveness 100 × (60 − 20) / 53 = 75.47; (35×0 + 25×75.47) / 60 = 31.4.
    s = Signals(age_days=30, days_since_partner_activity=20)
    assert set(scoring.motivation_parts(s)) == {"activity", "responsiveness"}
    assert scoring.motivation_score(s) == 31


def test_motivation_is_unknown_when_no_signal_has_data() -> None:
    s = Signals(age_days=3)
    assert scoring.motivation_parts(s) == {}
    assert scoring.motivation_score(s) == 50
    new = scoring.evaluate(
        healthy(
            age_days=3, partner_events_30d=0, days_since_partner_activity=None, checkin_ratings=[]
        )
    )
    assert new.motivation == 50 and new.weakest == "motivation"
    assert "nothing is known about it yet" in new.diagnosis
    assert new.recommendation == Recommendation.KEEP_GOING
    # Activity counts from day 14 even when there is none.
    assert scoring.motivation_parts(Signals(age_days=14)) == {"activity": 0.0}


def test_activity_is_capped_at_100() -> None:
    s = Signals(age_days=100, partner_events_30d=40)
    assert scoring.motivation_parts(s)["activity"] == 100.0


@pytest.mark.parametrize(
    ("days", "expected"), [(None, 0.0), (0, 100.0), (7, 100.0), (33, 50.94), (60, 0.0), (90, 0.0)]
)
def test_recency(days: int | None, expected: float) -> None:
    assert scoring.recency(days) == pytest.approx(expected, abs=0.01)


def test_ability_from_the_effort_of_the_next_steps_and_overdue_ones() -> None:
    # The next step counts double: (2×8 + 1 + 1) / 4 = 4.5 -> 100 − 35 = 65; 2 overdue: −20.
    s = healthy(next_steps=steps("large", "tiny", "tiny"), overdue_steps=2)
    assert scoring.effort_load(["large", "tiny", "tiny"]) == 4.5
    assert scoring.ability_score(s) == 45
    assert scoring.ability_score(healthy(next_steps=steps("tiny"))) == 100
    assert scoring.ability_score(healthy(next_steps=steps("large"))) == 30
    # Overdue steps cost at most 40 points, and ability never goes below 0.
    assert scoring.ability_score(healthy(next_steps=steps("tiny"), overdue_steps=9)) == 60
    assert scoring.ability_score(healthy(next_steps=steps("large"), overdue_steps=9)) == 0


def test_no_plan_or_no_open_step_means_no_ability_and_add_a_step() -> None:
    for s in (
        healthy(has_plan=False, open_steps=0, next_steps=[]),
        healthy(open_steps=0, next_steps=[]),
    ):
        result = scoring.evaluate(s)
        assert result.ability == 0
        assert result.recommendation == Recommendation.ADD_STEP
    assert "no plan yet" in scoring.evaluate(healthy(has_plan=False, open_steps=0)).diagnosis
    assert "no next step" in scoring.evaluate(healthy(open_steps=0, next_steps=[])).diagnosis


def test_prompt_from_what_is_scheduled_and_the_last_touch() -> None:
    assert scoring.prompt_score(healthy()) == 100
    # Only a proposed event, last touch 30 days ago: 0.6 × 80 + 0.4 × 56.6 = 70.6.
    s = healthy(next_cadence_days=None, next_event_days=5, days_since_touch=30)
    assert scoring.prompt_score(s) == 71
    assert (
        scoring.prompt_score(
            healthy(next_cadence_days=None, next_event_days=5, next_event_confirmed=True)
        )
        == 100
    )
    # Nothing scheduled, touched 2 days ago: 0.4 × 100.
    assert scoring.prompt_score(healthy(next_cadence_days=None)) == 40
    assert scoring.prompt_score(healthy(next_cadence_days=None, days_since_touch=None)) == 0


def test_low_ability_splits_the_hardest_next_step_by_name() -> None:
    s = healthy(
        next_steps=[
            NextStep("a1", "Intro call", "small"),
            NextStep("b2", "First co-marketing campaign", "large"),
            NextStep("c3", "Send logo", "tiny"),
        ],
        overdue_steps=3,
    )
    # (2×2 + 8 + 1) / 4 = 3.25 -> 77.5 − 30 = 47.5 -> 48 (round half to even)
    result = scoring.evaluate(s)
    assert result.ability == 48
    assert result.overall == 48 and result.weakest == "ability"
    assert result.recommendation == Recommendation.SPLIT_STEP
    assert result.recommendation_text.startswith("Make “First co-marketing campaign” tinier")
    assert result.step_code == "b2"
    assert result.diagnosis.startswith("Ability is the weakest factor (48")
    assert "3 open steps overdue" in result.diagnosis


def test_no_prompt_schedules_a_check_in() -> None:
    result = scoring.evaluate(healthy(next_cadence_days=None, days_since_touch=40))
    # 0.4 × 100 × 20/53 = 15.1
    assert result.prompt == 15 and result.weakest == "prompt"
    assert result.recommendation == Recommendation.SCHEDULE_CHECKIN
    assert "nothing is scheduled" in result.diagnosis


def test_low_motivation_asks_the_partner_or_revisits_fit() -> None:
    quiet = healthy(partner_events_30d=0, days_since_partner_activity=50, checkin_ratings=[2])
    result = scoring.evaluate(quiet)
    assert result.weakest == "motivation" and result.motivation < 50
    assert result.recommendation == Recommendation.ASK_PARTNER
    result = scoring.evaluate(healthy(**{**quiet.__dict__, "fit_motivation": 25.0}))
    assert result.recommendation == Recommendation.REVISIT_FIT
    assert "motivation criteria of fit score low" in result.diagnosis
    # High fit motivation: ask, do not revisit.
    result = scoring.evaluate(healthy(**{**quiet.__dict__, "fit_motivation": 90.0}))
    assert result.recommendation == Recommendation.ASK_PARTNER


def test_otherwise_keep_going_with_the_next_step() -> None:
    result = scoring.evaluate(healthy())
    assert result.overall == min(result.motivation, result.ability, result.prompt) >= 70
    assert result.recommendation == Recommendation.KEEP_GOING
    assert result.recommendation_text == "Keep going: do “Step 0 (tiny)” next."
    assert result.diagnosis.startswith("All three factors are in good shape")


def test_ties_go_to_ability_then_prompt() -> None:
    assert scoring.weakest({"motivation": 30, "ability": 30, "prompt": 30}) == "ability"
    assert scoring.weakest({"motivation": 30, "ability": 60, "prompt": 30}) == "prompt"
    assert scoring.weakest({"motivation": 29, "ability": 60, "prompt": 30}) == "motivation"
