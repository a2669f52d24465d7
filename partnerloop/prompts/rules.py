"""What each kind of prompt rule asks for, and the prompts one scheduler pass owes.

`due_prompts(context)` looks at every partnership of the hosts in `context` at once (a
fixed number of queries per kind, never one per partnership) and yields `Due` records.
The scheduler turns them into `Prompt` rows with a dedupe key; the same state at the same
time always yields the same keys, which is what makes a pass safe to repeat.

Dedupe keys are `<kind>:<rule>:<partnership>:<subject>:<occurrence>:<recipient>`; the
recipient's user id is always the last part (webhooks drop it to announce an event once
per organization).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone

from partnerloop.accounts.models import WRITE_ROLES, Membership
from partnerloop.fit.models import Evaluation, EvaluationStatus, IppVersion, VersionStatus
from partnerloop.partnerships.models import (
    Partnership,
    Side,
    Stage,
    TimelineEvent,
    Visibility,
    other_side,
)
from partnerloop.plans.models import EFFORT_POINTS, Milestone, OwnerSide, PlanStep, StepStatus
from partnerloop.prompts.cadence import latest_occurrence
from partnerloop.prompts.models import (
    Audience,
    CheckIn,
    Event,
    EventKind,
    EventStatus,
    PromptKind,
    PromptOverride,
    PromptPreference,
    PromptRule,
)

# Stages whose partnerships hear from the scheduler at all.
LIVE_STAGES = (Stage.PROSPECT, Stage.EVALUATING, Stage.ONBOARDING, Stage.ACTIVE, Stage.STRATEGIC)
# Cadences and silence make sense once both sides are working together.
WORKING_STAGES = (Stage.ONBOARDING, Stage.ACTIVE, Stage.STRATEGIC)
# A side with no owner is prompted through at most this many of its writers.
MAX_RECIPIENTS_PER_SIDE = 5
# Occurrences older than this are not prompted late (after a long stop of the worker).
CADENCE_GRACE = timedelta(days=3)
FIRST_REVENUE_KEY = "first_revenue"

# The days each kind uses when its rule leaves `days` empty.
DEFAULT_DAYS = {
    PromptKind.EVENT: 7,  # remind this many days ahead
    PromptKind.MILESTONE: 14,  # celebrate milestones reached this recently
    PromptKind.FIRST_REVENUE: 14,
    PromptKind.STEP_OVERDUE: 1,  # overdue by this many days
    PromptKind.SILENCE: 21,  # no partner activity for this many days
    PromptKind.DID_IT_WORK: 14,  # done this many days ago, no outcome yet
    PromptKind.REEVALUATE_FIT: 30,  # versions activated this recently
    PromptKind.SHARE_BACK: 3,  # the other side has shared for this many days
}

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "kind": PromptKind.CADENCE,
        "name": "Monthly check-in",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
        "audience": Audience.BOTH,
        "follow_days": 7,
    },
    {
        "kind": PromptKind.CADENCE,
        "name": "Quarterly business review",
        "rrule": "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
        "days": 14,
        "audience": Audience.BOTH,
        "follow_days": 14,
    },
    {"kind": PromptKind.EVENT, "name": "Upcoming review or joint event", "days": 7},
    {"kind": PromptKind.MILESTONE, "name": "Milestone reached", "days": 14},
    {"kind": PromptKind.FIRST_REVENUE, "name": "First revenue", "days": 14},
    {"kind": PromptKind.STEP_OVERDUE, "name": "Step overdue", "days": 1},
    {"kind": PromptKind.SILENCE, "name": "Partner quiet", "days": 21, "follow_days": 14},
    {"kind": PromptKind.DID_IT_WORK, "name": "Did it work?", "days": 14, "follow_days": 14},
    {
        "kind": PromptKind.REEVALUATE_FIT,
        "name": "New partner profile: re-evaluate fit",
        "days": 30,
        "audience": Audience.HOST,
        "follow_days": 30,
    },
    {
        "kind": PromptKind.REQUEST_WAITING,
        "name": "Partner waiting for an answer",
        "audience": Audience.HOST,
        "follow_days": 7,
    },
    {
        "kind": PromptKind.SHARE_BACK,
        "name": "Share the account overlap back",
        "days": 3,
        "follow_days": 14,
    },
]
# A side that has not shared back this long after the other side is no longer asked.
SHARE_BACK_HORIZON = timedelta(days=60)
# A request still unanswered after this long is no longer reminded (it shows in the
# responsiveness report's waiting list instead).
WAITING_HORIZON = timedelta(days=30)
REQUEST_WORDS = {"referral": "referral", "check_in": "check-in", "comment": "comment"}


@dataclass(frozen=True)
class PartnershipRow:
    id: int
    code: str
    host_id: int
    partner_id: int
    host_name: str
    partner_name: str
    stage: str
    created_at: datetime
    host_owner_id: int | None
    partner_owner_id: int | None

    def other_name(self, side: str) -> str:
        return self.partner_name if side == Side.HOST else self.host_name


@dataclass(frozen=True)
class EffectiveRule:
    """A host rule as it applies to one partnership (after its override)."""

    rule: PromptRule
    rrule: str
    days: int


@dataclass
class Due:
    """A prompt a pass owes one side of a partnership; recipients are resolved later."""

    kind: str
    rule: PromptRule
    partnership: PartnershipRow
    side: str
    subject: str
    occurrence: str
    title: str
    body: str = ""
    action: str = ""
    subject_code: str = ""
    celebration: bool = False
    # Only these users (e.g. whoever marked the step done); else the side's recipients.
    only_user: int | None = None
    # A review proposed by a cadence: (partnership, rule, occurrence); its code is filled
    # in as `subject_code` once the scheduler has stored the event.
    review: tuple[int, int, date] | None = None


@dataclass
class Context:
    now: datetime
    rules: list[PromptRule]
    partnerships: dict[int, PartnershipRow]
    # (partnership id, rule id) -> override (enabled, rrule, days)
    overrides: dict[tuple[int, int], tuple[bool, str, int | None]]
    writers: dict[int, list[int]] = field(default_factory=dict)  # organization -> users
    muted: dict[int, set[str]] = field(default_factory=dict)  # user -> muted kinds

    today: date = field(init=False)
    by_host: dict[int, list[PartnershipRow]] = field(init=False)
    overridden: set[int] = field(init=False)
    _defaults: dict[int, EffectiveRule] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.today = timezone.localdate(self.now)
        self.overridden = {rule_id for (_p, rule_id) in self.overrides}
        self.by_host = defaultdict(list)
        for p in self.partnerships.values():
            self.by_host[p.host_id].append(p)

    def scope(self, stages: tuple[str, ...] = LIVE_STAGES) -> dict[str, Any]:
        """Filter keywords for rows of the partnerships in play: by host and stage (a join),
        not a list of thousands of ids."""
        return {
            "partnership__host_id__in": sorted(self.by_host),
            "partnership__stage__in": stages,
        }

    def effective(self, rule: PromptRule, partnership_id: int) -> EffectiveRule | None:
        if rule.pk not in self.overridden:
            # Most rules have no override at all: one shared answer per rule.
            default = self._defaults.get(rule.pk)
            if default is None:
                default = self._defaults[rule.pk] = EffectiveRule(
                    rule,
                    rule.rrule,
                    rule.days if rule.days is not None else DEFAULT_DAYS.get(rule.kind, 0),
                )
            return default
        override = self.overrides.get((partnership_id, rule.pk))
        rrule, days = rule.rrule, rule.days
        if override is not None:
            enabled, o_rrule, o_days = override
            if not enabled:
                return None
            rrule = o_rrule or rrule
            days = o_days if o_days is not None else days
        return EffectiveRule(
            rule, rrule, days if days is not None else DEFAULT_DAYS.get(rule.kind, 0)
        )

    def sides(self, rule: PromptRule) -> tuple[str, ...]:
        if rule.audience == Audience.HOST:
            return (Side.HOST,)
        if rule.audience == Audience.PARTNER:
            return (Side.PARTNER,)
        return (Side.HOST, Side.PARTNER)

    def recipients(self, p: PartnershipRow, side: str) -> list[int]:
        """The side's owner of the partnership, else its writers (a few)."""
        owner = p.host_owner_id if side == Side.HOST else p.partner_owner_id
        if owner is not None:
            return [owner]
        org = p.host_id if side == Side.HOST else p.partner_id
        return self.writers.get(org, [])[:MAX_RECIPIENTS_PER_SIDE]


