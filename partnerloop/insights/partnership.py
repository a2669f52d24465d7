"""Reads for a partnership's dashboard, seen from one side (host or partner).

Everything here counts only the records the viewing side may see: shared ones and its own
private ones (`partnerships.selectors.visible_to`). The other side's private steps and
activities (and their outcomes) are never read, so they cannot reach a figure, a table or
a CSV. Commitments and referrals are always shared by both sides; MAP health is the host's
and is not part of this dashboard.

The dashboard reads a fixed number of grouped queries, whatever the size of the
partnership: steps, milestones, outcomes, referrals, commitments, and the scorecard's own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from partnerloop.accountability.models import Commitment
from partnerloop.accountability.selectors import (
    PromisesKept,
    Scorecard,
    promises_kept,
    scorecard,
)
from partnerloop.activities.models import Outcome, Result
from partnerloop.insights.panels import Panel
from partnerloop.partnerships.models import Partnership, Side, Visibility
from partnerloop.partnerships.selectors import visible_to
from partnerloop.plans.models import Milestone, OwnerSide, Phase, PlanStep, StepStatus
from partnerloop.referrals.models import Referral, ReferralStage, ReferralStatus

# The dashboard's time axis: this quarter and the three before it.
QUARTERS_SHOWN = 4
NOT_AVAILABLE = "—"

REVENUE_COLOR = "#1565c0"
RESULT_COLORS = {
    Result.WORKED: "#2e7d32",
    Result.DIDNT: "#c62828",
    Result.MIXED: "#f9a825",
    Result.PENDING: "#9e9e9e",
}
RESULTS = [Result.WORKED, Result.DIDNT, Result.MIXED, Result.PENDING]


# Quarters --------------------------------------------------------------------------------

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter in the server's time zone, written `2026Q4`."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str | None) -> Quarter | None:
        match = QUARTER_PATTERN.match((text or "").strip().upper())
        return cls(int(match[1]), int(match[2])) if match else None

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        """The start of the next quarter (exclusive)."""
        return self.next().start

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )


def quarters_ending(last: Quarter, count: int) -> list[Quarter]:
    """`count` quarters ending with `last`, oldest first."""
    quarters = [last]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return list(reversed(quarters))


# Formatting shared by the dashboard, the review pack and the API -------------------------


def money(value: Decimal | int | float | None) -> str:
    return f"{Decimal(value or 0):.2f}"


def percent(share: float | None) -> int | str:
    """A 0–1 share as a whole percentage, or a dash when there is nothing to divide."""
    return NOT_AVAILABLE if share is None else round(100 * share)


def side_names(partnership: Partnership) -> dict[str, str]:
    return {Side.HOST: partnership.host.name, Side.PARTNER: partnership.partner.name}


def sides_viewer_first(side: str) -> list[str]:
    """The viewing side first: the dashboard is written for whoever reads it."""
    return [Side.PARTNER, Side.HOST] if side == Side.PARTNER else [Side.HOST, Side.PARTNER]


def bar_chart(
    labels: Sequence[str | list[str]],
    datasets: list[dict[str, Any]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    whole_numbers: bool = True,
) -> dict[str, Any]:
    """A Chart.js bar configuration (rendered by static/partnerloop/charts.js). A label
    may be a list of lines."""
    axes: dict[str, Any] = {"x": {"stacked": stacked}, "y": {"stacked": stacked}}
    values = axes["x" if horizontal else "y"]
    values["beginAtZero"] = True
    # Every bar keeps its label: each one is a row of the table beside it.
    axes["y" if horizontal else "x"]["ticks"] = {"autoSkip": False}
    if whole_numbers:
        values["ticks"] = {"precision": 0}
    options: dict[str, Any] = {"animation": False, "maintainAspectRatio": False, "scales": axes}
    if horizontal:
        options["indexAxis"] = "y"
    return {
        "type": "bar",
        "data": {"labels": list(labels), "datasets": datasets},
        "options": options,
    }


# Plan progress ---------------------------------------------------------------------------


@dataclass
class StepTally:
    done: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.done + self.open


@dataclass
class PlanProgress:
    by_phase: dict[str, StepTally]
    by_owner: dict[str, StepTally]
    milestones: list[Milestone]

    @property
    def current_phase(self) -> str:
        """The first phase (in plan order) with an open step; the last one when all are done."""
        with_steps = [phase for phase in Phase.values if self.by_phase[phase].total]
        for phase in with_steps:
            if self.by_phase[phase].open:
                return phase
        return with_steps[-1] if with_steps else ""

    @property
    def current_phase_label(self) -> str:
        return dict(Phase.choices).get(self.current_phase, "")

    @property
    def done(self) -> int:
        return sum(t.done for t in self.by_phase.values())

    @property
    def open(self) -> int:
        return sum(t.open for t in self.by_phase.values())


def plan_progress(*, partnership: Partnership, side: str, today: date) -> PlanProgress:
    """Steps done and open per phase and per owner (skipped steps, split into parts, do
    not count), and the milestones reached. Two queries."""
    by_phase = {phase: StepTally() for phase in Phase.values}
    by_owner = {owner: StepTally() for owner in OwnerSide.values}
    rows = (
        PlanStep.objects.filter(partnership=partnership)
        .filter(visible_to(side))
        .exclude(status=StepStatus.SKIPPED)
        .values_list("phase", "owner_side", "status")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(status=StepStatus.OPEN, due_on__lt=today)),
        )
        .order_by()
    )
    for phase, owner, status, n, overdue in rows:
        for tally in (
            by_phase.setdefault(phase, StepTally()),
            by_owner.setdefault(owner, StepTally()),
        ):
            if status == StepStatus.DONE:
                tally.done += n
            else:
                tally.open += n
                tally.overdue += overdue
    # Milestones are shared: a private step never records one (docs/plans.md).
    milestones = list(
        Milestone.objects.filter(partnership=partnership)
        .only("key", "title", "reached_on")
        .order_by("reached_on", "id")
    )
    return PlanProgress(by_phase=by_phase, by_owner=by_owner, milestones=milestones)


def phases_panel(progress: PlanProgress) -> Panel:
    shown = [(phase, label) for phase, label in Phase.choices if progress.by_phase[phase].total]
    rows = [
        [
            label,
            progress.by_phase[phase].done,
            progress.by_phase[phase].open,
            percent(progress.by_phase[phase].done / progress.by_phase[phase].total),
        ]
        for phase, label in shown
    ]
    labels = [label for _, label in shown]
    return Panel(
        key="phases",
        title="Plan progress by phase",
        description="Steps done and still open in each phase of the plan.",
        columns=["Phase", "Done", "Open", "Done (%)"],
        rows=rows,
        chart=bar_chart(
            labels,
            [
                {"label": "Done", "data": [r[1] for r in rows], "backgroundColor": "#2e7d32"},
                {"label": "Open", "data": [r[2] for r in rows], "backgroundColor": "#bdbdbd"},
            ],
            stacked=True,
            horizontal=True,
        ),
        empty="No plan yet: once the plan has steps, their progress shows here.",
    )


def owners_panel(progress: PlanProgress, partnership: Partnership, side: str) -> Panel:
    names = side_names(partnership)
    labels = {**names, OwnerSide.BOTH: "Both sides together"}
    order = [*sides_viewer_first(side), OwnerSide.BOTH]
    shown = [owner for owner in order if progress.by_owner[owner].total]
    rows = [
        [
            labels[owner],
            progress.by_owner[owner].done,
            progress.by_owner[owner].open,
            progress.by_owner[owner].overdue,
        ]
        for owner in shown
    ]
    return Panel(
        key="steps",
        title="Steps per side",
        description="Whose steps they are: done, open, and open past their due date.",
        columns=["Whose steps", "Done", "Open", "Overdue"],
        rows=rows,
        chart=bar_chart(
            [r[0] for r in rows],
            [
                {"label": "Done", "data": [r[1] for r in rows], "backgroundColor": "#2e7d32"},
                {
                    "label": "Open, on time",
                    "data": [r[2] - r[3] for r in rows],
                    "backgroundColor": "#bdbdbd",
                },
                {"label": "Overdue", "data": [r[3] for r in rows], "backgroundColor": "#c62828"},
            ],
            stacked=True,
            horizontal=True,
        ),
        empty="No plan steps yet.",
    )


def milestones_panel(progress: PlanProgress) -> Panel:
    return Panel(
        key="milestones",
        title="Milestones reached",
        description="Each milestone of the plan reached together, with its date.",
        columns=["Milestone", "Reached on"],
        rows=[[m.title, m.reached_on.isoformat()] for m in progress.milestones],
        empty="No milestone reached yet.",
    )


# Outcomes --------------------------------------------------------------------------------


@dataclass
class OutcomeTally:
    results: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    leads: int = 0
    meetings: int = 0
    pipeline: Decimal = Decimal("0")
    revenue: Decimal = Decimal("0")

    @property
    def views(self) -> int:
        return sum(self.results.values())

    def add(
        self, result: str, n: int, leads: Any, meetings: Any, pipeline: Any, revenue: Any
    ) -> None:
        self.results[result] = self.results.get(result, 0) + n
        self.leads += leads or 0
        self.meetings += meetings or 0
        self.pipeline += Decimal(pipeline or 0)
        self.revenue += Decimal(revenue or 0)


def outcome_tallies(
    *, partnership: Partnership, activities: Q, first_day: date, last_day: date
) -> dict[tuple[Quarter, str], OutcomeTally]:
    """Each side's views of the activities in `activities` (a Q on Activity, prefixed
    `activity__`) that happened between the two days, per quarter and side. One query."""
    tallies: dict[tuple[Quarter, str], OutcomeTally] = defaultdict(OutcomeTally)
    rows = (
        Outcome.objects.filter(activities, activity__partnership=partnership)
        .filter(activity__happened_on__gte=first_day, activity__happened_on__lte=last_day)
        .annotate(quarter=TruncQuarter("activity__happened_on"))
        .values_list("quarter", "side", "result")
        .annotate(
            n=Count("id"),
            leads=Sum("leads"),
            meetings=Sum("meetings"),
            pipeline=Sum("pipeline"),
            revenue=Sum("revenue"),
        )
        .order_by()
    )
    for quarter, side, result, n, leads, meetings, pipeline, revenue in rows:
        day = quarter.date() if isinstance(quarter, datetime) else quarter
        tallies[(Quarter.of(day), side)].add(result, n, leads, meetings, pipeline, revenue)
    return tallies


def seen_by_side(side: str) -> Q:
    """Activities (from an Outcome) a side may see: shared ones and its own private ones."""
    return Q(activity__visibility=Visibility.SHARED) | Q(activity__side=side)


def outcomes_panels(
    tallies: dict[tuple[Quarter, str], OutcomeTally],
    quarters: list[Quarter],
    partnership: Partnership,
    side: str,
) -> tuple[Panel, Panel]:
    """One row per quarter and side (the viewer's first), and one bar per row, labelled
    with both: the table and the chart read alike."""
    names = side_names(partnership)
    sides = sides_viewer_first(side)
    keys = [(q, s) for q in quarters for s in sides]
    counted = {key: tallies.get(key) or OutcomeTally() for key in keys}
    bars = [[q.label, names[s]] for q, s in keys]
    results_rows: list[list[Any]] = [
        [q.label, names[s], *(counted[(q, s)].results[r] for r in RESULTS)] for q, s in keys
    ]
    if not any(t.views for t in counted.values()):
        results_rows = []
    results = Panel(
        key="outcomes",
        title="Did it work? Each side's view, by quarter",
        description=(
            "For the activities you can see, each side's answer, by the quarter the activity "
            "happened in: one bar per quarter and side."
        ),
        columns=["Quarter", "Side", "Worked", "Didn't work", "Mixed", "Pending"],
        rows=results_rows,
        chart=bar_chart(
            bars,
            [
                {
                    "label": Result(r).label,
                    "data": [row[2 + i] for row in results_rows],
                    "backgroundColor": RESULT_COLORS[r],
                }
                for i, r in enumerate(RESULTS)
            ],
            stacked=True,
            horizontal=True,
        ),
        empty="No outcome recorded yet: say after each activity whether it worked.",
    )
    figures_rows: list[list[Any]] = [
        [
            q.label,
            names[s],
            counted[(q, s)].leads,
            counted[(q, s)].meetings,
            money(counted[(q, s)].pipeline),
            money(counted[(q, s)].revenue),
        ]
        for q, s in keys
    ]
    if not any(t.leads or t.meetings or t.pipeline or t.revenue for t in counted.values()):
        figures_rows = []
    recorded = Panel(
        key="figures",
        title="Leads, pipeline and revenue recorded",
        description=(
            "The figures each side recorded with its outcomes, by quarter (the chart draws "
            "the amounts; leads and meetings are in the table)."
        ),
        columns=["Quarter", "Side", "Leads", "Meetings", "Pipeline", "Revenue"],
        rows=figures_rows,
        # Without any amount there is nothing to draw: the table shows the counts.
        chart=bar_chart(
            bars,
            [
                {
                    "label": "Pipeline",
                    "data": [float(counted[k].pipeline) for k in keys],
                    "backgroundColor": "#90caf9",
                },
                {
                    "label": "Revenue",
                    "data": [float(counted[k].revenue) for k in keys],
                    "backgroundColor": REVENUE_COLOR,
                },
            ],
            horizontal=True,
            whole_numbers=False,
        )
        if any(t.pipeline or t.revenue for t in counted.values())
        else None,
        empty="No leads, meetings, pipeline or revenue recorded yet.",
    )
    return results, recorded


# Referrals -------------------------------------------------------------------------------


@dataclass
class ReferralTally:
    registered: int = 0
    accepted: int = 0
    won: int = 0
    won_amount: Decimal = Decimal("0")

    @property
    def any(self) -> bool:
        return bool(self.registered or self.accepted or self.won)


def referral_tallies(
    *, partnership: Partnership, quarters: list[Quarter]
) -> dict[Quarter, ReferralTally]:
    """Per quarter: registered (submitted), accepted (decided), won (closed) and the amount
    won — the scorecard's definitions. Referrals are shared by both sides. One query."""
    first, last = quarters[0], quarters[-1]
    tallies = {q: ReferralTally() for q in quarters}
    rows = (
        Referral.objects.filter(partnership=partnership)
        .filter(
            Q(submitted_at__gte=first.start, submitted_at__lt=last.end)
            | Q(decided_at__gte=first.start, decided_at__lt=last.end)
            | Q(closed_on__gte=first.first_day, closed_on__lte=last.last_day)
        )
        .values_list("submitted_at", "status", "decided_at", "stage", "closed_on", "amount")
        .order_by()
    )

    def tally_of(day: date | None) -> ReferralTally | None:
        return tallies.get(Quarter.of(day)) if day else None

    for submitted_at, status, decided_at, stage, closed_on, amount in rows:
        if tally := tally_of(timezone.localdate(submitted_at) if submitted_at else None):
            tally.registered += 1
        accepted_on = timezone.localdate(decided_at) if decided_at else None
        if status == ReferralStatus.ACCEPTED and (tally := tally_of(accepted_on)):
            tally.accepted += 1
        if stage == ReferralStage.WON and (tally := tally_of(closed_on)):
            tally.won += 1
            tally.won_amount += Decimal(amount or 0)
    return tallies


def referrals_panel(tallies: dict[Quarter, ReferralTally]) -> Panel:
    quarters = list(tallies)
    any_referral = any(t.any for t in tallies.values())
    rows = (
        [
            [q.label, t.registered, t.accepted, t.won, money(t.won_amount)]
            for q, t in tallies.items()
        ]
        if any_referral
        else []
    )
    return Panel(
        key="referrals",
        title="Referrals by quarter",
        description=(
            "Registered by the quarter they were registered in, accepted by the host's "
            "decision, won by their close date, with the amount won."
        ),
        columns=["Quarter", "Registered", "Accepted", "Won", "Revenue won"],
        rows=rows,
        chart=bar_chart(
            [q.label for q in quarters],
            [
                {"label": "Registered", "data": [r[1] for r in rows], "backgroundColor": "#90caf9"},
                {"label": "Accepted", "data": [r[2] for r in rows], "backgroundColor": "#1565c0"},
                {"label": "Won", "data": [r[3] for r in rows], "backgroundColor": "#2e7d32"},
            ],
        ),
        empty="No referral in these quarters yet.",
    )


# Commitments -----------------------------------------------------------------------------


def commitments_panel(
    record: dict[str, PromisesKept], partnership: Partnership, side: str, *, key: str, title: str
) -> Panel:
    names = side_names(partnership)
    sides = sides_viewer_first(side)
    rows = [
        [
            names[s],
            record[s].kept,
            record[s].missed,
            record[s].open,
            record[s].late,
            percent(record[s].rate),
        ]
        for s in sides
    ]
    if not any(r[1] or r[2] or r[3] for r in rows):
        rows = []
    return Panel(
        key=key,
        title=title,
        description=(
            "Each side's promises: kept, missed, still open (late: open past the due date); "
            "kept (%) is kept of those closed."
        ),
        columns=["Whose promises", "Kept", "Missed", "Open", "Late", "Kept (%)"],
        rows=rows,
        chart=bar_chart(
            [r[0] for r in rows],
            [
                {"label": "Kept", "data": [r[1] for r in rows], "backgroundColor": "#2e7d32"},
                {"label": "Missed", "data": [r[2] for r in rows], "backgroundColor": "#c62828"},
                {"label": "Open", "data": [r[3] for r in rows], "backgroundColor": "#bdbdbd"},
            ],
            stacked=True,
            horizontal=True,
        ),
        empty="No commitment yet: promises of either side show here once made.",
    )


# The scorecard ---------------------------------------------------------------------------


def score_cell(value: Any, unit: str) -> int | str:
    if value is None:
        return NOT_AVAILABLE
    if unit == "share":
        return f"{round(100 * float(value))}%"
    if unit == "amount":
        return money(value)
    return int(value)


def scorecard_panel(card: Scorecard) -> Panel:
    rows = [
        [
            line.definition.label,
            score_cell(line.value, line.definition.unit),
            score_cell(line.peer_median, line.definition.unit),
        ]
        for line in card.lines
    ]
    tier = f"{card.tier_label} tier" if card.tier_label else "tier"
    return Panel(
        key="scorecard",
        title=f"Scorecard: the last {card.window.days} days",
        description=card.reason
        or f"This partnership against the median of the host's other partners of its {tier}.",
        columns=["Figure", "This partnership", "Median of the tier"],
        rows=rows,
    )


# The dashboard ---------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    panels: list[Panel]


@dataclass
class PartnershipDashboard:
    partnership: Partnership
    side: str
    today: date
    quarters: list[Quarter]
    progress: PlanProgress
    promises: dict[str, PromisesKept]
    card: Scorecard
    sections: list[Section]

    @property
    def panels(self) -> list[Panel]:
        return [panel for section in self.sections for panel in section.panels]

    def panel(self, key: str) -> Panel | None:
        return next((p for p in self.panels if p.key == key), None)


def partnership_dashboard(
    *, partnership: Partnership, side: str, now: datetime | None = None
) -> PartnershipDashboard:
    """The dashboard of one partnership as `side` may see it (see the module docstring)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    quarters = quarters_ending(Quarter.of(today), QUARTERS_SHOWN)
    progress = plan_progress(partnership=partnership, side=side, today=today)
    tallies = outcome_tallies(
        partnership=partnership,
        activities=seen_by_side(side),
        first_day=quarters[0].first_day,
        last_day=quarters[-1].last_day,
    )
    results, recorded = outcomes_panels(tallies, quarters, partnership, side)
    commitments = list(
        Commitment.objects.filter(partnership=partnership).only("side", "status", "due_on")
    )
    record = promises_kept(commitments, today=today)
    card = scorecard(partnership=partnership, today=today, now=now)
    sections = [
        Section(
            "progress",
            "Progress",
            [
                phases_panel(progress),
                owners_panel(progress, partnership, side),
                milestones_panel(progress),
            ],
        ),
        Section(
            "outcomes",
            "Outcomes",
            [
                results,
                recorded,
                referrals_panel(referral_tallies(partnership=partnership, quarters=quarters)),
            ],
        ),
        Section(
            "commitments",
            "Commitments",
            [
                commitments_panel(
                    record,
                    partnership,
                    side,
                    key="commitments",
                    title="Promises kept on both sides",
                )
            ],
        ),
        Section("scorecard", "Scorecard", [scorecard_panel(card)]),
    ]
    return PartnershipDashboard(
        partnership=partnership,
        side=side,
        today=today,
        quarters=quarters,
        progress=progress,
        promises=record,
        card=card,
        sections=sections,
    )


def panel_out(panel: Panel) -> dict[str, Any]:
    """A panel's figures for the API: the same columns and rows as the table and the CSV."""
    return {
        "key": panel.key,
        "title": panel.title,
        "columns": list(panel.columns),
        "rows": [list(row) for row in panel.rows],
    }
