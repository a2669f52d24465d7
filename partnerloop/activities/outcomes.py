"""Activities as evidence for the outcome score of the IPP test (fit/outcomes.py).

Value per partnership: the mean of the settled views of its activities — worked 1, mixed
0.5, didn't 0 — each side's view counted once; pending views and partnerships without a
settled view say nothing. Only what the host may see counts (shared activities and the
host's private ones), since the IPP test is the host's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, Q

from partnerloop.activities.models import Outcome, Result
from partnerloop.fit.outcomes import PartnershipFacts, partnership_filter
from partnerloop.partnerships.models import Side, Visibility

RESULT_VALUE = {Result.WORKED: 1.0, Result.MIXED: 0.5, Result.DIDNT: 0.0}


class ActivitySignal:
    name = "activities"
    weight = 0.5

    def values(
        self, partnerships: Sequence[PartnershipFacts], *, now: datetime
    ) -> dict[int, float]:
        wanted = {p.id for p in partnerships}
        filters = {
            f"activity__{key}": value for key, value in partnership_filter(partnerships).items()
        }
        # Counted per partnership in SQL: hundreds of thousands of views become one row
        # per partnership. worked 1 + mixed 0.5 over the settled count is the mean.
        rows = (
            Outcome.objects.filter(**filters, result__in=list(RESULT_VALUE))
            .filter(
                Q(activity__visibility=Visibility.SHARED) | Q(activity__side=Side.HOST),
                activity__happened_on__lte=now.date(),
            )
            .values_list("activity__partnership_id")
            .annotate(
                settled=Count("id"),
                worked=Count("id", filter=Q(result=Result.WORKED)),
                mixed=Count("id", filter=Q(result=Result.MIXED)),
            )
            .order_by()
        )
        return {
            pid: round((worked + RESULT_VALUE[Result.MIXED] * mixed) / settled, 4)
            for pid, settled, worked, mixed in rows
            if pid in wanted
        }
