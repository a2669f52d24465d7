"""The realised outcome of a partnership, 0–1, behind one interface that later work extends.

An `OutcomeSignal` looks at many partnerships at once (a few queries, never one per
partnership; `partnership_filter` selects their rows) and returns a value in [0, 1] for
those it knows something about, with a weight. The outcome score is the weighted mean of
the signals that spoke. Today there is one signal, from the stage history; milestones,
activities that worked and referral revenue add their own signals by appending to
`SIGNALS`.

Stage signal: the furthest stage a partnership reached is worth
prospect 0, evaluating 0.2, onboarding 0.4, active 0.7, strategic 1.0. Ending costs a
third of that (an ended partnership that never got active scores 0), and staying 180 days
or more in prospect, evaluating or onboarding costs 0.1 (stalled).
A partnership counts as *successful* when its outcome is at least 0.6.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.utils import timezone

from partnerloop.partnerships.models import Partnership, Stage, StageChange

SUCCESS_THRESHOLD = 0.6
STALL_DAYS = 180

STAGE_VALUE = {
    Stage.PROSPECT: 0.0,
    Stage.EVALUATING: 0.2,
    Stage.ONBOARDING: 0.4,
    Stage.ACTIVE: 0.7,
    Stage.STRATEGIC: 1.0,
}
EARLY_STAGES = {Stage.PROSPECT, Stage.EVALUATING, Stage.ONBOARDING}


@dataclass(frozen=True)
class PartnershipFacts:
    """What signals may read about a partnership without another query."""

    id: int
    stage: str
    stage_changed_at: datetime
    created_at: datetime
    host_id: int | None = None


# Above this many partnerships a signal reads its hosts' rows rather than an IN list of ids.
MANY = 1000


def partnership_filter(partnerships: Sequence[PartnershipFacts]) -> dict[str, Any]:
    """Filter keyword for rows that belong to these partnerships (`partnership__…`), cheap
    for thousands: past MANY, every partnership of their hosts (the caller skips the rest)."""
    hosts = {p.host_id for p in partnerships}
    if len(partnerships) > MANY and None not in hosts:
        return {"partnership__host_id__in": sorted(hosts)}
    return {"partnership_id__in": [p.id for p in partnerships]}


class OutcomeSignal(Protocol):
    name: str
    weight: float

    def values(
        self, partnerships: Sequence[PartnershipFacts], *, now: datetime
    ) -> dict[int, float]: ...


class StageSignal:
    name = "stage"
    weight = 1.0

    def values(
        self, partnerships: Sequence[PartnershipFacts], *, now: datetime
    ) -> dict[int, float]:
        reached: dict[int, float] = {p.id: 0.0 for p in partnerships}
        # Every stage ever entered counts, so a partnership that ended keeps its history.
        for partnership_id, to_stage in StageChange.objects.filter(
            **partnership_filter(partnerships)
        ).values_list("partnership_id", "to_stage"):
            value = STAGE_VALUE.get(to_stage, 0.0)
            best = reached.get(partnership_id)  # None: another partnership of the host
            if best is not None and value > best:
                reached[partnership_id] = value
        result: dict[int, float] = {}
        for p in partnerships:
            value = max(reached[p.id], STAGE_VALUE.get(p.stage, 0.0))
            if p.stage == Stage.ENDED:
                value = value * 2 / 3 if value >= STAGE_VALUE[Stage.ACTIVE] else 0.0
            elif p.stage in EARLY_STAGES and now - p.stage_changed_at >= timedelta(days=STALL_DAYS):
                value = max(0.0, value - 0.1)
            result[p.id] = round(value, 4)
        return result


SIGNALS: list[OutcomeSignal] = [StageSignal()]


def outcome_scores(
    partnerships: Iterable[Partnership], *, now: datetime | None = None
) -> dict[int, float]:
    """Outcome in [0, 1] per partnership id, from every signal that knows it."""
    facts = [
        PartnershipFacts(
            id=p.pk,
            stage=p.stage,
            stage_changed_at=p.stage_changed_at,
            created_at=p.created_at,
            host_id=p.host_id,
        )
        for p in partnerships
    ]
    return outcome_scores_of(facts, now=now)


def outcome_scores_of(
    facts: Sequence[PartnershipFacts], *, now: datetime | None = None
) -> dict[int, float]:
    """outcome_scores for plain facts (what the IPP test reads without model instances)."""
    now = now or timezone.now()
    totals: dict[int, float] = {}
    weights: dict[int, float] = {}
    for signal in SIGNALS:
        for pid, value in signal.values(facts, now=now).items():
            totals[pid] = totals.get(pid, 0.0) + signal.weight * value
            weights[pid] = weights.get(pid, 0.0) + signal.weight
    return {pid: round(totals[pid] / weights[pid], 4) for pid in totals if weights[pid]}


def is_success(outcome: float) -> bool:
    return outcome >= SUCCESS_THRESHOLD
