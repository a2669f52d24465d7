"""How MAP health is computed: pure functions from plain signal values to scores.

Behaviour = Motivation × Ability × Prompt. Each factor is scored 0–100 from the signals
below (docs/health.md has the same rules with worked examples):

Motivation — the weighted mean of the signals that have data:

- activity (weight 35): partner-side activity of the last 30 days, in points: each
  timeline event 1, each plan step done 2, each check-in 2; score = min(100, 20 × points)
  (5 points make 100). It has data once the partnership is 14 days old or anything
  happened; before that it is not known yet;
- responsiveness (weight 25): the share of partner-owned steps due in the last 30 days
  that were done on time × 100; without such steps, the days since the partner's last
  activity: 100 up to 7 days, then linearly down to 0 at 60 days; no data if the partner
  never did anything;
- check-ins (weight 20): the latest check-in rating of each side in the last 90 days,
  1..5 → 0..100, averaged;
- fit (weight 20): the motivation criteria of the active IPP version, the points of the
  latest submitted answers of both sides, weighted by the criteria's weights, × 100;
- results (weight 20): what the partnership produced in the last 90 days, in points: each
  view (of either side) that an activity worked 1, each referral the partner registered 1,
  each referral won 2, each milestone reached 2; score = min(100, 25 × points) (4 points
  make 100). It has data once the partnership had a referral, a milestone or such a view.

When no signal has data, motivation is 50: not known yet, neither low nor high.

Ability — 0 without a plan or without an open step (there is nothing to do). Otherwise the
effort of the next 3 open steps (by phase and position), the very next one counting
double: load = weighted mean of their effort points (tiny 1, small 2, medium 4, large 8),
effort score = 100 − 10 × (load − 1) (tiny 100, small 90, medium 70, large 30); each
overdue open step costs 10 points, at most 40; never below 0.

Prompt — 60 % what is scheduled, 40 % the last touch:

- scheduled: 100 for a confirmed review or event in the next 30 days or a cadence
  occurrence in the next 35 days, 80 when only a proposed event is, else 0;
- last touch: days since the latest activity of either side (timeline event, check-in,
  step done; the partnership's creation when nothing happened yet): 100 up to 7 days,
  then linearly down to 0 at 60 days.

Overall — the weakest of the three: behaviour needs all three at once, so a strong
factor never hides a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from partnerloop.health.models import ATTENTION_BELOW, TIE_ORDER, Recommendation
from partnerloop.plans.models import EFFORT_POINTS

MOTIVATION_WEIGHTS = {
    "activity": 35,
    "responsiveness": 25,
    "checkins": 20,
    "fit": 20,
    "results": 20,
}
RESULT_POINTS = {"worked": 1, "referrals": 1, "won": 2, "milestones": 2}
RESULTS_FULL = 4  # points in 90 days that make 100
MOTIVATION_UNKNOWN = 50
ACTIVITY_POINTS = {"events": 1, "steps_done": 2, "checkins": 2}
ACTIVITY_FULL = 5  # points in 30 days that make 100
ACTIVITY_KNOWN_AFTER_DAYS = 14
FRESH_DAYS = 7  # recency: 100 up to this many days
STALE_DAYS = 60  # recency: 0 from this many days
NEXT_STEPS = 3
NEXT_STEP_WEIGHTS = (2, 1, 1)
OVERDUE_COST = 10
OVERDUE_CAP = 40
SCHEDULED_WEIGHT = 0.6
TOUCH_WEIGHT = 0.4
SCHEDULED_CONFIRMED = 100
SCHEDULED_PROPOSED = 80
# Below this a factor is low and the recommendation works on it.
LOW = 50
FACTOR_WORDS = {"motivation": "motivation", "ability": "ability", "prompt": "prompt"}


@dataclass(frozen=True)
class NextStep:
    code: str
    title: str
    effort: str


@dataclass
class Signals:
    """The plain values health is computed from; stored as JSON beside the scores."""

    age_days: int = 0
    # Motivation
    partner_events_30d: int = 0
    partner_steps_done_30d: int = 0
    partner_checkins_30d: int = 0
    partner_steps_due_30d: int = 0
    partner_steps_on_time_30d: int = 0
    days_since_partner_activity: int | None = None
    checkin_ratings: list[int] = field(default_factory=list)
    fit_motivation: float | None = None
    results_known: bool = False
    worked_90d: int = 0
    referrals_90d: int = 0
    referrals_won_90d: int = 0
    milestones_90d: int = 0
    # Ability
    has_plan: bool = False
    open_steps: int = 0
    next_steps: list[NextStep] = field(default_factory=list)
    overdue_steps: int = 0
    # Prompt
    next_event_days: int | None = None
    next_event_confirmed: bool = False
    next_cadence_days: int | None = None
    days_since_touch: int | None = None

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["next_steps"] = [step.__dict__ for step in self.next_steps]
        data["checkin_ratings"] = list(self.checkin_ratings)
        return data


def recency(days: int | None) -> float:
    """100 up to FRESH_DAYS, then linearly down to 0 at STALE_DAYS; 0 for never."""
    if days is None:
        return 0.0
    if days <= FRESH_DAYS:
        return 100.0
    if days >= STALE_DAYS:
        return 0.0
    return 100.0 * (STALE_DAYS - days) / (STALE_DAYS - FRESH_DAYS)


def motivation_parts(s: Signals) -> dict[str, float]:
    """The motivation signals that have data, each 0–100."""
    parts: dict[str, float] = {}
    points = (
        ACTIVITY_POINTS["events"] * s.partner_events_30d
        + ACTIVITY_POINTS["steps_done"] * s.partner_steps_done_30d
        + ACTIVITY_POINTS["checkins"] * s.partner_checkins_30d
    )
    if points or s.age_days >= ACTIVITY_KNOWN_AFTER_DAYS:
        parts["activity"] = min(100.0, 100.0 * points / ACTIVITY_FULL)
    if s.partner_steps_due_30d:
        parts["responsiveness"] = 100.0 * s.partner_steps_on_time_30d / s.partner_steps_due_30d
    elif s.days_since_partner_activity is not None:
        parts["responsiveness"] = recency(s.days_since_partner_activity)
    if s.checkin_ratings:
        ratings = [min(5, max(1, r)) for r in s.checkin_ratings]
        parts["checkins"] = sum((r - 1) * 25.0 for r in ratings) / len(ratings)
    if s.fit_motivation is not None:
        parts["fit"] = min(100.0, max(0.0, s.fit_motivation))
    if s.results_known:
        points = (
            RESULT_POINTS["worked"] * s.worked_90d
            + RESULT_POINTS["referrals"] * s.referrals_90d
            + RESULT_POINTS["won"] * s.referrals_won_90d
            + RESULT_POINTS["milestones"] * s.milestones_90d
        )
        parts["results"] = min(100.0, 100.0 * points / RESULTS_FULL)
    return parts


def motivation_score(s: Signals, parts: dict[str, float] | None = None) -> int:
    parts = motivation_parts(s) if parts is None else parts
    if not parts:
        return MOTIVATION_UNKNOWN
    total = sum(MOTIVATION_WEIGHTS[k] for k in parts)
    return round(sum(MOTIVATION_WEIGHTS[k] * v for k, v in parts.items()) / total)


def effort_load(efforts: Sequence[str]) -> float | None:
    """The weighted mean effort points of the next steps (the first counts double)."""
    efforts = list(efforts)[:NEXT_STEPS]
    if not efforts:
        return None
    weights = NEXT_STEP_WEIGHTS[: len(efforts)]
    points = [EFFORT_POINTS.get(e, EFFORT_POINTS["small"]) for e in efforts]  # type: ignore[call-overload]
    return sum(w * p for w, p in zip(weights, points, strict=True)) / sum(weights)


def ability_score(s: Signals) -> int:
    load = effort_load([step.effort for step in s.next_steps])
    if not s.has_plan or not s.open_steps or load is None:
        return 0
    penalty = min(OVERDUE_CAP, OVERDUE_COST * s.overdue_steps)
    return max(0, round(100 - 10 * (load - 1) - penalty))


def scheduled_score(s: Signals) -> int:
    if s.next_cadence_days is not None or (
        s.next_event_days is not None and s.next_event_confirmed
    ):
        return SCHEDULED_CONFIRMED
    if s.next_event_days is not None:
        return SCHEDULED_PROPOSED
    return 0


def prompt_score(s: Signals) -> int:
    return round(SCHEDULED_WEIGHT * scheduled_score(s) + TOUCH_WEIGHT * recency(s.days_since_touch))


def weakest(scores: Mapping[str, int]) -> str:
    """The weakest factor; ties go ability, then prompt, then motivation."""
    return min(TIE_ORDER, key=lambda name: (scores[name], TIE_ORDER.index(name)))


def step_to_split(next_steps: Sequence[NextStep]) -> NextStep | None:
    """The hardest of the next steps (the earliest of equals), unless all are tiny."""
    hardest: NextStep | None = None
    for step in next_steps:
        if step.effort == "tiny":
            continue
        if hardest is None or EFFORT_POINTS.get(step.effort, 0) > EFFORT_POINTS.get(  # type: ignore[call-overload]
            hardest.effort, 0
        ):
            hardest = step
    return hardest


@dataclass(frozen=True)
class Health:
    motivation: int
    ability: int
    prompt: int
    overall: int
    weakest: str
    diagnosis: str
    recommendation: str
    recommendation_text: str
    # The step the recommendation is about (split), if any.
    step_code: str = ""


def _level(score: int) -> str:
    if score < ATTENTION_BELOW:
        return "low"
    if score < 70:
        return "middling"
    return "good"


def _why(factor: str, s: Signals, parts: dict[str, float]) -> str:
    if factor == "ability":
        if not s.has_plan:
            return "there is no plan yet, so nobody knows the next step"
        if not s.open_steps:
            return "every step of the plan is done or skipped: there is no next step"
        reasons = []
        load = effort_load([step.effort for step in s.next_steps]) or 0
        if load >= EFFORT_POINTS["medium"]:  # type: ignore[index]
            reasons.append("the next steps are big")
        if s.overdue_steps:
            reasons.append(
                f"{s.overdue_steps} open step{'s' if s.overdue_steps > 1 else ''} overdue"
            )
        return " and ".join(reasons) or "the next steps are easy enough"
    if factor == "prompt":
        nothing = scheduled_score(s) == 0
        touch = s.days_since_touch
        if nothing and (touch is None or touch > FRESH_DAYS):
            last = "never" if touch is None else f"{touch} days ago"
            return f"nothing is scheduled in the next weeks and the last touch was {last}"
        if nothing:
            return "nothing is scheduled in the next weeks"
        if touch is not None and touch > FRESH_DAYS:
            return f"the last touch was {touch} days ago"
        return "a check-in or event is coming up"
    if not parts:
        return "nothing is known about it yet"
    reasons = []
    if parts.get("activity", 100) < LOW:
        reasons.append("little partner activity in the last 30 days")
    if parts.get("responsiveness", 100) < LOW:
        reasons.append("the partner's steps are late or the partner has been quiet")
    if parts.get("checkins", 100) < LOW:
        reasons.append("recent check-ins rate it poorly")
    if parts.get("fit", 100) < LOW:
        reasons.append("the motivation criteria of fit score low")
    return "; ".join(reasons) or "the partner is active and engaged"


def evaluate(s: Signals) -> Health:
    """Scores, the diagnosis in plain words and ONE recommended next tiny step."""
    parts = motivation_parts(s)
    scores = {
        "motivation": motivation_score(s, parts),
        "ability": ability_score(s),
        "prompt": prompt_score(s),
    }
    overall = min(scores.values())
    factor = weakest(scores)
    score = scores[factor]
    if score >= 70:
        diagnosis = (
            f"All three factors are in good shape; the weakest is {factor} ({score}): "
            f"{_why(factor, s, parts)}."
        )
    else:
        diagnosis = (
            f"{factor.capitalize()} is the weakest factor ({score}, {_level(score)}): "
            f"{_why(factor, s, parts)}."
        )
    step_code = ""
    if not s.has_plan or not s.open_steps:
        recommendation = Recommendation.ADD_STEP
        text = "Add the next tiny step to the plan, with who does it and by when."
    elif score < LOW and factor == "ability" and (step := step_to_split(s.next_steps)):
        recommendation = Recommendation.SPLIT_STEP
        text = f"Make “{step.title}” tinier: split it into steps that take minutes, not weeks."
        step_code = step.code
    elif score < LOW and factor == "prompt":
        recommendation = Recommendation.SCHEDULE_CHECKIN
        text = "Schedule a check-in with the partner in the next two weeks."
    elif score < LOW and factor == "motivation":
        fit = parts.get("fit")
        if fit is not None and fit < LOW:
            recommendation = Recommendation.REVISIT_FIT
            text = (
                "Revisit fit: the motivation criteria score low too. Update the checklist "
                "and talk about whether this partnership is worth both sides' time."
            )
        else:
            recommendation = Recommendation.ASK_PARTNER
            text = "Ask the partner what would help them most right now, in a short check-in."
    else:
        recommendation = Recommendation.KEEP_GOING
        first = s.next_steps[0].title if s.next_steps else "the next step"
        text = f"Keep going: do “{first}” next."
        if s.next_steps:
            step_code = s.next_steps[0].code
    return Health(
        motivation=scores["motivation"],
        ability=scores["ability"],
        prompt=scores["prompt"],
        overall=overall,
        weakest=factor,
        diagnosis=diagnosis[:300],
        recommendation=recommendation,
        recommendation_text=text[:300],
        step_code=step_code,
    )