def build_context(*, now: datetime, host_ids: list[int] | None = None) -> Context:
    rules_qs = PromptRule.objects.filter(enabled=True).select_related("host")
    if host_ids is not None:
        rules_qs = rules_qs.filter(host_id__in=host_ids)
    rules = list(rules_qs)
    hosts = {r.host_id for r in rules}
    rows = (
        # Every partnership of a host with rules; the rules filter stages themselves.
        Partnership.objects.filter(host_id__in=hosts, stage__in=LIVE_STAGES).values_list(
            "id",
            "code",
            "host_id",
            "partner_id",
            "host__name",
            "partner__name",
            "stage",
            "created_at",
            "host_owner_id",
            "partner_owner_id",
        )
    )
    partnerships = {row[0]: PartnershipRow(*row) for row in rows}
    overrides = {
        (p, r): (enabled, rrule, days)
        for p, r, enabled, rrule, days in PromptOverride.objects.filter(rule__in=rules).values_list(
            "partnership_id", "rule_id", "enabled", "rrule", "days"
        )
    }
    orgs = {p.host_id for p in partnerships.values()} | {
        p.partner_id for p in partnerships.values()
    }
    writers: dict[int, list[int]] = defaultdict(list)
    for org_id, user_id in (
        Membership.objects.filter(organization_id__in=orgs, role__in=WRITE_ROLES)
        .order_by("organization_id", "id")
        .values_list("organization_id", "user_id")
    ):
        writers[org_id].append(user_id)
    users = {u for members in writers.values() for u in members} | {
        u
        for p in partnerships.values()
        for u in (p.host_owner_id, p.partner_owner_id)
        if u is not None
    }
    muted = {
        user_id: set(kinds or [])
        for user_id, kinds in PromptPreference.objects.filter(user_id__in=users).values_list(
            "user_id", "muted_kinds"
        )
        if kinds
    }
    return Context(
        now=now,
        rules=rules,
        partnerships=partnerships,
        overrides=overrides,
        writers=dict(writers),
        muted=muted,
    )


