"""The fairness rules: which partnerships are treated notably worse than their peers.

Pure functions on the figures of each partnership (`PartnerFigures`, read by
`selectors.fairness_report` in a fixed number of grouped queries). A peer group is the
host's working partnerships of one tier, or of one fit band; a partnership belongs to both
of its groups. A metric is compared within a group only when at least `MIN_GROUP`
partnerships of the group have a figure for it; the peer median is the median of the
group (the partnership itself included). The rules (docs/accountability.md):

| metric | flagged when |
|---|---|
| touches | fewer than half the median, when the median is at least 2 |
| resources and leads shared | fewer than half the median, when the median is at least 2 |
| reviews held | fewer than half the median, when the median is at least 1 |
| median response time | more than twice the median, and above the partnership's target |
| referral acceptance | 25 points or more below the median, with at least 3 decided |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from partnerloop.accountability.figures import median
from partnerloop.accountability.models import FairnessMetric

MIN_GROUP = 3
MIN_DECIDED = 3
# Floating point leaves 0.75 − 0.5 a hair under 0.25: compare with this slack.
EPSILON = 1e-9

RULES: dict[str, str] = {
    FairnessMetric.TOUCHES: "fewer than half the peer median (median of at least 2)",
    FairnessMetric.RESOURCES: "fewer than half the peer median (median of at least 2)",
    FairnessMetric.REVIEWS: "fewer than half the peer median (median of at least 1)",
    FairnessMetric.RESPONSE: "more than twice the peer median, and above the target",
    FairnessMetric.ACCEPTANCE: "25 points or more below the peer median (3+ decided)",
}


@dataclass
class PartnerFigures:
    """One partnership's figures over the window."""

    partnership_id: int
    code: str
    name: str
    tier: str
    band: str
    touches: int = 0
    resources: int = 0
    reviews: int = 0
    # Median hours to first response (a request still waiting counts the hours waited so
    # far), and the target it is held to; None without a request in the window.
    response_hours: float | None = None
    response_target: float | None = None
    decided: int = 0
    accepted: int = 0

    @property
    def acceptance(self) -> float | None:
        """Accepted ÷ decided, once at least MIN_DECIDED referrals were decided."""
        return round(self.accepted / self.decided, 4) if self.decided >= MIN_DECIDED else None

    def figure(self, metric: str) -> float | None:
        return {
            FairnessMetric.TOUCHES: float(self.touches),
            FairnessMetric.RESOURCES: float(self.resources),
            FairnessMetric.REVIEWS: float(self.reviews),
            FairnessMetric.RESPONSE: self.response_hours,
            FairnessMetric.ACCEPTANCE: self.acceptance,
        }[metric]


def _fewer_than_half(least_median: float) -> Callable[[PartnerFigures, float, float], bool]:
    def worse(p: PartnerFigures, figure: float, peer_median: float) -> bool:
        return peer_median >= least_median and figure < peer_median / 2

    return worse


def _slower(p: PartnerFigures, figure: float, peer_median: float) -> bool:
    target = p.response_target
    return figure > 2 * peer_median and target is not None and figure > target


def _less_accepted(p: PartnerFigures, figure: float, peer_median: float) -> bool:
    return peer_median - figure >= 0.25 - EPSILON


WORSE: dict[str, Callable[[PartnerFigures, float, float], bool]] = {
    FairnessMetric.TOUCHES: _fewer_than_half(2),
    FairnessMetric.RESOURCES: _fewer_than_half(2),
    FairnessMetric.REVIEWS: _fewer_than_half(1),
    FairnessMetric.RESPONSE: _slower,
    FairnessMetric.ACCEPTANCE: _less_accepted,
}


@dataclass
class Handled:
    note: str
    handled_by: str
    handled_at: datetime


@dataclass
class Flag:
    partnership: PartnerFigures
    metric: str
    group: str
    group_label: str
    group_size: int
    figure: float
    peer_median: float
    handled: Handled | None = None

    @property
    def metric_label(self) -> str:
        return FairnessMetric(self.metric).label

    @property
    def rule(self) -> str:
        return RULES[self.metric]

    @property
    def is_open(self) -> bool:
        return self.handled is None


@dataclass
class PeerGroup:
    key: str
    label: str
    members: list[PartnerFigures]
    # metric -> (how many have a figure, their median); the median is None below MIN_GROUP.
    medians: dict[str, tuple[int, float | None]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def cells(self) -> list[tuple[int, str | None]]:
        """Per metric (in FairnessMetric order): how many have a figure, and the median as
        text (None when too few to compare)."""
        return [
            (count, None if value is None else display(metric, value))
            for metric in FairnessMetric.values
            for count, value in [self.medians.get(metric, (0, None))]
        ]


def display(metric: str, value: float) -> str:
    if metric == FairnessMetric.ACCEPTANCE:
        return f"{round(100 * value)}%"
    if metric == FairnessMetric.RESPONSE:
        return f"{round(value, 1):g} h"
    return f"{round(value, 1):g}"


def peer_groups(
    partnerships: Iterable[PartnerFigures],
    tier_labels: dict[str, str],
    band_labels: dict[str, str],
) -> list[PeerGroup]:
    """Groups by non-empty tier, then by non-empty fit band, in the order of the labels."""
    by_key: dict[str, list[PartnerFigures]] = {}
    for p in partnerships:
        if p.tier:
            by_key.setdefault(f"tier:{p.tier}", []).append(p)
        if p.band:
            by_key.setdefault(f"band:{p.band}", []).append(p)
    groups = []
    for prefix, labels in (("tier", tier_labels), ("band", band_labels)):
        for value, label in labels.items():
            members = by_key.get(f"{prefix}:{value}")
            if members:
                suffix = " tier" if prefix == "tier" else ""
                groups.append(
                    PeerGroup(key=f"{prefix}:{value}", label=label + suffix, members=members)
                )
    return groups


def evaluate(group: PeerGroup) -> list[Flag]:
    """The group's medians (stored on it) and the flags of its members."""
    flags: list[Flag] = []
    for metric in FairnessMetric.values:
        figures = [(p, p.figure(metric)) for p in group.members]
        present = [(p, f) for p, f in figures if f is not None]
        if len(present) < MIN_GROUP:
            group.medians[metric] = (len(present), None)
            continue
        peer_median = median([f for _, f in present])
        assert peer_median is not None
        group.medians[metric] = (len(present), peer_median)
        for p, figure in present:
            if WORSE[metric](p, figure, peer_median):
                flags.append(
                    Flag(
                        partnership=p,
                        metric=metric,
                        group=group.key,
                        group_label=group.label,
                        group_size=len(present),
                        figure=figure,
                        peer_median=peer_median,
                    )
                )
    return flags
