"""Reads of accountability: commitments of one partnership (already resolved for the
actor), the response clocks of partner requests, the host's fairness report and the
partner scorecard.

Commitments, a partnership's responsiveness and its scorecard are shared: both sides read
the same figures, which count shared records only. The responsiveness report and the
fairness report are the host's, over the partnerships its organization hosts; they read
every partnership in a fixed number of grouped queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from partnerloop.accountability import fairness
from partnerloop.accountability.figures import ResponseTally, hours_between, median, rounded
from partnerloop.accountability.models import (
    DEFAULT_TARGET_HOURS,
    Commitment,
    CommitmentStatus,
    FairnessFlagHandled,
    PartnerRequest,
    RequestKind,
    ResponseTarget,
)
from partnerloop.accountability.responsiveness import AUTOMATIC_KINDS
from partnerloop.accounts.models import Organization
from partnerloop.activities.models import Activity, ActivityType, Outcome, Result
from partnerloop.fit.models import Band
from partnerloop.partnerships.models import Partnership, Side, Tier, TimelineEvent, Visibility
from partnerloop.plans.models import PlanStep, StepStatus
from partnerloop.prompts.models import Event, EventKind, EventStatus
from partnerloop.prompts.rules import WORKING_STAGES
from partnerloop.referrals.models import Referral, ReferralStage, ReferralStatus


def commitments_for(*, partnership: Partnership) -> QuerySet[Commitment]:
    return Commitment.objects.filter(partnership=partnership)


def commitment_for(*, partnership: Partnership, code: str) -> Commitment:
    found = commitments_for(partnership=partnership).filter(code=code).first()
    if found is None:
        raise Http404("No such commitment.")
    return found


@dataclass
class PromisesKept:
    """One side's record: kept of those due and closed, and the open ones past their date."""

    kept: int = 0
    missed: int = 0
    open: int = 0
    late: int = 0

    @property
    def rate(self) -> float | None:
        closed = self.kept + self.missed
        return round(self.kept / closed, 4) if closed else None


def promises_kept(commitments: list[Commitment], *, today: date) -> dict[str, PromisesKept]:
    record = {Side.HOST: PromisesKept(), Side.PARTNER: PromisesKept()}
    for c in commitments:
        tally = record[Side(c.side)]
        if c.status == CommitmentStatus.KEPT:
            tally.kept += 1
        elif c.status == CommitmentStatus.MISSED:
            tally.missed += 1
        else:
            tally.open += 1
            if c.due_on < today:
                tally.late += 1
    return record


