"""The host dashboard: figures across the partnerships an organization hosts.

Every figure reads only the actor's hosted partnerships, narrowed by the filters (tier,
host owner, partner type), and only what the host side may see: shared records and the
host's own private ones (a partner's private steps and activities never count). Each
panel is a `Panel`, so its chart, table and CSV come from the same rows.

The number of queries is fixed whatever the number of partnerships: each panel reads its
records in one or two grouped or flat queries and counts in Python.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from partnerloop.accounts.models import Membership
from partnerloop.activities.models import ActivityType, Outcome, Result
from partnerloop.activities.selectors import Rate
from partnerloop.core.tenancy import Actor
from partnerloop.fit.ipp_test import IppTestReport, run_ipp_test, split_report
from partnerloop.fit.models import Band, IppVersion, VersionStatus
from partnerloop.health.models import ATTENTION_BELOW, TIE_ORDER
from partnerloop.insights.panels import Panel
from partnerloop.partnerships.models import Partnership, PartnerType, Side, Stage, Tier
from partnerloop.partnerships.selectors import visible_to
from partnerloop.plans.models import (
    PHASE_ORDER,
    Milestone,
    Phase,
    PlanStep,
    PlaybookStep,
    StepStatus,
)
from partnerloop.prompts.selectors import prompt_effectiveness
from partnerloop.referrals.models import Referral, ReferralStage, ReferralStatus

PERIODS = (30, 90, 180, 365)
DEFAULT_PERIOD = 90
# Nothing happened for this many days: the partnership is stalled where it stands.
STALL_DAYS = 30
REFERRAL_MONTHS = 12
TOP_PARTNERS = 10
# Fit thresholds when the host has no active IPP version (the version defaults).
DEFAULT_BAND_HIGH = 70
DEFAULT_BAND_MEDIUM = 40
NO_FIT = "No fit yet"
# Stands for a partnership code in a reversed workspace URL (codes are letters and digits).
CODE_SLOT = "CODE-SLOT"
BAND_COLORS = {Band.HIGH: "#2e7d32", Band.MEDIUM: "#f9a825", Band.LOW: "#c62828", "": "#9e9e9e"}
STAGE_COLORS = {
    "waiting": "#9e9e9e",
    ReferralStage.NEW: "#90caf9",
    ReferralStage.QUALIFIED: "#42a5f5",
    ReferralStage.PROPOSAL: "#1565c0",
    ReferralStage.WON: "#2e7d32",
    ReferralStage.LOST: "#c62828",
    "declined": "#6d4c41",
}


# Filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostFilters:
    """What narrows every panel. `tier` and `owner` take "none" for "no tier/owner"."""

    tier: str = ""
    owner: str = ""
    partner_type: str = ""
    days: int = DEFAULT_PERIOD

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> HostFilters:
        """From a GET query; unknown values are ignored rather than refused."""
        tier = str(query.get("tier") or "")
        owner = str(query.get("owner") or "")
        partner_type = str(query.get("partner_type") or "")
        days = str(query.get("days") or "")
        return cls(
            tier=tier if tier == "none" or (tier and tier in Tier.values) else "",
            owner=owner if owner == "none" or owner.isdigit() else "",
            partner_type=partner_type if partner_type in PartnerType.values else "",
            days=int(days) if days.isdigit() and int(days) in PERIODS else DEFAULT_PERIOD,
        )

    def query(self) -> str:
        """The filters as a query string (defaults left out), for links and CSV downloads."""
        params = {"tier": self.tier, "owner": self.owner, "partner_type": self.partner_type}
        if self.days != DEFAULT_PERIOD:
            params["days"] = str(self.days)
        return urlencode({k: v for k, v in params.items() if v})

    def as_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "owner": self.owner,
            "partner_type": self.partner_type,
            "days": self.days,
        }


def hosted_partnerships(*, actor: Actor, filters: HostFilters) -> QuerySet[Partnership]:
    """The partnerships the actor's organization hosts, narrowed by the filters."""
    qs = Partnership.objects.filter(host=actor.organization)
    if filters.tier:
        qs = qs.filter(tier="" if filters.tier == "none" else filters.tier)
    if filters.owner == "none":
        qs = qs.filter(host_owner__isnull=True)
    elif filters.owner:
        qs = qs.filter(host_owner_id=int(filters.owner))
    if filters.partner_type:
        qs = qs.filter(partner_type=filters.partner_type)
    return qs


