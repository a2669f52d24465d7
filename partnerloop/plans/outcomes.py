"""Milestones as evidence for the outcome score of the IPP test (fit/outcomes.py).

Value per partnership with a milestone reached: the furthest milestone of the ladder below
(a milestone the host defined itself counts 0.4). Milestones are shared by both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from partnerloop.fit.outcomes import PartnershipFacts, partnership_filter
from partnerloop.plans.models import Milestone

MILESTONE_VALUE = {
    "agreement_accepted": 0.2,
    "first_campaign": 0.5,
    "first_customer_feedback": 0.6,
    "first_referral": 0.7,
    "first_revenue": 1.0,
}
OTHER_MILESTONE = 0.4


class MilestoneSignal:
    name = "milestones"
    weight = 0.5

    def values(
        self, partnerships: Sequence[PartnershipFacts], *, now: datetime
    ) -> dict[int, float]:
        wanted = {p.id for p in partnerships}
        best: dict[int, float] = {}
        for partnership_id, key in (
            Milestone.objects.filter(**partnership_filter(partnerships), reached_on__lte=now.date())
            .order_by()
            .values_list("partnership_id", "key")
        ):
            if partnership_id in wanted:
                value = MILESTONE_VALUE.get(key, OTHER_MILESTONE)
                best[partnership_id] = max(value, best.get(partnership_id, 0.0))
        return best
