"""The quarterly business review pack of a partnership: one printable page.

The pack is meant to be handed to the other side, so it reads SHARED records only,
whichever side opens it: both sides get the identical pack. No private step, activity
(nor its outcomes) or note of either side is read; the host's own fit evaluation shows only
when the host shared it; MAP health (host-only) is not part of it. Commitments and
referrals are always shared by both sides.

A fixed number of queries, whatever the size of the partnership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone

from partnerloop.accountability.models import Commitment, CommitmentStatus
from partnerloop.accountability.selectors import promises_kept
from partnerloop.activities.models import Activity, Result
from partnerloop.fit.models import Band, PartnershipFit
from partnerloop.insights.panels import Panel
from partnerloop.insights.partnership import (
    NOT_AVAILABLE,
    RESULTS,
    OutcomeTally,
    Quarter,
    commitments_panel,
    money,
    outcome_tallies,
    percent,
    referral_tallies,
    side_names,
)
from partnerloop.partnerships.models import Partnership, Side, Visibility
from partnerloop.plans.models import PHASE_ORDER, Milestone, OwnerSide, Phase, PlanStep, StepStatus
from partnerloop.referrals.models import Referral, ReferralStage

# What one printed page holds: the next steps and promises due first, the biggest wins.
NEXT_SHOWN = 8
WON_SHOWN = 8
# Quarters offered in the picker, newest first.
QUARTERS_OFFERED = 8


@dataclass
class ReviewRow:
    first: Any
    cells: list[Any]
    # Width of the printed bar (0–100 in steps of 5) for the section's bar column, or None.
    bar: int | None


@dataclass
class ReviewSection:
    panel: Panel
    note: str = ""
    # The row index (1 = the first cell after the row's heading) drawn as a bar: a 0–100
    # figure. Plain HTML and CSS, so it prints without scripts.
    bar_column: int | None = None

    @property
    def rows(self) -> list[ReviewRow]:
        rows = []
        for row in self.panel.rows:
            bar = None
            if self.bar_column is not None and isinstance(row[self.bar_column], int | float):
                bar = max(0, min(100, 5 * round(float(row[self.bar_column]) / 5)))
            rows.append(ReviewRow(first=row[0], cells=list(row[1:]), bar=bar))
        return rows


@dataclass
class ReviewPack:
    partnership: Partnership
    quarter: Quarter
    today: date
    current_phase: str
    sections: list[ReviewSection]

    @property
    def panels(self) -> list[Panel]:
        return [section.panel for section in self.sections]

    def section(self, key: str) -> ReviewSection | None:
        return next((s for s in self.sections if s.panel.key == key), None)


def quarter_for(text: str | None, *, today: date) -> Quarter:
    """The quarter asked for (`2026Q4`); the current one when absent, invalid or later."""
    current = Quarter.of(today)
    asked = Quarter.parse(text)
    return asked if asked is not None and asked <= current else current


def quarters_offered(*, partnership: Partnership, today: date) -> list[Quarter]:
    """The partnership's quarters, newest first (at most QUARTERS_OFFERED)."""
    first = Quarter.of(timezone.localdate(partnership.created_at))
    quarters = [Quarter.of(today)]
    while len(quarters) < QUARTERS_OFFERED and quarters[-1] > first:
        quarters.append(quarters[-1].previous())
    return quarters


def _score(value: float | None) -> int | str:
    return NOT_AVAILABLE if value is None else round(value)


def fit_section(partnership: Partnership) -> ReviewSection:
    names = side_names(partnership)
    host, partner = names[Side.HOST], names[Side.PARTNER]
    fit = PartnershipFit.objects.filter(partnership=partnership).first()
    rows: list[list[Any]] = []
    note = ""
    if fit is not None:
        rows.append([f"Why {host} fits {partner} (answered by {partner})", _score(fit.theirs)])
        if fit.ours_shared:
            band = dict(Band.choices).get(fit.band, NOT_AVAILABLE)
            if fit.band and fit.provisional:
                band = f"{band} (provisional: one side has answered)"
            rows += [
                [f"Why {partner} fits {host} (answered by {host})", _score(fit.ours)],
                ["Mutual fit", _score(fit.mutual)],
                ["Band", band],
            ]
        else:
            note = f"{host} keeps its own evaluation private unless it shares it."
    return ReviewSection(
        Panel(
            key="fit",
            title="Fit",
            columns=["Measure", "Score (0–100)"],
            rows=rows,
            empty="Neither side has answered the fit checklist yet.",
        ),
        note=note,
        bar_column=1,
    )