def _days_range(context: Context, rules: list[PromptRule]) -> tuple[int, int]:
    """The fewest and most days any partnership uses for these rules (overrides included),
    so one query can fetch what every partnership's own threshold needs."""
    ids = {r.pk for r in rules}
    values = [r.days if r.days is not None else DEFAULT_DAYS.get(r.kind, 0) for r in rules] + [
        days
        for (_p, rule), (_e, _r, days) in context.overrides.items()
        if rule in ids and days is not None
    ]
    return min(values), max(values)


def _by_kind(context: Context) -> dict[str, list[PromptRule]]:
    grouped: dict[str, list[PromptRule]] = defaultdict(list)
    for rule in context.rules:
        grouped[rule.kind].append(rule)
    return grouped


def _in_play(
    context: Context, rules: list[PromptRule], stages: tuple[str, ...] = LIVE_STAGES
) -> Iterator[tuple[PromptRule, PartnershipRow, EffectiveRule]]:
    """Each rule with each partnership of its host in `stages` it applies to (not switched
    off by an override), and how it applies there."""
    for rule in rules:
        for p in context.by_host.get(rule.host_id, ()):
            if p.stage not in stages:
                continue
            effective = context.effective(rule, p.id)
            if effective is not None:
                yield rule, p, effective


def cadence(context: Context, rules: list[PromptRule]) -> Iterator[Due | Event]:
    """The latest occurrence of each cadence, once; with `days`, a review proposed for
    that many days later, to be confirmed by either side."""
    now = context.now
    latest: dict[str, datetime | None] = {}
    for rule, p, effective in _in_play(context, rules, WORKING_STAGES):
        text = effective.rrule or "FREQ=MONTHLY;BYMONTHDAY=1"
        if text not in latest:
            latest[text] = latest_occurrence(text, now=now, within=CADENCE_GRACE)
        occurrence = latest[text]
        # Not before the partnership existed.
        if occurrence is None or occurrence < p.created_at:
            continue
        day = occurrence.date().isoformat()
        review_at = None
        if rule.days:
            review_at = occurrence + timedelta(days=effective.days)
            yield Event(
                partnership_id=p.id,
                kind=EventKind.REVIEW,
                title=rule.name,
                starts_at=review_at,
                ends_at=review_at + timedelta(hours=1),
                status=EventStatus.PROPOSED,
                rule=rule,
                occurrence=occurrence.date(),
                side=Side.HOST,
            )
        for side in context.sides(rule):
            other = p.other_name(side)
            if review_at is not None:
                title = f"{rule.name} with {other}: confirm {review_at:%a %d %b}"
                body = (
                    f"The {rule.name.lower()} with {other} is proposed for "
                    f"{review_at:%A %d %B at %H:%M} ({review_at.tzname()}). Confirm the "
                    "date, or move it in the workspace; before it, a short check-in helps "
                    "both sides prepare."
                )
                action = "confirm_event"
            else:
                title = f"{rule.name} with {other}"
                body = (
                    f"How is the partnership with {other} going? A two-minute check-in "
                    "(how it is going, what worked, what didn't, the next tiny step) "
                    "keeps both sides moving."
                )
                action = "check_in"
            yield Due(
                kind=PromptKind.CADENCE,
                rule=rule,
                partnership=p,
                side=side,
                subject="-",
                occurrence=day,
                title=title,
                body=body,
                action=action,
                review=(p.id, rule.pk, occurrence.date()) if review_at else None,
            )


