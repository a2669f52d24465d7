"""Writes of MAP health: compute the current health of many partnerships at once.

`compute_health` reads every signal of every partnership in scope in a fixed number of
queries (one per kind of record, never one per partnership), scores them with the pure
functions of `health.scoring`, and upserts the current health and the day's snapshot.
It is called after a step is done, after a check-in and by the daily scheduler pass.

Only records the HOST side may see are read (shared ones and the host's own private
ones): health is shown to the host only, and a partner's private records stay private.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from partnerloop.accounts.models import Organization
from partnerloop.activities.models import Outcome, Result
from partnerloop.fit import scoring as fit_scoring
from partnerloop.fit.models import (
    Criterion,
    Dimension,
    Direction,
    Evaluation,
    EvaluationStatus,
    VersionStatus,
)
from partnerloop.fit.services import gc_paused
from partnerloop.health import scoring
from partnerloop.health.models import HealthSnapshot, PartnershipHealth
from partnerloop.partnerships.models import Partnership, Side, TimelineEvent, Visibility
from partnerloop.partnerships.selectors import visible_to
from partnerloop.plans.models import PHASE_ORDER, Milestone, OwnerSide, Plan, PlanStep, StepStatus
from partnerloop.prompts.cadence import next_cadence_occurrence
from partnerloop.prompts.models import (
    CheckIn,
    Event,
    EventStatus,
    PromptKind,
    PromptOverride,
    PromptRule,
)
from partnerloop.prompts.rules import WORKING_STAGES
from partnerloop.referrals.models import Referral, ReferralStage, ReferralStatus

ACTIVITY_DAYS = 30
CHECKIN_DAYS = 90
RESULTS_DAYS = 90
EVENT_DAYS = 30
CADENCE_DAYS = 35
UPSERT_BATCH = 500
SCORE_FIELDS = (
    "motivation",
    "ability",
    "prompt",
    "overall",
    "diagnosis",
    "recommendation",
    "recommendation_text",
    "computed_at",
)


def _day(value: datetime, zone: Any) -> date:
    """The calendar day of `value` in `zone` (the current time zone, looked up once per
    computation: thousands of dates are converted)."""
    return value.astimezone(zone).date()


def _days_since(today: date, value: datetime | None, zone: Any) -> int | None:
    if value is None:
        return None
    return max(0, (today - _day(value, zone)).days)


def _latest(*values: datetime | None) -> datetime | None:
    found = [v for v in values if v is not None]
    return max(found) if found else None


class _Scope:
    """The partnerships to compute, as filters for each related model."""

    def __init__(self, host: Organization | None, partnership_ids: list[int] | None) -> None:
        self.host_id = host.pk if host is not None else None
        self.ids = list(partnership_ids) if partnership_ids is not None else None

    def partnerships(self) -> Q:
        q = Q()
        if self.host_id is not None:
            q &= Q(host_id=self.host_id)
        if self.ids is not None:
            q &= Q(id__in=self.ids)
        return q

    def related(self, prefix: str = "partnership") -> Q:
        q = Q()
        if self.host_id is not None:
            q &= Q(**{f"{prefix}__host_id": self.host_id})
        if self.ids is not None:
            q &= Q(**{f"{prefix}_id__in": self.ids})
        return q


def _fit_motivation(scope: _Scope, host_ids: Iterable[int]) -> dict[int, float]:
    """Per partnership: the points of the motivation criteria of the host's active IPP
    version in the latest submitted answers of both sides, weighted, × 100."""
    criteria = list(
        Criterion.objects.filter(
            version__host_id__in=list(host_ids),
            version__status=VersionStatus.ACTIVE,
            dimension=Dimension.MOTIVATION,
        ).select_related("version")
    )
    if not criteria:
        return {}
    specs: dict[int, dict[str, list[fit_scoring.CriterionSpec]]] = defaultdict(
        lambda: {Direction.OURS: [], Direction.THEIRS: []}
    )
    for criterion in criteria:
        specs[criterion.version.host_id][criterion.direction].append(
            fit_scoring.CriterionSpec.of(criterion)
        )
    scorers = {
        host_id: {
            side: fit_scoring.DirectionScorer(by_direction[direction], knockout_cap=100.0)
            for side, direction in ((Side.HOST, Direction.OURS), (Side.PARTNER, Direction.THEIRS))
        }
        for host_id, by_direction in specs.items()
    }
    weights = {s.key: s.weight for c in specs.values() for d in c.values() for s in d}
    rows = (
        Evaluation.objects.filter(scope.related(), status=EvaluationStatus.SUBMITTED)
        .order_by("partnership_id", "side", "-submitted_at", "-id")
        .annotate(raw=ExpressionWrapper(F("answers"), output_field=TextField()))
        .values_list("partnership_id", "partnership__host_id", "side", "raw")
    )
    seen: set[tuple[int, str]] = set()
    sums: dict[int, list[float]] = {}
    for partnership_id, host_id, side, raw in rows:
        if (partnership_id, side) in seen or host_id not in scorers:
            continue
        seen.add((partnership_id, side))
        answers = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
        scorer = scorers[host_id].get(side)
        if scorer is None or not answers:
            continue
        result = scorer.score(answers)
        total = sums.setdefault(partnership_id, [0.0, 0.0])
        for key, points in result.answered.items():
            total[0] += weights[key] * points
            total[1] += weights[key]
    return {pk: round(100 * w / n, 2) for pk, (w, n) in sums.items() if n}


def gather_signals(
    *, host: Organization | None, partnership_ids: list[int] | None, now: datetime
) -> dict[int, scoring.Signals]:
    """The signals of every partnership in scope, in a fixed number of queries."""
    scope = _Scope(host, partnership_ids)
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now)
    since = now - timedelta(days=ACTIVITY_DAYS)
    partnerships = list(
        Partnership.objects.filter(scope.partnerships())
        .order_by()
        .values_list("id", "host_id", "created_at", "stage")
    )
    if not partnerships:
        return {}
    signals = {
        pk: scoring.Signals(age_days=_days_since(today, created, zone) or 0)
        for pk, _, created, _stage in partnerships
    }
    last_partner: dict[int, datetime | None] = defaultdict(lambda: None)
    last_any: dict[int, datetime | None] = defaultdict(lambda: None)
    partner = Q(side=Side.PARTNER)

    # Timeline: partner events of the last 30 days, the partner's and anyone's latest.
    for pk, recent, partner_at, any_at in (
        TimelineEvent.objects.filter(scope.related(), visible_to(Side.HOST), created_at__lte=now)
        .values("partnership_id")
        .annotate(
            recent=Count("id", filter=partner & Q(created_at__gte=since)),
            partner_at=Max("created_at", filter=partner),
            any_at=Max("created_at"),
        )
        .order_by()
        .values_list("partnership_id", "recent", "partner_at", "any_at")
    ):
        signals[pk].partner_events_30d = recent
        last_partner[pk] = partner_at
        last_any[pk] = any_at

    # Check-ins: the partner's of the last 30 days, the latest of each side and of anyone.
    for pk, recent, partner_at, any_at in (
        CheckIn.objects.filter(scope.related(), visible_to(Side.HOST), created_at__lte=now)
        .values("partnership_id")
        .annotate(
            recent=Count("id", filter=partner & Q(created_at__gte=since)),
            partner_at=Max("created_at", filter=partner),
            any_at=Max("created_at"),
        )
        .order_by()
        .values_list("partnership_id", "recent", "partner_at", "any_at")
    ):
        signals[pk].partner_checkins_30d = recent
        last_partner[pk] = _latest(last_partner[pk], partner_at)
        last_any[pk] = _latest(last_any[pk], any_at)
    rated: set[tuple[int, str]] = set()
    for pk, side, rating in (
        CheckIn.objects.filter(
            scope.related(),
            visible_to(Side.HOST),
            created_at__lte=now,
            created_at__gte=now - timedelta(days=CHECKIN_DAYS),
        )
        .order_by("partnership_id", "side", "-created_at", "-id")
        .values_list("partnership_id", "side", "rating")
    ):
        if (pk, side) not in rated:
            rated.add((pk, side))
            signals[pk].checkin_ratings.append(rating)

    # Plans and their steps: the next open steps, overdue ones, the partner's steps.
    for pk in (
        Plan.objects.filter(scope.related()).order_by().values_list("partnership_id", flat=True)
    ):
        signals[pk].has_plan = True
    visible_steps = PlanStep.objects.filter(scope.related(), visible_to(Side.HOST)).exclude(
        status=StepStatus.SKIPPED
    )
    done = Q(status=StepStatus.DONE, done_at__isnull=False, done_at__lte=now)
    still_open = Q(status=StepStatus.OPEN) | (
        Q(status=StepStatus.DONE) & (Q(done_at__isnull=True) | Q(done_at__gt=now))
    )
    partner_due = Q(
        owner_side=OwnerSide.PARTNER,
        due_on__gte=today - timedelta(days=ACTIVITY_DAYS),
        due_on__lt=today,
    )
    for pk, overdue, done_30d, due_30d, on_time, done_at, partner_done_at in (
        visible_steps.values("partnership_id")
        .annotate(
            overdue=Count("id", filter=still_open & Q(due_on__lt=today)),
            done_30d=Count("id", filter=done & Q(done_side=Side.PARTNER, done_at__gte=since)),
            due_30d=Count("id", filter=partner_due),
            on_time=Count("id", filter=partner_due & done & Q(done_at__date__lte=F("due_on"))),
            last_done=Max("done_at", filter=done),
            last_partner_done=Max("done_at", filter=done & Q(done_side=Side.PARTNER)),
        )
        .order_by()
        .values_list(
            "partnership_id",
            "overdue",
            "done_30d",
            "due_30d",
            "on_time",
            "last_done",
            "last_partner_done",
        )
    ):
        s = signals[pk]
        s.overdue_steps = overdue
        s.partner_steps_done_30d = done_30d
        s.partner_steps_due_30d = due_30d
        s.partner_steps_on_time_30d = on_time
        last_any[pk] = _latest(last_any[pk], done_at)
        last_partner[pk] = _latest(last_partner[pk], partner_done_at)
    # The next open steps of each partnership, in plan order, ranked by the database so
    # that only the first NEXT_STEPS of each come back.
    plan_order = Case(
        *(When(phase=phase, then=Value(rank)) for phase, rank in PHASE_ORDER.items()),
        default=Value(len(PHASE_ORDER)),
        output_field=IntegerField(),
    )
    for pk, code, title, effort, open_count in (
        visible_steps.filter(still_open)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("partnership_id")],
                order_by=[plan_order.asc(), F("position").asc(), F("id").asc()],
            ),
            open_count=Window(Count("id"), partition_by=[F("partnership_id")]),
        )
        .filter(rank__lte=scoring.NEXT_STEPS)
        .order_by("partnership_id", "rank")
        .values_list("partnership_id", "code", "title", "effort", "open_count")
    ):
        s = signals[pk]
        s.open_steps = open_count
        s.next_steps.append(scoring.NextStep(code=code, title=title, effort=effort))

    # Prompts: the next review or event, and the next cadence occurrence.
    for pk, starts_at, status in (
        Event.objects.filter(
            scope.related(),
            status__in=[EventStatus.PROPOSED, EventStatus.CONFIRMED],
            starts_at__gte=now,
            starts_at__lte=now + timedelta(days=EVENT_DAYS),
        )
        .order_by("starts_at")
        .values_list("partnership_id", "starts_at", "status")
    ):
        s = signals[pk]
        days = (_day(starts_at, zone) - today).days
        if s.next_event_days is None:
            s.next_event_days = days
        if status == EventStatus.CONFIRMED and not s.next_event_confirmed:
            s.next_event_confirmed = True
            s.next_event_days = days
    host_ids = {host_id for _, host_id, _, _ in partnerships}
    rules: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for rule_id, host_id, rrule in PromptRule.objects.filter(
        host_id__in=list(host_ids), kind=PromptKind.CADENCE, enabled=True
    ).values_list("id", "host_id", "rrule"):
        rules[host_id].append((rule_id, rrule))
    overrides: dict[tuple[int, int], tuple[bool, str]] = {}
    if rules:
        for pk, rule_id, enabled, rrule in PromptOverride.objects.filter(
            scope.related(), rule_id__in=[r for rs in rules.values() for r, _ in rs]
        ).values_list("partnership_id", "rule_id", "enabled", "rrule"):
            overrides[(pk, rule_id)] = (enabled, rrule)
    # The scheduler prompts cadences to working partnerships only (prompts/rules.py); every
    # partnership counts from the same anchor, so each rule is computed once.
    within = timedelta(days=CADENCE_DAYS)
    for pk, host_id, _created_at, stage in partnerships:
        if stage not in WORKING_STAGES:
            continue
        for rule_id, rrule in rules.get(host_id, ()):
            enabled, text = overrides.get((pk, rule_id), (True, ""))
            text = text or rrule
            if not enabled or not text:
                continue
            try:
                occurrence = next_cadence_occurrence(text, now=now, within=within)
            except (ValidationError, ValueError, TypeError):
                continue
            if occurrence is not None:
                days = max(0, (_day(occurrence, zone) - today).days)
                s = signals[pk]
                if s.next_cadence_days is None or days < s.next_cadence_days:
                    s.next_cadence_days = days

    # Fit: the motivation criteria of the active profile.
    for pk, value in _fit_motivation(scope, host_ids).items():
        signals[pk].fit_motivation = value

    # Results: referrals the partner brought and won, milestones reached (both shared).
    results_since = now - timedelta(days=RESULTS_DAYS)
    for pk, registered, won in (
        Referral.objects.filter(scope.related(), submitted_at__lte=now)
        .values("partnership_id")
        .annotate(
            registered=Count("id", filter=Q(submitted_at__gte=results_since)),
            won=Count(
                "id",
                filter=Q(
                    stage=ReferralStage.WON,
                    status=ReferralStatus.ACCEPTED,
                    closed_on__gte=results_since.date(),
                    closed_on__lte=today,
                ),
            ),
        )
        .order_by()
        .values_list("partnership_id", "registered", "won")
    ):
        s = signals[pk]
        s.results_known = True
        s.referrals_90d = registered
        s.referrals_won_90d = won
    # Activities that worked, as the host may see them (shared, or the host's own).
    for pk, worked in (
        Outcome.objects.filter(
            scope.related("activity__partnership"),
            Q(activity__visibility=Visibility.SHARED) | Q(activity__side=Side.HOST),
            result=Result.WORKED,
            activity__happened_on__gte=results_since.date(),
            activity__happened_on__lte=today,
        )
        .values("activity__partnership_id")
        .annotate(worked=Count("id"))
        .order_by()
        .values_list("activity__partnership_id", "worked")
    ):
        s = signals[pk]
        s.results_known = True
        s.worked_90d = worked
    for pk, reached in (
        Milestone.objects.filter(scope.related(), reached_on__lte=today)
        .values("partnership_id")
        .annotate(reached=Count("id", filter=Q(reached_on__gte=results_since.date())))
        .order_by()
        .values_list("partnership_id", "reached")
    ):
        s = signals[pk]
        s.results_known = True
        s.milestones_90d = reached

    created = {pk: created_at for pk, _, created_at, _ in partnerships}
    for pk, s in signals.items():
        s.days_since_partner_activity = _days_since(today, last_partner[pk], zone)
        s.days_since_touch = _days_since(today, last_any[pk] or created[pk], zone)
    return signals


_CURRENT_COLUMNS = ("partnership", *SCORE_FIELDS, "signals")
_SNAPSHOT_COLUMNS = ("partnership", "day", *SCORE_FIELDS)


def _rows(signals: dict[int, scoring.Signals], now: datetime) -> list[dict[str, Any]]:
    """Plain rows, one per partnership: scoring thousands needs no model instances."""
    rows = []
    for pk, s in signals.items():
        result = scoring.evaluate(s)
        data = s.as_json()
        data["step_code"] = result.step_code
        data["weakest"] = result.weakest
        rows.append(
            {
                "partnership": pk,
                "motivation": result.motivation,
                "ability": result.ability,
                "prompt": result.prompt,
                "overall": result.overall,
                "diagnosis": result.diagnosis,
                "recommendation": str(result.recommendation),
                "recommendation_text": result.recommendation_text,
                "computed_at": now,
                "signals": data,
            }
        )
    return rows


def _upsert(
    model: Any, rows: list[dict[str, Any]], names: tuple[str, ...], conflict: tuple[str, ...]
) -> None:
    """INSERT … ON CONFLICT (…) DO UPDATE, many rows per statement (SQLite and PostgreSQL):
    concurrent runs cannot duplicate a row, and the latest computation wins.

    bulk_create(update_conflicts=True) prepares every value of every row through its
    field; here only the JSON and the date-time columns are, and each date once."""
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    targets = {quote(model._meta.get_field(name).column) for name in conflict}
    head = "INSERT INTO {} ({}) VALUES ".format(quote(model._meta.db_table), ", ".join(columns))
    tail = " ON CONFLICT ({}) DO UPDATE SET {}".format(
        ", ".join(quote(model._meta.get_field(name).column) for name in conflict),
        ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in targets),
    )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    prepared: dict[Any, Any] = {}
    special = {
        i: f for i, f in enumerate(fields) if isinstance(f, (models.DateField, models.JSONField))
    }

    def values(row: dict[str, Any]) -> list[Any]:
        out = [row[name] for name in names]
        for i, f in special.items():
            value = out[i]
            if isinstance(f, models.JSONField):
                out[i] = json(value)
            elif value is not None:
                if value not in prepared:
                    prepared[value] = f.get_db_prep_save(value, connection)
                out[i] = prepared[value]
        return out

    if connection.vendor == "postgresql":
        _upsert_copy(model, rows, names, columns, tail)
        return
    json = _json_param()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_BATCH):
            chunk = rows[start : start + UPSERT_BATCH]
            params = [value for row in chunk for value in values(row)]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)


def _upsert_copy(
    model: Any, rows: list[dict[str, Any]], names: tuple[str, ...], columns: list[str], tail: str
) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT … ON
    CONFLICT: binding tens of thousands of parameters costs more than the work itself."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    temp = quote(f"new_{model._meta.db_table}")
    listed = ", ".join(columns)
    json_at = [
        i
        for i, name in enumerate(names)
        if isinstance(model._meta.get_field(name), models.JSONField)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {listed} FROM {table} "
            "WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {temp} ({listed}) FROM STDIN") as copy:
            for row in rows:
                values = [row[name] for name in names]
                for i in json_at:
                    values[i] = _orjson_text(values[i])
                copy.write_row(values)
        cursor.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {temp}" + tail)
        cursor.execute(f"DROP TABLE {temp}")


def _json_param() -> Any:
    """A JSON column's parameter (SQLite: text), encoded with orjson: JSONField's own
    preparation encodes with the json module, which is slower."""
    return _orjson_text


def _orjson_text(value: Any) -> str:
    return orjson.dumps(value).decode()


@transaction.atomic
@gc_paused()
def _compute(
    *, host: Organization | None, partnership_ids: list[int] | None, now: datetime | None
) -> list[dict[str, Any]]:
    now = now or timezone.now()
    rows = _rows(gather_signals(host=host, partnership_ids=partnership_ids, now=now), now)
    if rows:
        # One row per partnership; one snapshot per partnership and day (the day's latest
        # computation wins).
        _upsert(PartnershipHealth, rows, _CURRENT_COLUMNS, ("partnership",))
        day = timezone.localdate(now)
        _upsert(
            HealthSnapshot,
            [{**row, "day": day} for row in rows],
            _SNAPSHOT_COLUMNS,
            ("partnership", "day"),
        )
    return rows


def compute_health(
    *,
    host: Organization | None = None,
    partnership_ids: list[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Compute the health of a host's partnerships (or the given ones, or every one) and
    keep it: the current health and the day's snapshot. Returns how many were computed."""
    return len(_compute(host=host, partnership_ids=partnership_ids, now=now))


def refresh_partnership_health(
    partnership: Partnership, now: datetime | None = None
) -> PartnershipHealth | None:
    """Recompute one partnership's health (after a step is done, after a check-in)."""
    rows = _compute(host=None, partnership_ids=[partnership.pk], now=now)
    if not rows:
        return None
    fields = {k: v for k, v in rows[0].items() if k != "partnership"}
    return PartnershipHealth(partnership=partnership, **fields)