def plan_section(partnership: Partnership, quarter: Quarter) -> tuple[ReviewSection, str]:
    """Shared steps per phase: done in the quarter, done by its end, in the plan then."""
    done = Q(status=StepStatus.DONE)
    rows_by_phase = {
        phase: (total, done_in, done_by)
        for phase, total, done_in, done_by in PlanStep.objects.filter(
            partnership=partnership, visibility=Visibility.SHARED
        )
        # In the plan by the end of the quarter: written before it ended, or done by then
        # (steps imported later keep the dates they were done on).
        .filter(Q(created_at__lt=quarter.end) | Q(done_at__lt=quarter.end))
        .exclude(status=StepStatus.SKIPPED)
        .values_list("phase")
        .annotate(
            total=Count("id"),
            done_in=Count(
                "id", filter=done & Q(done_at__gte=quarter.start, done_at__lt=quarter.end)
            ),
            done_by=Count("id", filter=done & Q(done_at__lt=quarter.end)),
        )
        .order_by()
    }
    rows = [
        [label, done_in, done_by, total, percent(done_by / total)]
        for phase, label in Phase.choices
        if phase in rows_by_phase
        for total, done_in, done_by in [rows_by_phase[phase]]
    ]
    current = next((r[0] for r in rows if r[2] < r[3]), rows[-1][0] if rows else "")
    section = ReviewSection(
        Panel(
            key="plan",
            title="Plan progress",
            columns=["Phase", "Done in the quarter", "Done by its end", "Steps", "Done (%)"],
            rows=rows,
            empty="No shared plan steps yet.",
        ),
        note=f"Phase reached by the end of the quarter: {current}." if current else "",
        bar_column=4,
    )
    return section, current


def milestones_section(partnership: Partnership, quarter: Quarter) -> ReviewSection:
    milestones = Milestone.objects.filter(
        partnership=partnership,
        reached_on__gte=quarter.first_day,
        reached_on__lte=quarter.last_day,
    ).order_by("reached_on", "id")
    return ReviewSection(
        Panel(
            key="milestones",
            title="Milestones reached",
            columns=["Milestone", "Reached on"],
            rows=[[m.title, m.reached_on.isoformat()] for m in milestones],
            empty="No milestone reached this quarter.",
        )
    )


def outcome_sections(partnership: Partnership, quarter: Quarter) -> list[ReviewSection]:
    """Each side's view of the shared activities of the quarter, and their figures."""
    names = side_names(partnership)
    tallies = outcome_tallies(
        partnership=partnership,
        activities=Q(activity__visibility=Visibility.SHARED),
        first_day=quarter.first_day,
        last_day=quarter.last_day,
    )
    activities = Activity.objects.filter(
        partnership=partnership,
        visibility=Visibility.SHARED,
        happened_on__gte=quarter.first_day,
        happened_on__lte=quarter.last_day,
    ).count()
    sides = [Side.HOST, Side.PARTNER]
    views = {s: tallies.get((quarter, s)) or OutcomeTally() for s in sides}
    any_view = any(t.views for t in views.values())

    def worked_share(t: OutcomeTally) -> int | str:
        settled = t.views - t.results[Result.PENDING]
        return percent(t.results[Result.WORKED] / settled if settled else None)

    results_rows = (
        [[names[s], *(views[s].results[r] for r in RESULTS), worked_share(views[s])] for s in sides]
        if any_view
        else []
    )
    figures_rows = (
        [
            [
                names[s],
                views[s].leads,
                views[s].meetings,
                money(views[s].pipeline),
                money(views[s].revenue),
            ]
            for s in sides
        ]
        if any_view
        else []
    )
    plural = "activity" if activities == 1 else "activities"
    return [
        ReviewSection(
            Panel(
                key="outcomes",
                title="Outcomes of the quarter",
                columns=["Side", "Worked", "Didn't work", "Mixed", "Pending", "Worked (%)"],
                rows=results_rows,
                empty="No outcome recorded for this quarter's activities.",
            ),
            note=f"{activities} shared {plural} this quarter; each side's view of them.",
            bar_column=5,
        ),
        ReviewSection(
            Panel(
                key="figures",
                title="Leads, pipeline and revenue recorded",
                columns=["Side", "Leads", "Meetings", "Pipeline", "Revenue"],
                rows=figures_rows,
                empty="No figures recorded this quarter.",
            )
        ),
    ]


