"""Plain figures shared by the accountability reports: medians, the 90th percentile, hours
between two moments, and the tally of response clocks. Pure functions on plain data, so the
reports compute them in Python over the rows of a few grouped queries."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by the nearest-rank method: the smallest value that at least 90%
    of the values do not exceed (of 10 values, the 9th smallest; of 3, the largest)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def hours_between(start: datetime, end: datetime) -> float:
    """Plain clock hours, nights and weekends included."""
    return max((end - start).total_seconds(), 0.0) / 3600


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class ResponseTally:
    """Response clocks of one row of a report (a kind, a partnership or a teammate).

    - `requests`: requests asked in the period; `answered`: those already answered;
    - `hours`: hours to first response of the answered ones (median and p90 read these);
    - `within`: answered within their kind's target;
    - `late_waiting`: asked in the period, not answered, already waiting longer than the
      target (they count against the share within target; those still inside their target
      do not count either way yet);
    - `waiting`: every request waiting now, whenever it was asked.
    """

    requests: int = 0
    answered: int = 0
    within: int = 0
    late_waiting: int = 0
    waiting: int = 0
    hours: list[float] = field(default_factory=list)

    def add(
        self,
        *,
        asked_at: datetime,
        answered_at: datetime | None,
        target_hours: float,
        now: datetime,
        in_period: bool,
    ) -> None:
        if answered_at is None:
            self.waiting += 1
        if not in_period:
            return
        self.requests += 1
        if answered_at is None:
            if hours_between(asked_at, now) > target_hours:
                self.late_waiting += 1
            return
        took = hours_between(asked_at, answered_at)
        self.answered += 1
        self.hours.append(took)
        if took <= target_hours:
            self.within += 1

    @property
    def median_hours(self) -> float | None:
        return rounded(median(self.hours))

    @property
    def p90_hours(self) -> float | None:
        return rounded(p90(self.hours))

    @property
    def within_share(self) -> float | None:
        """Answered within target ÷ (answered + waiting past target)."""
        counted = self.answered + self.late_waiting
        return round(self.within / counted, 4) if counted else None