def owner_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """The host's members, for the owner filter."""
    members = (
        Membership.objects.filter(organization=actor.organization)
        .select_related("user")
        .order_by("user__email")
    )
    return [
        (str(m.user_id), m.user.get_full_name() or m.user.email)  # type: ignore[attr-defined]
        for m in members
    ]


# Shared context of one dashboard -----------------------------------------------------------


@dataclass
class _Row:
    """One hosted partnership as the panels need it (no model instances kept)."""

    id: int
    code: str
    name: str
    stage: str
    created_on: date
    stage_changed_at: datetime
    fit_score: float | None
    band: str
    health: int | None
    weakest: str


@dataclass
class Context:
    actor: Actor
    filters: HostFilters
    now: datetime
    _rows: list[_Row] | None = None
    _workspace_url: str | None = None

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @cached_property
    def zone(self) -> tzinfo:
        """The current time zone, looked up once: `timezone.localdate` per row looks it up
        every time, which is most of its cost over thousands of rows."""
        return timezone.get_current_timezone()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    @property
    def since(self) -> datetime:
        return self.now - timedelta(days=self.filters.days)

    @property
    def partnerships(self) -> QuerySet[Partnership]:
        return hosted_partnerships(actor=self.actor, filters=self.filters)

    @property
    def rows(self) -> list[_Row]:
        """The filtered partnerships with their current fit and health: one query of plain
        values (thousands of model instances would cost more than the query)."""
        if self._rows is None:
            values = self.partnerships.order_by("partner__name", "id").values_list(
                "id",
                "code",
                "partner__name",
                "stage",
                "created_at",
                "stage_changed_at",
                "current_fit__fit_score",
                "current_fit__band",
                "current_health__overall",
                *(f"current_health__{factor}" for factor in TIE_ORDER),
            )
            self._rows = []
            for row in values:
                pk, code, name, stage, created_at, stage_changed_at, fit_score, band = row[:8]
                overall, factors = row[8], row[9:]
                self._rows.append(
                    _Row(
                        id=pk,
                        code=code,
                        name=name,
                        stage=stage,
                        created_on=self.local_date(created_at),
                        stage_changed_at=stage_changed_at,
                        fit_score=fit_score,
                        band=band or "",
                        health=overall,
                        weakest=_weakest(list(factors)) if overall is not None else "",
                    )
                )
        return self._rows

    def workspace(self, code: str) -> str:
        """The workspace URL of a partnership; reversed once, formatted per code."""
        if self._workspace_url is None:
            self._workspace_url = reverse(
                "workspace", kwargs={"org": self.actor.organization.code, "code": CODE_SLOT}
            )
        return self._workspace_url.replace(CODE_SLOT, code)


def _weakest(factors: list[int]) -> str:
    """The weakest health factor, as `PartnershipHealth.weakest` decides ties."""
    return min(zip(factors, range(len(TIE_ORDER)), TIE_ORDER, strict=True))[2]


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _bar(labels: list[str], datasets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {"animation": False, "responsive": True, **options},
    }


# 1. Stage × fit band -------------------------------------------------------------------


BAND_COLUMNS: list[tuple[str, str]] = [*Band.choices, ("", NO_FIT)]


def stage_by_fit(ctx: Context) -> Panel:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    moved: dict[str, int] = defaultdict(int)
    for r in ctx.rows:
        counts[(r.stage, r.band)] += 1
        if r.stage_changed_at >= ctx.since:
            moved[r.stage] += 1
    rows: list[list[Any]] = []
    for stage, label in Stage.choices:
        cells = [counts[(stage, band)] for band, _ in BAND_COLUMNS]
        if sum(cells):
            rows.append([label, *cells, sum(cells), moved[stage]])
    chart = _bar(
        [row[0] for row in rows],
        [
            {
                "label": band_label,
                "data": [row[1 + i] for row in rows],
                "backgroundColor": BAND_COLORS[band],
            }
            for i, (band, band_label) in enumerate(BAND_COLUMNS)
        ],
        scales={
            "x": {"stacked": True},
            "y": {"stacked": True, "beginAtZero": True, "ticks": {"precision": 0}},
        },
    )
    return Panel(
        key="stages",
        title="Partnerships by stage and fit band",
        columns=[
            "Stage",
            *(label for _, label in BAND_COLUMNS),
            "Total",
            f"Moved to this stage in the last {ctx.filters.days} days",
        ],
        rows=rows,
        chart=chart,
        description="Where your partnerships stand now, split by their current fit band; "
        "the last column counts those that reached their stage within the period.",
        empty="No partnership matches these filters.",
    )


# 2. Fit × MAP health quadrant ------------------------------------------------------------