def events(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """Reviews and joint events starting within `days`: a reminder to both sides."""
    horizon = _days_range(context, rules)[1]
    upcoming = Event.objects.filter(
        **context.scope(),
        starts_at__gte=context.now,
        starts_at__lte=context.now + timedelta(days=horizon),
    ).exclude(status=EventStatus.CANCELLED)
    by_partnership: dict[int, list[Event]] = defaultdict(list)
    for event in upcoming:
        by_partnership[event.partnership_id].append(event)
    for rule, p, effective in _in_play(context, rules):
        for event in by_partnership.get(p.id, []):
            if event.starts_at > context.now + timedelta(days=effective.days):
                continue
            for side in context.sides(rule):
                place = f" at {event.place}" if event.place else ""
                confirm = event.status == EventStatus.PROPOSED
                yield Due(
                    kind=PromptKind.EVENT,
                    rule=rule,
                    partnership=p,
                    side=side,
                    subject=event.code,
                    occurrence=event.starts_at.date().isoformat(),
                    title=f"{event.title} with {p.other_name(side)} on "
                    f"{event.starts_at:%a %d %b, %H:%M}",
                    body=f"{event.get_kind_display()}{place}."
                    + (" It is not confirmed yet: confirm it in one click." if confirm else ""),
                    action="confirm_event" if confirm else "",
                    subject_code=event.code,
                )


def milestones(context: Context, rules: list[PromptRule], *, first_revenue: bool) -> Iterator[Due]:
    """Milestones reached recently: a celebration to both sides (first revenue its own kind)."""
    horizon = _days_range(context, rules)[1]
    reached = Milestone.objects.filter(
        **context.scope(),
        reached_on__gte=context.today - timedelta(days=horizon),
    )
    reached = (
        reached.filter(key=FIRST_REVENUE_KEY)
        if first_revenue
        else reached.exclude(key=FIRST_REVENUE_KEY)
    )
    by_partnership: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in reached:
        by_partnership[milestone.partnership_id].append(milestone)
    kind = PromptKind.FIRST_REVENUE if first_revenue else PromptKind.MILESTONE
    for rule, p, effective in _in_play(context, rules):
        for milestone in by_partnership.get(p.id, []):
            if milestone.reached_on < context.today - timedelta(days=effective.days):
                continue
            for side in context.sides(rule):
                other = p.other_name(side)
                title = (
                    f"First revenue with {other}! Celebrate it together"
                    if first_revenue
                    else f"Milestone with {other}: {milestone.title}"
                )
                yield Due(
                    kind=kind,
                    rule=rule,
                    partnership=p,
                    side=side,
                    subject=milestone.code,
                    occurrence=milestone.reached_on.isoformat(),
                    title=title,
                    body=f"Reached on {milestone.reached_on:%d %B %Y}. Small wins are how "
                    "partnerships become a habit: say thank you, tell both teams, and pick "
                    "the next tiny step.",
                    subject_code=milestone.code,
                    celebration=True,
                )


def _step_sides(owner_side: str) -> tuple[str, ...]:
    if owner_side == OwnerSide.HOST:
        return (Side.HOST,)
    if owner_side == OwnerSide.PARTNER:
        return (Side.PARTNER,)
    return (Side.HOST, Side.PARTNER)


def overdue_steps(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """Open steps past their due date: a nudge to the side that owns the step."""
    least = _days_range(context, rules)[0]
    steps = PlanStep.objects.filter(
        **context.scope(),
        status=StepStatus.OPEN,
        due_on__lte=context.today - timedelta(days=least),
    ).values_list("partnership_id", "code", "title", "due_on", "owner_side", "visibility", "side")
    by_partnership: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in steps:
        by_partnership[row[0]].append(row)
    for rule, p, effective in _in_play(context, rules):
        for _pid, code, title, due_on, owner_side, visibility, wrote in by_partnership.get(
            p.id, []
        ):
            if due_on > context.today - timedelta(days=effective.days):
                continue
            for side in _step_sides(owner_side):
                # A private step is only ever mentioned to the side that wrote it.
                if visibility == Visibility.PRIVATE and side != wrote:
                    continue
                if side not in context.sides(rule):
                    continue
                late = (context.today - due_on).days
                yield Due(
                    kind=PromptKind.STEP_OVERDUE,
                    rule=rule,
                    partnership=p,
                    side=side,
                    subject=code,
                    occurrence=due_on.isoformat(),
                    title=f"“{title}” is {late} day{'s' if late != 1 else ''} overdue "
                    f"({p.other_name(side)})",
                    body="Done already? Mark it done in one click. Too big? Split it into "
                    "a tinier step in the plan.",
                    action="step_done",
                    subject_code=code,
                )


def _last_partner_activity(scope: dict[str, Any]) -> dict[int, datetime]:
    """When the partner side last did anything in each partnership."""
    last: dict[int, datetime] = {}

    def merge(rows: Any) -> None:
        for pid, at in rows:
            if at is not None and (pid not in last or at > last[pid]):
                last[pid] = at

    merge(
        TimelineEvent.objects.filter(**scope, side=Side.PARTNER)
        .values("partnership_id")
        .annotate(at=Max("created_at"))
        .values_list("partnership_id", "at")
    )
    merge(
        CheckIn.objects.filter(**scope, side=Side.PARTNER)
        .values("partnership_id")
        .annotate(at=Max("created_at"))
        .values_list("partnership_id", "at")
    )
    return last


def silence(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """No partner activity for `days`: re-engage with one tiny step (to both sides)."""
    scope = context.scope(WORKING_STAGES)
    last = _last_partner_activity(scope)
    # The tiniest open shared step of each partnership (then the earliest), to suggest.
    tiniest: dict[int, tuple[int, int, str]] = {}
    for pid, effort, position, title in PlanStep.objects.filter(
        **scope, status=StepStatus.OPEN, visibility=Visibility.SHARED
    ).values_list("partnership_id", "effort", "position", "title"):
        candidate = (EFFORT_POINTS.get(effort, 99), position, title)
        if pid not in tiniest or candidate < tiniest[pid]:
            tiniest[pid] = candidate
    next_step = {pid: found[2] for pid, found in tiniest.items()}
    for rule, p, effective in _in_play(context, rules, WORKING_STAGES):
        since = last.get(p.id, p.created_at)
        quiet = (context.now - since).days
        if quiet < effective.days:
            continue
        step = next_step.get(p.id)
        suggestion = (
            f"One tiny step to restart: “{step}”."
            if step
            else "Add one tiny step to the plan to restart."
        )
        for side in context.sides(rule):
            title = (
                f"{p.partner_name} has been quiet for {quiet} days"
                if side == Side.HOST
                else f"Let's pick up the partnership with {p.host_name} again"
            )
            yield Due(
                kind=PromptKind.SILENCE,
                rule=rule,
                partnership=p,
                side=side,
                subject="-",
                # Once per quiet spell: a new activity starts a new spell.
                occurrence=since.date().isoformat(),
                title=title,
                body=suggestion,
            )


def did_it_work(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """A step done `days` ago with no outcome yet: ask whoever did it whether it worked."""
    least = _days_range(context, rules)[0]
    steps = PlanStep.objects.filter(
        **context.scope(),
        status=StepStatus.DONE,
        outcome="",
        is_milestone=False,
        done_at__lte=context.now - timedelta(days=least),
        # Older than a quarter: too late to ask.
        done_at__gte=context.now - timedelta(days=least + 90),
    ).values_list("partnership_id", "code", "title", "done_at", "done_side", "done_by_id")
    by_partnership: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in steps:
        by_partnership[row[0]].append(row)
    for rule, p, effective in _in_play(context, rules):
        for _pid, code, title, done_at, done_side, done_by in by_partnership.get(p.id, []):
            if done_at > context.now - timedelta(days=effective.days):
                continue
            side = done_side or Side.HOST
            if side not in context.sides(rule):
                continue
            yield Due(
                kind=PromptKind.DID_IT_WORK,
                rule=rule,
                partnership=p,
                side=side,
                subject=code,
                occurrence=done_at.date().isoformat(),
                title=f"Did “{title}” work? ({p.other_name(side)})",
                body="One click: it worked, it didn't, or mixed. What worked flows back "
                "into fit and into the next steps.",
                action="did_it_work",
                subject_code=code,
                only_user=done_by,
            )


def reevaluate_fit(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """A new active IPP version: each partnership whose latest checklist of a side was
    answered against an older version asks that side to look again."""
    hosts = {r.host_id for r in rules}
    horizon = _days_range(context, rules)[1]
    active = {
        v.host_id: v
        for v in IppVersion.objects.filter(
            host_id__in=hosts,
            status=VersionStatus.ACTIVE,
            activated_at__gte=context.now - timedelta(days=horizon),
        )
    }
    if not active:
        return
    answered: dict[tuple[int, str], int] = {}
    for pid, side, version_id in (
        Evaluation.objects.filter(
            partnership__host_id__in=list(active), status=EvaluationStatus.SUBMITTED
        )
        .order_by("partnership_id", "side", "submitted_at", "id")
        .values_list("partnership_id", "side", "version_id")
    ):
        answered[(pid, side)] = version_id  # the latest wins
    for rule, p, effective in _in_play(context, rules):
        version = active.get(rule.host_id)
        if version is None or version.activated_at < context.now - timedelta(days=effective.days):
            continue
        for side in context.sides(rule):
            previous = answered.get((p.id, side))
            if previous is None or previous == version.pk:
                continue  # never answered (nothing to revisit) or already on it
            yield Due(
                kind=PromptKind.REEVALUATE_FIT,
                rule=rule,
                partnership=p,
                side=side,
                subject=version.code,
                occurrence=version.activated_at.date().isoformat(),
                title=f"Version {version.number} of the partner profile is active: "
                f"re-evaluate {p.other_name(side)}",
                body="Your answers carry over; only new or changed criteria need an answer.",
                action="checklist",
            )


def waiting_requests(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """A partner's request (referral, check-in, comment) still unanswered past the host's
    response target for its kind (accountability): remind the host side, once per request.
    `days`, when set, replaces the targets with that many days."""
    from partnerloop.accountability.models import (
        DEFAULT_TARGET_HOURS,
        PartnerRequest,
        ResponseTarget,
    )

    hosts = sorted({r.host_id for r in rules})
    targets: dict[tuple[int, str], int] = {}
    for host_id, kind, hours in ResponseTarget.objects.filter(host_id__in=hosts).values_list(
        "host_id", "kind", "hours"
    ):
        targets[(host_id, kind)] = hours
    waiting: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in PartnerRequest.objects.filter(
        **context.scope(),
        answered_at__isnull=True,
        asked_at__gte=context.now - WAITING_HORIZON,
    ).values_list("partnership_id", "id", "kind", "subject_code", "summary", "asked_at"):
        waiting[row[0]].append(row)
    for rule, p, effective in _in_play(context, rules):
        if Side.HOST not in context.sides(rule):
            continue
        for _pid, request_id, kind, subject_code, summary, asked_at in waiting.get(p.id, []):
            hours = effective.days * 24 or targets.get(
                (p.host_id, kind), DEFAULT_TARGET_HOURS.get(kind, 48)
            )
            if asked_at > context.now - timedelta(hours=hours):
                continue
            word = REQUEST_WORDS.get(kind, kind)
            yield Due(
                kind=PromptKind.REQUEST_WAITING,
                rule=rule,
                partnership=p,
                side=Side.HOST,
                subject=str(request_id),
                occurrence=asked_at.date().isoformat(),
                title=f"{p.partner_name} is waiting for your answer to a {word}"
                + (f": {summary}" if summary else ""),
                body=f"Asked {asked_at:%d %b} — past your {hours} h response target. "
                "The partner sees how fast you answer.",
                action=f"answer_{kind}",
                subject_code=subject_code,
            )


def share_back(context: Context, rules: list[PromptRule]) -> Iterator[Due]:
    """One side shares some of its account overlap (counts or accounts of a population)
    and the other shares nothing: after `days`, ask the other side to share back, since a
    cell of the matrix opens only when both sides share. Once per time the first side
    started sharing; never past SHARE_BACK_HORIZON. The prompt names no population: the
    sharing page already shows each side what the other shares."""
    from partnerloop.overlap.models import Level, OverlapSharing

    started: dict[tuple[int, str], datetime] = {}
    for pid, side, first in (
        OverlapSharing.objects.filter(**context.scope())
        .exclude(level=Level.HIDDEN)
        .values_list("partnership_id", "side")
        .annotate(first=Min("updated_at"))
        .order_by()
    ):
        started[(pid, side)] = first
    if not started:
        return
    for rule, p, effective in _in_play(context, rules):
        for side in context.sides(rule):
            since = started.get((p.id, other_side(side)))
            if since is None or (p.id, side) in started:
                continue
            if since > context.now - timedelta(days=effective.days):
                continue
            if since < context.now - SHARE_BACK_HORIZON:
                continue
            other_name = p.other_name(side)
            yield Due(
                kind=PromptKind.SHARE_BACK,
                rule=rule,
                partnership=p,
                side=side,
                subject="overlap",
                occurrence=since.date().isoformat(),
                title=f"{other_name} shares its account overlap with you: share back",
                body=f"The accounts you both have open only when both sides share. Share "
                f"the counts of one population to start; nothing else of yours reaches "
                f"{other_name} until you choose.",
                action="share_overlap",
            )


def due_prompts(context: Context) -> Iterator[Due | Event]:
    grouped = _by_kind(context)
    if grouped.get(PromptKind.CADENCE):
        yield from cadence(context, grouped[PromptKind.CADENCE])
    if grouped.get(PromptKind.EVENT):
        yield from events(context, grouped[PromptKind.EVENT])
    if grouped.get(PromptKind.MILESTONE):
        yield from milestones(context, grouped[PromptKind.MILESTONE], first_revenue=False)
    if grouped.get(PromptKind.FIRST_REVENUE):
        yield from milestones(context, grouped[PromptKind.FIRST_REVENUE], first_revenue=True)
    if grouped.get(PromptKind.STEP_OVERDUE):
        yield from overdue_steps(context, grouped[PromptKind.STEP_OVERDUE])
    if grouped.get(PromptKind.SILENCE):
        yield from silence(context, grouped[PromptKind.SILENCE])
    if grouped.get(PromptKind.DID_IT_WORK):
        yield from did_it_work(context, grouped[PromptKind.DID_IT_WORK])
    if grouped.get(PromptKind.REEVALUATE_FIT):
        yield from reevaluate_fit(context, grouped[PromptKind.REEVALUATE_FIT])
    if grouped.get(PromptKind.REQUEST_WAITING):
        yield from waiting_requests(context, grouped[PromptKind.REQUEST_WAITING])
    if grouped.get(PromptKind.SHARE_BACK):
        yield from share_back(context, grouped[PromptKind.SHARE_BACK])


def dedupe_key(due: Due, recipient: int) -> str:
    return ":".join(
        [
            due.kind,
            due.rule.code,
            str(due.partnership.id),
            due.subject,
            due.occurrence,
            str(recipient),
        ]
    )