def commitments_section(partnership: Partnership, quarter: Quarter, today: date) -> ReviewSection:
    due = list(
        Commitment.objects.filter(
            partnership=partnership, due_on__gte=quarter.first_day, due_on__lte=quarter.last_day
        ).only("side", "status", "due_on")
    )
    record = promises_kept(due, today=today)
    panel = commitments_panel(
        record, partnership, Side.HOST, key="commitments", title="Commitments due this quarter"
    )
    panel.chart = None
    return ReviewSection(panel, bar_column=5)


def referral_sections(partnership: Partnership, quarter: Quarter) -> list[ReviewSection]:
    tally = referral_tallies(partnership=partnership, quarters=[quarter])[quarter]
    won = list(
        Referral.objects.filter(
            partnership=partnership,
            stage=ReferralStage.WON,
            closed_on__gte=quarter.first_day,
            closed_on__lte=quarter.last_day,
        )
        .order_by(F("amount").desc(nulls_last=True), "closed_on", "id")
        .values_list("company", "closed_on", "amount")[:WON_SHOWN]
    )
    counts = (
        [
            ["Registered", tally.registered],
            ["Accepted", tally.accepted],
            ["Won", tally.won],
            ["Revenue won", money(tally.won_amount)],
        ]
        if tally.any
        else []
    )
    return [
        ReviewSection(
            Panel(
                key="referrals",
                title="Referrals of the quarter",
                columns=["Referrals", "In the quarter"],
                rows=counts,
                empty="No referral registered, accepted or won this quarter.",
            )
        ),
        ReviewSection(
            Panel(
                key="referrals_won",
                title="Referrals won",
                columns=["Company", "Closed on", "Amount"],
                rows=[
                    [
                        company,
                        closed_on.isoformat(),
                        money(amount) if amount is not None else NOT_AVAILABLE,
                    ]
                    for company, closed_on, amount in won
                ],
                empty="No referral won this quarter.",
            ),
            note=f"The {WON_SHOWN} biggest." if tally.won > WON_SHOWN else "",
        ),
    ]


def next_sections(partnership: Partnership) -> list[ReviewSection]:
    """What is open now: the shared steps and the promises due first."""
    names = side_names(partnership)
    owners = {**names, OwnerSide.BOTH: "Both"}
    phase_rank = Case(
        *(When(phase=phase, then=Value(rank)) for phase, rank in PHASE_ORDER.items()),
        default=Value(len(PHASE_ORDER)),
    )
    steps = (
        PlanStep.objects.filter(
            partnership=partnership, visibility=Visibility.SHARED, status=StepStatus.OPEN
        )
        .order_by(F("due_on").asc(nulls_last=True), phase_rank, "position", "id")
        .values_list("title", "owner_side", "due_on")[:NEXT_SHOWN]
    )
    promises = (
        Commitment.objects.filter(partnership=partnership, status=CommitmentStatus.OPEN)
        .order_by("due_on", "id")
        .values_list("what", "side", "due_on")[:NEXT_SHOWN]
    )
    return [
        ReviewSection(
            Panel(
                key="next_steps",
                title="Next steps",
                columns=["Step", "Whose", "Due"],
                rows=[
                    [title, owners.get(owner, owner), due.isoformat() if due else NOT_AVAILABLE]
                    for title, owner, due in steps
                ],
                empty="No open shared step.",
            )
        ),
        ReviewSection(
            Panel(
                key="next_commitments",
                title="Open commitments, due first",
                columns=["Promise", "Whose", "Due"],
                rows=[
                    [what, names.get(side, side), due.isoformat()] for what, side, due in promises
                ],
                empty="No open commitment.",
            )
        ),
    ]


def review_pack(
    *, partnership: Partnership, quarter: Quarter, now: datetime | None = None
) -> ReviewPack:
    """The review pack of `quarter` (see the module docstring): identical for both sides."""
    today = timezone.localdate(now or timezone.now())
    plan, current = plan_section(partnership, quarter)
    sections = [
        fit_section(partnership),
        plan,
        milestones_section(partnership, quarter),
        *outcome_sections(partnership, quarter),
        commitments_section(partnership, quarter, today),
        *referral_sections(partnership, quarter),
        *next_sections(partnership),
    ]
    return ReviewPack(
        partnership=partnership,
        quarter=quarter,
        today=today,
        current_phase=current,
        sections=sections,
    )