def workspace_commitments(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The commitments section: every promise of both sides and each side's record (the
    host's responsiveness to this partner loads after the page, `partnership_responsiveness`)."""
    today = timezone.localdate()
    commitments = list(commitments_for(partnership=partnership))
    record = promises_kept(commitments, today=today)
    return {
        "commitments": commitments,
        "promises": [
            (partnership.host.name, record[Side.HOST]),
            (partnership.partner.name, record[Side.PARTNER]),
        ],
        "today": today,
    }


# Windows ---------------------------------------------------------------------------------

PERIODS = (30, 90, 365)
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Window:
    """The `days` calendar days ending with `today` (in the server's time zone): from the
    start of `first_day` to the start of the day after `today`. `now` is the moment waiting
    times are measured at: the current time, or the window's end if that is earlier."""

    days: int
    first_day: date
    today: date
    start: datetime
    end: datetime
    now: datetime


def window_of(
    *, days: int = DEFAULT_DAYS, today: date | None = None, now: datetime | None = None
) -> Window:
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    return Window(days, first_day, today, start, end, min(now, end))


def period_days(value: object) -> int:
    """A period chosen in a page or an API call: 30, 90 or 365 days (90 otherwise)."""
    text = str(value or "")
    return int(text) if text in {str(d) for d in PERIODS} else DEFAULT_DAYS


# Response targets ------------------------------------------------------------------------


def targets_for(*, host_id: int) -> dict[str, int]:
    """Hours to first response per kind of request: the host's own, or the defaults."""
    hours = {str(kind): value for kind, value in DEFAULT_TARGET_HOURS.items()}
    hours.update(ResponseTarget.objects.filter(host_id=host_id).values_list("kind", "hours"))
    return hours


@dataclass
class TargetRow:
    kind: str
    label: str
    hours: int
    default: int

    @property
    def is_default(self) -> bool:
        return self.hours == self.default


def target_rows(*, host_id: int) -> list[TargetRow]:
    hours = targets_for(host_id=host_id)
    return [
        TargetRow(kind, label, hours[kind], DEFAULT_TARGET_HOURS[kind])
        for kind, label in RequestKind.choices
    ]


# Responsiveness --------------------------------------------------------------------------

KIND_LABELS = dict(RequestKind.choices)
NO_OWNER = "No owner"
SOMEONE_WHO_LEFT = "Someone who has left"


@dataclass
class ResponseRow:
    key: str
    label: str
    tally: ResponseTally = field(default_factory=ResponseTally)
    target: int | None = None


@dataclass
class WaitingRequest:
    partnership_code: str
    partner_name: str
    kind: str
    summary: str
    asked_at: datetime
    hours: float
    target: int
    owner: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def over_target(self) -> bool:
        return self.hours > self.target


@dataclass
class ResponsivenessReport:
    window: Window
    targets: dict[str, int]
    overall: ResponseTally
    kinds: list[ResponseRow]
    partnerships: list[ResponseRow]
    teammates: list[ResponseRow]
    waiting: list[WaitingRequest]

    @property
    def any(self) -> bool:
        return bool(self.overall.requests or self.waiting)


def _slowest_first(rows: list[ResponseRow]) -> list[ResponseRow]:
    """Most waiting first, then the slowest median, then by name."""
    return sorted(
        rows,
        key=lambda r: (
            -r.tally.waiting,
            -(r.tally.median_hours if r.tally.median_hours is not None else -1),
            r.label.lower(),
        ),
    )


def responsiveness_report(
    *, host: Organization | int, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> ResponsivenessReport:
    """The host's response times to its partners' requests over the last `days` days, per
    kind of request, per partnership and per teammate (the one who answered; a request not
    answered counts against the partnership's host owner). Two queries."""
    host_id = host if isinstance(host, int) else host.pk
    w = window_of(days=days, now=now)
    targets = targets_for(host_id=host_id)
    rows = (
        PartnerRequest.objects.filter(partnership__host_id=host_id)
        .filter(Q(asked_at__gte=w.start, asked_at__lt=w.end) | Q(answered_at__isnull=True))
        .values_list(
            "partnership__code",
            "partnership__partner__name",
            "partnership__host_owner__email",
            "kind",
            "asked_at",
            "answered_at",
            "answered_by__email",
            "summary",
        )
        .order_by("asked_at", "id")
    )
    overall = ResponseTally()
    kinds = {
        kind: ResponseRow(kind, label, target=targets[kind]) for kind, label in RequestKind.choices
    }
    partnerships: dict[str, ResponseRow] = {}
    teammates: dict[str, ResponseRow] = {}
    waiting: list[WaitingRequest] = []
    for code, name, owner, kind, asked_at, answered_at, answerer, summary in rows:
        target = targets.get(kind, 0)
        in_period = w.start <= asked_at < w.end
        if answered_at is None:
            who = owner or NO_OWNER
            waiting.append(
                WaitingRequest(
                    code,
                    name,
                    kind,
                    summary,
                    asked_at,
                    rounded(hours_between(asked_at, w.now)) or 0.0,
                    target,
                    who,
                )
            )
        else:
            who = answerer or SOMEONE_WHO_LEFT
        for tally in (
            overall,
            kinds.setdefault(kind, ResponseRow(kind, kind, target=target)).tally,
            partnerships.setdefault(code, ResponseRow(code, name)).tally,
            teammates.setdefault(who, ResponseRow(who, who)).tally,
        ):
            tally.add(
                asked_at=asked_at,
                answered_at=answered_at,
                target_hours=target,
                now=w.now,
                in_period=in_period,
            )
    return ResponsivenessReport(
        window=w,
        targets=targets,
        overall=overall,
        kinds=list(kinds.values()),
        partnerships=_slowest_first(list(partnerships.values())),
        teammates=_slowest_first(list(teammates.values())),
        waiting=waiting,  # oldest first
    )


@dataclass
class PartnershipResponsiveness:
    """The host's responsiveness to one partner: shown to both sides of the partnership."""

    days: int
    overall: ResponseTally
    kinds: list[ResponseRow]

    @property
    def any(self) -> bool:
        return bool(self.overall.requests or self.overall.waiting)


def partnership_responsiveness(
    *, partnership: Partnership, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> PartnershipResponsiveness:
    """Per kind of request of this partnership: median hours to the host's first response
    over the last `days` days, against the host's target; and what is waiting. Two queries."""
    w = window_of(days=days, now=now)
    targets = targets_for(host_id=partnership.host_id)
    overall = ResponseTally()
    kinds: dict[str, ResponseRow] = {}
    for kind, asked_at, answered_at in (
        PartnerRequest.objects.filter(partnership=partnership)
        .filter(Q(asked_at__gte=w.start, asked_at__lt=w.end) | Q(answered_at__isnull=True))
        .values_list("kind", "asked_at", "answered_at")
        .order_by()
    ):
        target = targets.get(kind, 0)
        row = kinds.setdefault(kind, ResponseRow(kind, KIND_LABELS.get(kind, kind), target=target))
        for tally in (overall, row.tally):
            tally.add(
                asked_at=asked_at,
                answered_at=answered_at,
                target_hours=target,
                now=w.now,
                in_period=w.start <= asked_at < w.end,
            )
    order = list(KIND_LABELS)
    return PartnershipResponsiveness(
        days=days,
        overall=overall,
        kinds=sorted(kinds.values(), key=lambda r: order.index(r.key) if r.key in order else 99),
    )


# Fairness --------------------------------------------------------------------------------

# Host-logged shared activities that hand the partner resources or leads.
RESOURCE_KINDS = (
    ActivityType.ENABLEMENT,
    ActivityType.CAMPAIGN,
    ActivityType.REFERRAL_PUSH,
    ActivityType.ACCOUNT_MAPPING,
)


@dataclass
class FairnessReport:
    window: Window
    partnerships: list[fairness.PartnerFigures]
    groups: list[fairness.PeerGroup]
    flags: list[fairness.Flag]
    targets: dict[str, int]

    @property
    def open_flags(self) -> list[fairness.Flag]:
        return [f for f in self.flags if f.is_open]

    @property
    def handled_flags(self) -> list[fairness.Flag]:
        return [f for f in self.flags if not f.is_open]

    def open_count_of(self) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for f in self.open_flags:
            counts[f.partnership.partnership_id] += 1
        return dict(counts)


def fairness_report(
    *,
    host: Organization | int,
    today: date | None = None,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> FairnessReport:
    """For every partnership the host has in a working stage (onboarding, active,
    strategic): its figures over the window, its peer groups (same tier, same fit band) and
    the flags of the rules in `fairness.py`, each with its handling if any.

    Eight queries, whatever the number of partnerships or activities: the partnerships,
    then one grouped query each for touches, resources, reviews, response clocks,
    referral decisions, the targets and the handled flags."""
    host_id = host if isinstance(host, int) else host.pk
    w = window_of(days=days, today=today, now=now)
    scope = {"partnership__host_id": host_id, "partnership__stage__in": WORKING_STAGES}
    figures: dict[int, fairness.PartnerFigures] = {
        pid: fairness.PartnerFigures(pid, code, name, tier or "", band or "")
        for pid, code, name, tier, band in Partnership.objects.filter(
            host_id=host_id, stage__in=WORKING_STAGES
        )
        .values_list("id", "code", "partner__name", "tier", "current_fit__band")
        .order_by("partner__name", "id")
    }

    def counts(rows: Any) -> dict[int, int]:
        return dict(rows.values_list("partnership_id").annotate(n=Count("id")).order_by())

    touches = counts(
        TimelineEvent.objects.filter(
            **scope,
            side=Side.HOST,
            visibility=Visibility.SHARED,
            actor__isnull=False,
            created_at__gte=w.start,
            created_at__lt=w.end,
        ).exclude(kind__in=AUTOMATIC_KINDS)
    )
    resources = counts(
        Activity.objects.filter(
            **scope,
            side=Side.HOST,
            visibility=Visibility.SHARED,
            kind__in=RESOURCE_KINDS,
            happened_on__gte=w.first_day,
            happened_on__lte=w.today,
        )
    )
    reviews = counts(
        Event.objects.filter(
            **scope,
            kind=EventKind.REVIEW,
            status=EventStatus.CONFIRMED,
            starts_at__gte=w.start,
            starts_at__lte=w.now,
        )
    )
    targets = targets_for(host_id=host_id)
    clocks: dict[int, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for pid, kind, asked_at, answered_at in (
        PartnerRequest.objects.filter(**scope, asked_at__gte=w.start, asked_at__lt=w.end)
        .values_list("partnership_id", "kind", "asked_at", "answered_at")
        .order_by()
    ):
        took, held_to = clocks[pid]
        took.append(hours_between(asked_at, answered_at or w.now))
        held_to.append(float(targets.get(kind, 0)))
    decisions = {
        pid: (decided, accepted)
        for pid, decided, accepted in Referral.objects.filter(
            host_id=host_id,
            partnership__stage__in=WORKING_STAGES,
            status__in=[ReferralStatus.ACCEPTED, ReferralStatus.DECLINED],
            decided_at__gte=w.start,
            decided_at__lt=w.end,
        )
        .values_list("partnership_id")
        .annotate(
            decided=Count("id"), accepted=Count("id", filter=Q(status=ReferralStatus.ACCEPTED))
        )
        .order_by()
    }
    for pid, p in figures.items():
        p.touches = touches.get(pid, 0)
        p.resources = resources.get(pid, 0)
        p.reviews = reviews.get(pid, 0)
        if pid in clocks:
            took, held_to = clocks[pid]
            p.response_hours = rounded(median(took))
            p.response_target = median(held_to)
        p.decided, p.accepted = decisions.get(pid, (0, 0))

    groups = fairness.peer_groups(
        figures.values(),
        tier_labels={k: v for k, v in Tier.choices if k},
        band_labels=dict(Band.choices),
    )
    flags = [flag for group in groups for flag in fairness.evaluate(group)]
    handled: dict[tuple[int, str, str], fairness.Handled] = {}
    for pid, metric, group, note, email, handled_at in (
        FairnessFlagHandled.objects.filter(host_id=host_id, handled_at__gte=w.start)
        .values_list("partnership_id", "metric", "group", "note", "handled_by__email", "handled_at")
        .order_by("handled_at", "id")
    ):
        handled[(pid, metric, group)] = fairness.Handled(
            note, email or SOMEONE_WHO_LEFT, handled_at
        )
    for flag in flags:
        flag.handled = handled.get((flag.partnership.partnership_id, flag.metric, flag.group))
    flags.sort(key=lambda f: (not f.is_open, f.partnership.name.lower(), f.metric, f.group))
    return FairnessReport(
        window=w, partnerships=list(figures.values()), groups=groups, flags=flags, targets=targets
    )


# The partner scorecard -------------------------------------------------------------------

# A median is shown only when at least this many other partnerships of the tier have the
# figure: fewer could let a partner work out a peer's own figures.
SCORECARD_MIN_PEERS = 5


@dataclass(frozen=True)
class ScoreDefinition:
    key: str
    label: str
    unit: str  # count, share or amount
    help: str


SCORE_LINES = (
    ScoreDefinition(
        "activities", "Activities done together", "count", "Shared activities that happened"
    ),
    ScoreDefinition(
        "worked_share",
        "Activities that worked",
        "share",
        "Of the settled views on those activities (either side), the share that say it worked",
    ),
    ScoreDefinition(
        "referrals_registered", "Referrals registered", "count", "Registered in the window"
    ),
    ScoreDefinition(
        "referrals_accepted", "Referrals accepted", "count", "Accepted by the host in the window"
    ),
    ScoreDefinition("referrals_won", "Referrals won", "count", "Won in the window"),
    ScoreDefinition("won_amount", "Amount won", "amount", "The amounts of the referrals won"),
    ScoreDefinition(
        "promises_kept",
        "Promises kept (partner side)",
        "share",
        "Kept of the partner's promises due in the window and closed",
    ),
    ScoreDefinition(
        "steps_done", "Plan steps done", "count", "Shared plan steps done in the window"
    ),
)


@dataclass
class ScoreLine:
    definition: ScoreDefinition
    value: float | int | Decimal | None
    peer_median: float | None

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def compared(self) -> bool:
        return self.peer_median is not None


@dataclass
class Scorecard:
    window: Window
    tier: str
    tier_label: str
    # Whether the tier has enough other partnerships to show medians at all.
    comparable: bool
    reason: str
    lines: list[ScoreLine]


def _empty_figures() -> dict[str, Any]:
    return {
        "activities": 0,
        "worked_share": None,
        "referrals_registered": 0,
        "referrals_accepted": 0,
        "referrals_won": 0,
        "won_amount": Decimal("0"),
        "promises_kept": None,
        "steps_done": 0,
    }


def scorecard_figures(scope: Q, w: Window) -> dict[int, dict[str, Any]]:
    """The scorecard figures of every partnership in `scope` (a Q on `Partnership`), in
    five grouped queries. Shared records only: both sides read the same figures."""

    def on(prefix: str) -> Q:
        return Q(**{f"{prefix}__in": Partnership.objects.filter(scope).values("id")})

    figures: dict[int, dict[str, Any]] = defaultdict(_empty_figures)
    for pid, n in (
        Activity.objects.filter(
            on("partnership_id"),
            visibility=Visibility.SHARED,
            happened_on__gte=w.first_day,
            happened_on__lte=w.today,
        )
        .values_list("partnership_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures[pid]["activities"] = n
    settled = [Result.WORKED, Result.MIXED, Result.DIDNT]
    for pid, views, worked in (
        Outcome.objects.filter(
            on("activity__partnership_id"),
            activity__visibility=Visibility.SHARED,
            activity__happened_on__gte=w.first_day,
            activity__happened_on__lte=w.today,
            result__in=settled,
        )
        .values_list("activity__partnership_id")
        .annotate(views=Count("id"), worked=Count("id", filter=Q(result=Result.WORKED)))
        .order_by()
    ):
        figures[pid]["worked_share"] = round(worked / views, 4)
    registered = Q(submitted_at__gte=w.start, submitted_at__lt=w.end)
    accepted = Q(status=ReferralStatus.ACCEPTED, decided_at__gte=w.start, decided_at__lt=w.end)
    won = Q(stage=ReferralStage.WON, closed_on__gte=w.first_day, closed_on__lte=w.today)
    for pid, n_registered, n_accepted, n_won, amount in (
        Referral.objects.filter(on("partnership_id"))
        .filter(registered | accepted | won)
        .values_list("partnership_id")
        .annotate(
            registered=Count("id", filter=registered),
            accepted=Count("id", filter=accepted),
            won=Count("id", filter=won),
            amount=Sum("amount", filter=won),
        )
        .order_by()
    ):
        figures[pid].update(
            referrals_registered=n_registered,
            referrals_accepted=n_accepted,
            referrals_won=n_won,
            won_amount=amount or Decimal("0"),
        )
    for pid, kept, closed in (
        Commitment.objects.filter(
            on("partnership_id"),
            side=Side.PARTNER,
            status__in=[CommitmentStatus.KEPT, CommitmentStatus.MISSED],
            due_on__gte=w.first_day,
            due_on__lte=w.today,
        )
        .values_list("partnership_id")
        .annotate(kept=Count("id", filter=Q(status=CommitmentStatus.KEPT)), closed=Count("id"))
        .order_by()
    ):
        figures[pid]["promises_kept"] = round(kept / closed, 4)
    for pid, n in (
        PlanStep.objects.filter(
            on("partnership_id"),
            status=StepStatus.DONE,
            visibility=Visibility.SHARED,
            done_at__gte=w.start,
            done_at__lt=w.end,
        )
        .values_list("partnership_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures[pid]["steps_done"] = n
    return figures


def scorecard(
    *,
    partnership: Partnership,
    days: int = DEFAULT_DAYS,
    today: date | None = None,
    now: datetime | None = None,
) -> Scorecard:
    """The partnership's own figures against the median of the host's other working
    partnerships of the same tier. Anonymous by construction: no name, no other
    partnership's figure, and no median unless at least SCORECARD_MIN_PEERS other
    partnerships have that figure; the number of partners in the tier is never returned."""
    w = window_of(days=days, today=today, now=now)
    tier_label = dict(Tier.choices).get(partnership.tier, "") if partnership.tier else ""
    peers = Q()
    peer_total = 0
    reason = ""
    if not partnership.tier:
        reason = "This partnership has no tier yet, so there is no group to compare with."
    else:
        peers = Q(
            host_id=partnership.host_id, tier=partnership.tier, stage__in=WORKING_STAGES
        ) & ~Q(pk=partnership.pk)
        peer_total = Partnership.objects.filter(peers).count()
        if peer_total < SCORECARD_MIN_PEERS:
            peers = Q()
            reason = (
                "There are too few partners in this tier to compare without identifying "
                "anyone, so no median is shown."
            )
    scope = Q(pk=partnership.pk) | peers if peers else Q(pk=partnership.pk)
    figures = scorecard_figures(scope, w)
    own = figures[partnership.pk]
    peer_figures = [f for pid, f in figures.items() if pid != partnership.pk]
    if peers:
        # Peers with nothing in the window have no row: they count with empty figures.
        peer_figures += [_empty_figures() for _ in range(peer_total - len(peer_figures))]
    lines = []
    for definition in SCORE_LINES:
        values = [f[definition.key] for f in peer_figures if f[definition.key] is not None]
        peer_median = (
            median([float(v) for v in values]) if len(values) >= SCORECARD_MIN_PEERS else None
        )
        lines.append(ScoreLine(definition, own[definition.key], rounded(peer_median, 4)))
    return Scorecard(
        window=w,
        tier=partnership.tier,
        tier_label=tier_label,
        comparable=bool(peers),
        reason=reason,
        lines=lines,
    )
