"""Referrals as evidence for the outcome score of the IPP test (fit/outcomes.py).

Value per partnership with at least one decided referral: 1.0 once a referral was won,
0.5 when referrals were accepted but none won yet (or they were lost), 0.0 when every
decided referral was declined. Referrals still waiting for a decision say nothing.
Referrals are shared by both sides, so the host sees all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from partnerloop.fit.outcomes import PartnershipFacts, partnership_filter
from partnerloop.referrals.models import Referral, ReferralStage, ReferralStatus

WON, ACCEPTED, DECLINED = 1.0, 0.5, 0.0


class ReferralSignal:
    name = "referrals"
    weight = 0.5

    def values(
        self, partnerships: Sequence[PartnershipFacts], *, now: datetime
    ) -> dict[int, float]:
        wanted = {p.id for p in partnerships}
        best: dict[int, float] = {}
        for partnership_id, status, stage in (
            Referral.objects.filter(
                **partnership_filter(partnerships),
                decided_at__lte=now,
                status__in=[ReferralStatus.ACCEPTED, ReferralStatus.DECLINED],
            )
            .order_by()
            .values_list("partnership_id", "status", "stage")
            .distinct()
        ):
            if partnership_id not in wanted:
                continue
            if status == ReferralStatus.DECLINED:
                value = DECLINED
            elif stage == ReferralStage.WON:
                value = WON
            else:
                value = ACCEPTED
            best[partnership_id] = max(value, best.get(partnership_id, DECLINED))
        return best