def _thresholds(ctx: Context) -> tuple[int, int]:
    version = IppVersion.objects.filter(
        host=ctx.actor.organization, status=VersionStatus.ACTIVE
    ).first()
    if version is None:
        return DEFAULT_BAND_HIGH, DEFAULT_BAND_MEDIUM
    return version.band_high, version.band_medium


def quadrant_of(fit_score: float, health: int, band_high: int) -> str:
    """Which quarter a partnership sits in: fit at the high band or not × healthy or not."""
    fits = fit_score >= band_high
    healthy = health >= ATTENTION_BELOW
    if fits and healthy:
        return "Fits and moves: grow it"
    if fits:
        return "Fits but stuck: unblock it"
    if healthy:
        return "Moves despite fit: revisit fit"
    return "Weak fit, stuck: reconsider"


def _line(label: str, points: list[dict[str, float]], color: str) -> dict[str, Any]:
    """A threshold drawn as a two-point line dataset (no chart plugin needed)."""
    return {
        "label": label,
        "data": points,
        "showLine": True,
        "borderColor": color,
        "borderDash": [6, 4],
        "borderWidth": 1,
        "pointRadius": 0,
        "pointHitRadius": 0,
        "fill": False,
    }


def fit_health_quadrant(ctx: Context) -> Panel:
    band_high, band_medium = _thresholds(ctx)
    placed = [r for r in ctx.rows if r.fit_score is not None and r.health is not None]
    rows: list[list[Any]] = []
    links: list[str | None] = []
    by_band: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in placed:
        fit_score = round(r.fit_score or 0.0, 1)
        health = r.health or 0
        url = ctx.workspace(r.code)
        rows.append(
            [
                r.name,
                Stage(r.stage).label,
                fit_score,
                Band(r.band).label if r.band else NO_FIT,
                health,
                r.weakest,
                quadrant_of(fit_score, health, band_high),
            ]
        )
        links.append(url)
        by_band[r.band].append({"x": fit_score, "y": health, "url": url, "label": r.name})
    datasets: list[dict[str, Any]] = [
        {
            "label": label,
            "data": by_band[band],
            "backgroundColor": BAND_COLORS[band],
            "pointRadius": 6,
            "pointHoverRadius": 8,
        }
        for band, label in BAND_COLUMNS
        if by_band[band]
    ]
    datasets += [
        _line(
            f"High fit from {band_high}",
            [{"x": band_high, "y": 0}, {"x": band_high, "y": 100}],
            "#2e7d32",
        ),
        _line(
            f"Medium fit from {band_medium}",
            [{"x": band_medium, "y": 0}, {"x": band_medium, "y": 100}],
            "#f9a825",
        ),
        _line(
            f"Needs attention below {ATTENTION_BELOW}",
            [{"x": 0, "y": ATTENTION_BELOW}, {"x": 100, "y": ATTENTION_BELOW}],
            "#c62828",
        ),
    ]
    chart = {
        "type": "scatter",
        "data": {"datasets": datasets},
        "options": {
            "animation": False,
            "scales": {
                "x": {"min": 0, "max": 100, "title": {"display": True, "text": "Fit score"}},
                "y": {"min": 0, "max": 100, "title": {"display": True, "text": "MAP health"}},
            },
        },
    }
    unplaced = len(ctx.rows) - len(placed)
    description = (
        "Each dot is a partnership: right is a better fit, up is healthier. The lines are "
        f"the high and medium fit bands ({band_high}, {band_medium}) and the health below "
        f"which a partnership needs attention ({ATTENTION_BELOW}). Click a dot, or a name "
        "in the table, to open its workspace."
    )
    if unplaced:
        description += f" {unplaced} without a fit score or a health score yet are left out."
    return Panel(
        key="quadrant",
        title="Fit × MAP health",
        columns=["Partner", "Stage", "Fit score", "Fit band", "Health", "Weakest", "Quadrant"],
        rows=rows,
        chart=chart,
        description=description,
        empty="No partnership has both a fit score and a health score yet: submit fit "
        "checklists, health is computed daily.",
        links=links,
    )


# 3. Tiny-steps funnel and where partnerships stall ------------------------------------------


@dataclass
class _FunnelData:
    # Milestone keys in plan order, with their titles and phases.
    milestones: list[tuple[str, str, str]]
    # partnership id -> milestone key -> reached on
    reached: dict[int, dict[str, date]]
    # partnership id -> phase -> last step done there
    phases: dict[int, dict[str, datetime]]


def _funnel_data(ctx: Context) -> _FunnelData:
    """Three queries: the milestone order of the default playbook, the milestones reached,
    and the steps done per phase (only steps the host may see)."""
    ids = ctx.partnerships.values("id")
    order: dict[str, tuple[int, int, str, str]] = {}
    for key, title, phase, position in PlaybookStep.objects.filter(
        playbook__host=ctx.actor.organization, playbook__is_default=True, is_milestone=True
    ).values_list("key", "title", "phase", "position"):
        if key:
            order.setdefault(
                key, (PHASE_ORDER.get(phase, len(PHASE_ORDER)), position, title, phase)
            )
    reached: dict[int, dict[str, date]] = defaultdict(dict)
    titles: dict[str, str] = {}
    for pid, key, title, reached_on in Milestone.objects.filter(partnership__in=ids).values_list(
        "partnership_id", "key", "title", "reached_on"
    ):
        reached[pid][key] = reached_on
        titles.setdefault(key, title)
    phases: dict[int, dict[str, datetime]] = defaultdict(dict)
    for pid, phase, last in (
        PlanStep.objects.filter(partnership__in=ids, status=StepStatus.DONE)
        .filter(visible_to(Side.HOST))
        .values_list("partnership_id", "phase")
        .annotate(last=Max("done_at"))
        .order_by()
    ):
        phases[pid][phase] = last
    # Milestones outside the default playbook come after it, by key.
    unknown = len(PHASE_ORDER) + 1
    keys = sorted(
        set(order) | set(titles),
        key=lambda k: (order[k][0], order[k][1], k) if k in order else (unknown, 0, k),
    )
    milestones = [
        (k, order[k][2] if k in order else titles[k], order[k][3] if k in order else "")
        for k in keys
    ]
    return _FunnelData(milestones=milestones, reached=reached, phases=phases)


def _median(values: list[int]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def funnel(ctx: Context, data: _FunnelData | None = None) -> Panel:
    data = data or _funnel_data(ctx)
    rows_by_id = {r.id: r for r in ctx.rows}
    since = ctx.today - timedelta(days=ctx.filters.days)
    furthest_phase = {
        pid: max(PHASE_ORDER[p] for p in phases) for pid, phases in data.phases.items() if phases
    }
    rows: list[list[Any]] = []
    milestones_by_phase: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, title, phase in data.milestones:
        milestones_by_phase[phase].append((key, title))

    def milestone_row(index: int, key: str, title: str) -> list[Any]:
        previous = data.milestones[index - 1][0] if index else None
        reached = [pid for pid, keys in data.reached.items() if key in keys]
        recent = [pid for pid in reached if data.reached[pid][key] >= since]
        gaps = []
        for pid in reached:
            start = data.reached[pid].get(previous) if previous else rows_by_id[pid].created_on
            if start is not None:
                gaps.append((data.reached[pid][key] - start).days)
        return [f"Milestone: {title}", len(reached), len(recent), _median(gaps)]

    def phase_row(phase: str, label: str) -> list[Any]:
        level = PHASE_ORDER[phase]
        reached = [pid for pid, top in furthest_phase.items() if top >= level]
        # Reached in the period: a step of this phase done within it.
        recent = [
            pid
            for pid, phases in data.phases.items()
            if phases.get(phase) and ctx.local_date(phases[phase]) >= since
        ]
        return [f"Phase: {label}", len(reached), len(recent), None]

    index_of = {key: i for i, (key, _, _) in enumerate(data.milestones)}
    for phase, label in Phase.choices:
        rows.append(phase_row(phase, label))
        for key, title in milestones_by_phase.get(phase, []):
            rows.append(milestone_row(index_of[key], key, title))
    for key, title in milestones_by_phase.get("", []):
        rows.append(milestone_row(index_of[key], key, title))
    if not any(row[1] for row in rows):
        rows = []
    chart = _bar(
        [row[0] for row in rows],
        [
            {"label": "Reached", "data": [row[1] for row in rows], "backgroundColor": "#3c71f7"},
            {
                "label": f"Reached in the last {ctx.filters.days} days",
                "data": [row[2] for row in rows],
                "backgroundColor": "#90caf9",
            },
        ],
        indexAxis="y",
        scales={"x": {"beginAtZero": True, "ticks": {"precision": 0}}},
    )
    return Panel(
        key="funnel",
        title="Tiny-steps funnel",
        columns=[
            "Step",
            "Partnerships that reached it",
            f"Reached in the last {ctx.filters.days} days",
            "Median days from the previous milestone",
        ],
        rows=rows,
        chart=chart,
        description="How many partnerships got to each phase of their plan (a step of that "
        "phase or a later one done) and to each milestone; for milestones, the median days "
        "since the milestone before it (the first one: since the partnership started).",
        empty="No plan step is done and no milestone reached yet.",
    )


def furthest_point(
    pid: int,
    data: _FunnelData,
    phase_labels: Mapping[str, str],
    local_date: Callable[[datetime], date] = timezone.localdate,
) -> tuple[int, str, date | None]:
    """Where a partnership got furthest: (sort order, label, last movement)."""
    reached = data.reached.get(pid, {})
    phases = data.phases.get(pid, {})
    moves: list[date] = [*reached.values(), *(local_date(d) for d in phases.values())]
    last = max(moves) if moves else None
    for index in range(len(data.milestones) - 1, -1, -1):
        key, title, _phase = data.milestones[index]
        if key in reached:
            return 100 + index, f"Milestone: {title}", last
    if phases:
        top = max(phases, key=lambda p: PHASE_ORDER[p])
        return 10 + PHASE_ORDER[top], f"Phase: {phase_labels[top]}", last
    return 0, "Nothing done yet", last


def stalls(ctx: Context, data: _FunnelData | None = None) -> Panel:
    data = data or _funnel_data(ctx)
    phase_labels = dict(Phase.choices)
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for r in ctx.rows:
        if r.stage == Stage.ENDED:
            continue  # an ended partnership is not stalled
        order, label, last = furthest_point(r.id, data, phase_labels, ctx.local_date)
        quiet = (ctx.today - (last or r.created_on)).days
        counts[(order, label)] += 1
        if quiet >= STALL_DAYS:
            groups[(order, label)].append(quiet)
    rows = [
        [
            label,
            counts[(order, label)],
            len(groups[(order, label)]),
            _median(groups[(order, label)]),
        ]
        for order, label in sorted(counts, key=lambda k: (-len(groups[k]), k[0]))
        if groups[(order, label)]
    ]
    chart = _bar(
        [row[0] for row in rows],
        [
            {
                "label": f"Nothing happened for {STALL_DAYS}+ days",
                "data": [row[2] for row in rows],
                "backgroundColor": "#c62828",
            }
        ],
        indexAxis="y",
        scales={"x": {"beginAtZero": True, "ticks": {"precision": 0}}},
        plugins={"legend": {"display": False}},
    )
    return Panel(
        key="stalls",
        title="Where partnerships stall",
        columns=[
            "Furthest step",
            "Partnerships there",
            f"Quiet for {STALL_DAYS}+ days",
            "Median days quiet",
        ],
        rows=rows,
        chart=chart,
        description=f"Partnerships (ended ones left out) grouped by the furthest milestone "
        f"they reached, or the furthest phase with a step done, and how many of them had no "
        f"step done and no milestone for {STALL_DAYS} days or more; most stalled first.",
        empty=f"No partnership has been quiet for {STALL_DAYS} days or more.",
    )


# 4. Prompt effectiveness -----------------------------------------------------------------


def prompts(ctx: Context) -> Panel:
    figures = prompt_effectiveness(
        actor=ctx.actor, since=ctx.since, until=ctx.now, partnerships=ctx.partnerships
    )
    rows = [
        [f.label, f.sent, f.followed, _pct(f.followed, f.sent), f.follow_days, f.action]
        for f in figures
        if f.sent
    ]
    chart = _bar(
        [row[0] for row in rows],
        [
            {
                "label": "Followed (% of prompts sent)",
                "data": [row[3] for row in rows],
                "backgroundColor": "#6a1b9a",
            }
        ],
        indexAxis="y",
        scales={"x": {"min": 0, "max": 100}},
        plugins={"legend": {"display": False}},
    )
    return Panel(
        key="prompts",
        title="Prompt effectiveness",
        columns=["Prompt", "Sent", "Followed", "Followed %", "Within days", "Followed means"],
        rows=rows,
        chart=chart,
        description=f"Of the prompts sent in the last {ctx.filters.days} days, the share "
        "followed by the prompted action within the rule's follow days, for the "
        "partnerships the filters select.",
        empty="No prompt was sent in the period.",
    )


# 5. What works by activity type ------------------------------------------------------------


def what_works(ctx: Context) -> Panel:
    """The rule of "what works" (activities.selectors.what_works): of the settled views of
    each kind of activity the host may see, the share that say it worked — here narrowed
    to the filtered partnerships and to activities done within the period."""
    tallies: dict[str, Rate] = {kind: Rate() for kind in ActivityType.values}
    for row in (
        Outcome.objects.filter(
            activity__partnership__in=ctx.partnerships.values("id"),
            activity__happened_on__gte=ctx.today - timedelta(days=ctx.filters.days),
            result__in=[Result.WORKED, Result.MIXED, Result.DIDNT],
        )
        .filter(Q(activity__visibility="shared") | Q(activity__side=Side.HOST))
        .values("activity__kind")
        .annotate(settled=Count("id"), worked=Count("id", filter=Q(result=Result.WORKED)))
        .order_by()
    ):
        tally = tallies.setdefault(row["activity__kind"], Rate())
        tally.worked += row["worked"]
        tally.settled += row["settled"]
    labels = dict(ActivityType.choices)
    rows = [
        [labels.get(kind, kind), rate.settled, rate.worked, _pct(rate.worked, rate.settled)]
        for kind, rate in tallies.items()
        if rate.settled
    ]
    rows.sort(key=lambda row: (-(row[3] or 0), row[0]))
    chart = _bar(
        [row[0] for row in rows],
        [
            {
                "label": "Worked (% of settled views)",
                "data": [row[3] for row in rows],
                "backgroundColor": "#3c71f7",
            }
        ],
        indexAxis="y",
        scales={"x": {"min": 0, "max": 100}},
        plugins={"legend": {"display": False}},
    )
    return Panel(
        key="what-works",
        title="What works by activity type",
        columns=["Activity", "Settled views", "Worked", "Worked %"],
        rows=rows,
        chart=chart,
        description=f"For activities done in the last {ctx.filters.days} days: of each "
        "side's settled view (worked, mixed, didn't; pending left out), the share that say "
        "it worked. Only activities you may see count: shared ones and your own private ones.",
        empty="No activity of the period has a recorded outcome yet.",
    )


# 6. Referrals: monthly pipeline and revenue, top partners ---------------------------------


def _month(day: date) -> date:
    return day.replace(day=1)


def _months_back(today: date, count: int) -> list[date]:
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def referral_state(status: str, stage: str) -> str:
    """Where a referral stands: waiting for a decision, declined, or its sales stage."""
    if status == ReferralStatus.SUBMITTED:
        return "waiting"
    if status == ReferralStatus.DECLINED:
        return "declined"
    return stage


REFERRAL_STATES: list[tuple[str, str]] = [
    ("waiting", "Waiting for a decision"),
    (ReferralStage.NEW, "New"),
    (ReferralStage.QUALIFIED, "Qualified"),
    (ReferralStage.PROPOSAL, "Proposal"),
    (ReferralStage.WON, "Won"),
    (ReferralStage.LOST, "Lost"),
    ("declined", "Declined"),
]
OPEN_STAGES = {ReferralStage.NEW, ReferralStage.QUALIFIED, ReferralStage.PROPOSAL}
ZERO = Decimal("0.00")


@dataclass
class _Referral:
    partnership_id: int
    state: str
    amount: Decimal | None
    submitted_on: date
    closed_on: date | None


def _referrals(ctx: Context, start: date) -> list[_Referral]:
    """Referrals registered or closed since `start`, or still open: one query."""
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    rows = Referral.objects.filter(partnership__in=ctx.partnerships.values("id")).filter(
        Q(submitted_at__gte=since)
        | Q(closed_on__gte=start)
        | Q(status=ReferralStatus.ACCEPTED, stage__in=OPEN_STAGES)
    )
    return [
        _Referral(
            partnership_id=pid,
            state=referral_state(status, stage),
            amount=amount,
            submitted_on=ctx.local_date(submitted_at),
            closed_on=closed_on,
        )
        for pid, status, stage, amount, submitted_at, closed_on in rows.values_list(
            "partnership_id", "status", "stage", "amount", "submitted_at", "closed_on"
        )
    ]


def referrals_monthly(ctx: Context, referrals: list[_Referral] | None = None) -> Panel:
    months = _months_back(ctx.today, REFERRAL_MONTHS)
    referrals = referrals if referrals is not None else _referrals(ctx, months[0])
    by_month: dict[date, dict[str, int]] = {m: defaultdict(int) for m in months}
    revenue: dict[date, Decimal] = dict.fromkeys(months, ZERO)
    for r in referrals:
        registered = _month(r.submitted_on)
        if registered in by_month:
            by_month[registered][r.state] += 1
        if r.state == ReferralStage.WON and r.closed_on and _month(r.closed_on) in revenue:
            revenue[_month(r.closed_on)] += r.amount or ZERO
    rows = [
        [
            m.strftime("%Y-%m"),
            *(by_month[m][state] for state, _ in REFERRAL_STATES),
            revenue[m],
        ]
        for m in months
    ]
    if not any(any(row[1:]) for row in rows):
        rows = []
    datasets: list[dict[str, Any]] = [
        {
            "label": label,
            "data": [row[1 + i] for row in rows],
            "backgroundColor": STAGE_COLORS[state],
            "stack": "referrals",
            "yAxisID": "y",
        }
        for i, (state, label) in enumerate(REFERRAL_STATES)
    ]
    datasets.append(
        {
            "type": "line",
            "label": "Revenue won",
            "data": [float(row[-1]) for row in rows],
            "borderColor": "#2e7d32",
            "backgroundColor": "#2e7d32",
            "yAxisID": "revenue",
        }
    )
    chart = _bar(
        [row[0] for row in rows],
        datasets,
        scales={
            "x": {"stacked": True},
            "y": {
                "stacked": True,
                "beginAtZero": True,
                "ticks": {"precision": 0},
                "title": {"display": True, "text": "Referrals"},
            },
            "revenue": {
                "position": "right",
                "beginAtZero": True,
                "grid": {"drawOnChartArea": False},
                "title": {"display": True, "text": "Revenue won"},
            },
        },
    )
    return Panel(
        key="referrals",
        title="Referral pipeline and revenue by month",
        columns=["Month", *(label for _, label in REFERRAL_STATES), "Revenue won"],
        rows=rows,
        chart=chart,
        description=f"The last {REFERRAL_MONTHS} months: the referrals registered each month "
        "by where they stand now, and the amounts of the referrals won, by the month they "
        "closed.",
        empty=f"No referral in the last {REFERRAL_MONTHS} months.",
    )


def referrals_by_partner(ctx: Context, referrals: list[_Referral] | None = None) -> Panel:
    start = ctx.today - timedelta(days=ctx.filters.days)
    referrals = referrals if referrals is not None else _referrals(ctx, start)
    names = {r.id: (r.name, r.code) for r in ctx.rows}
    registered: dict[int, int] = defaultdict(int)
    pipeline: dict[int, Decimal] = defaultdict(lambda: ZERO)
    won: dict[int, int] = defaultdict(int)
    revenue: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in referrals:
        pid = r.partnership_id
        if r.submitted_on >= start:
            registered[pid] += 1
        if r.state in OPEN_STAGES:
            pipeline[pid] += r.amount or ZERO
        if r.state == ReferralStage.WON and r.closed_on and r.closed_on >= start:
            won[pid] += 1
            revenue[pid] += r.amount or ZERO
    partners = set(registered) | set(pipeline) | set(won)
    ranked = sorted(
        (pid for pid in partners if pid in names),
        key=lambda pid: (-revenue[pid], -pipeline[pid], -registered[pid], names[pid][0]),
    )[:TOP_PARTNERS]
    rows = [
        [names[pid][0], registered[pid], won[pid], revenue[pid], pipeline[pid]] for pid in ranked
    ]
    chart = _bar(
        [row[0] for row in rows],
        [
            {
                "label": "Revenue won",
                "data": [float(row[3]) for row in rows],
                "backgroundColor": "#2e7d32",
            },
            {
                "label": "Open pipeline",
                "data": [float(row[4]) for row in rows],
                "backgroundColor": "#42a5f5",
            },
        ],
        indexAxis="y",
        scales={"x": {"beginAtZero": True}},
    )
    return Panel(
        key="top-partners",
        title="Top partners by referral revenue",
        columns=[
            "Partner",
            f"Referrals registered (last {ctx.filters.days} days)",
            "Won in the period",
            "Revenue won in the period",
            "Open pipeline now",
        ],
        rows=rows,
        chart=chart,
        description=f"The {TOP_PARTNERS} partners with the most revenue won in the last "
        f"{ctx.filters.days} days, then the largest open pipeline (accepted referrals not "
        "yet won or lost).",
        empty="No referral in the period and none open.",
        links=[ctx.workspace(names[pid][1]) for pid in ranked],
    )


# 7. IPP test: the active version against the previous one ----------------------------------


def _versions(ctx: Context) -> list[IppVersion]:
    """The active version and the one before it (by number), when there is one."""
    versions = list(
        IppVersion.objects.filter(host=ctx.actor.organization)
        .exclude(status=VersionStatus.DRAFT)
        .order_by("-number")
    )
    active = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
    if active is None:
        return []
    previous = next((v for v in versions if v.number < active.number), None)
    return [active, previous] if previous else [active]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def ipp_test(ctx: Context) -> Panel:
    columns = [
        "Version",
        "Partnerships",
        "Successful",
        "Spearman",
        "High band",
        "Success in high band %",
        "Success elsewhere %",
        "Separation (points)",
        "Recall %",
    ]
    base = Panel(
        key="ipp-test",
        title="IPP test: active version against the previous one",
        columns=columns,
        rows=[],
        description="Each partnership is scored against the version and set beside its "
        "outcome: Spearman compares the rankings (1 is perfect), separation is the success "
        "rate in the high band minus the rate elsewhere, recall the share of successful "
        f"partnerships the high band found. “Recent” is the last {ctx.filters.days} days.",
    )
    if not ctx.actor.can_manage:
        base.empty = "Owners, admins and managers see the IPP test."
        return base
    versions = _versions(ctx)
    if not versions:
        base.empty = "Activate a version of your Ideal Partner Profile to test it."
        return base
    codes = {r.code for r in ctx.rows}
    rows: list[list[Any]] = []
    outcome_cache: dict[int, dict[int, float]] = {}
    for version in versions:
        report: IppTestReport = run_ipp_test(
            actor=ctx.actor,
            version=version,
            now=ctx.now,
            recent_days=ctx.filters.days,
            outcome_cache=outcome_cache,
        )
        scored = [s for s in report.scored if s.code in codes]
        cutoff = ctx.now - timedelta(days=ctx.filters.days)
        status = "active" if version.status == VersionStatus.ACTIVE else "previous"
        for label, subset in (
            ("all", scored),
            ("recent", [s for s in scored if s.created_at >= cutoff]),
            ("older", [s for s in scored if s.created_at < cutoff]),
        ):
            split = split_report(label, subset)
            rows.append(
                [
                    f"Version {version.number} ({status}), {label}",
                    split.count,
                    split.successes,
                    split.spearman,
                    split.high_count,
                    _ratio(split.high_success_rate),
                    _ratio(split.rest_success_rate),
                    _ratio(split.separation),
                    _ratio(split.recall),
                ]
            )
    if not any(row[1] for row in rows):
        base.empty = "No partnership has a fit checklist and an outcome to test yet."
        return base
    base.rows = rows
    base.chart = _bar(
        [row[0] for row in rows],
        [
            {
                "label": "Separation (points)",
                "data": [row[7] for row in rows],
                "backgroundColor": "#3c71f7",
            },
            {
                "label": "Spearman × 100",
                "data": [None if row[3] is None else round(100 * row[3], 1) for row in rows],
                "backgroundColor": "#6a1b9a",
            },
        ],
        scales={"y": {"min": -100, "max": 100}},
    )
    return base


# The dashboard -------------------------------------------------------------------------------

# The panels' keys in the order the dashboard shows them (`?csv=<key>` downloads one).
PANEL_KEYS = (
    "stages",
    "quadrant",
    "funnel",
    "stalls",
    "prompts",
    "what-works",
    "referrals",
    "top-partners",
    "ipp-test",
)


@dataclass
class HostDashboard:
    filters: HostFilters
    hosts: bool
    panels: list[Panel] = field(default_factory=list)


def hosts_any(*, actor: Actor) -> bool:
    return Partnership.objects.filter(host=actor.organization).exists()


def partnerships_as_partner(*, actor: Actor) -> QuerySet[Partnership]:
    """The programs the organization partners with (for a partner-only organization)."""
    return (
        Partnership.objects.filter(partner=actor.organization)
        .select_related("host")
        .order_by("host__name", "id")
    )


def host_dashboard(
    *, actor: Actor, filters: HostFilters, now: datetime | None = None
) -> HostDashboard:
    """Every panel of the host dashboard, for the partnerships the actor's organization
    hosts. An organization that hosts none gets no panel."""
    if not hosts_any(actor=actor):
        return HostDashboard(filters=filters, hosts=False)
    ctx = Context(actor=actor, filters=filters, now=now or timezone.now())
    funnel_data = _funnel_data(ctx)
    months = _months_back(ctx.today, REFERRAL_MONTHS)
    start = min(months[0], ctx.today - timedelta(days=filters.days))
    referrals = _referrals(ctx, start)
    panels = [
        stage_by_fit(ctx),
        fit_health_quadrant(ctx),
        funnel(ctx, funnel_data),
        stalls(ctx, funnel_data),
        prompts(ctx),
        what_works(ctx),
        referrals_monthly(ctx, referrals),
        referrals_by_partner(ctx, referrals),
        ipp_test(ctx),
    ]
    return HostDashboard(filters=filters, hosts=True, panels=panels)
