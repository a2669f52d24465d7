"""compute_health over hand-built partnerships, with frozen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerloop.accounts.models import Organization
from partnerloop.conftest import World
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import Evaluation, EvaluationStatus
from partnerloop.health.models import HealthSnapshot, PartnershipHealth, Recommendation
from partnerloop.health.services import compute_health, refresh_partnership_health
from partnerloop.partnerships.models import Partnership, TimelineEvent
from partnerloop.plans.models import Plan, PlanStep
from partnerloop.prompts.models import CheckIn, Event, PromptOverride, PromptRule

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def set_created(partnership: Partnership, when: datetime) -> None:
    Partnership.objects.filter(pk=partnership.pk).update(created_at=when)


def step(plan: Plan, title: str, phase: str, position: int, **fields: object) -> PlanStep:
    values = {"owner_side": "host", "side": "host", "effort": "small", **fields}
    return PlanStep.objects.create(
        plan=plan,
        partnership=plan.partnership,
        title=title,
        phase=phase,
        position=position,
        **values,
    )


def event(partnership: Partnership, when: datetime, side: str, visibility: str = "shared") -> None:
    e = TimelineEvent.objects.create(
        partnership=partnership, side=side, visibility=visibility, kind="note", summary="x"
    )
    TimelineEvent.objects.filter(pk=e.pk).update(created_at=when)


def check_in(
    partnership: Partnership, when: datetime, side: str, rating: int, **fields: object
) -> None:
    c = CheckIn.objects.create(partnership=partnership, side=side, rating=rating, **fields)
    CheckIn.objects.filter(pk=c.pk).update(created_at=when)


@pytest.fixture
def scene(world: World) -> dict[str, Partnership]:
    """Three partnerships of the host, each weak in a different way (docs/health.md)."""
    a, b = world.partnership, world.other_partnership
    c = Partnership.objects.create(
        host=world.host,
        partner=Organization.objects.create(name="Cyberdyne", domain="cyberdyne.test"),
    )
    set_created(a, at(1, 1))
    set_created(b, at(5, 1, 9))
    set_created(c, at(6, 10))

    # A: active partner, a big overdue next step.
    plan = Plan.objects.create(partnership=a)
    step(
        plan,
        "Kick-off",
        "start",
        1,
        owner_side="partner",
        status="done",
        due_on=date(2026, 6, 12),
        done_at=at(6, 10),
        done_side="partner",
    )
    step(plan, "First co-marketing campaign", "engage", 1, effort="large", due_on=date(2026, 6, 1))
    step(plan, "Share logos", "engage", 2, effort="tiny")
    step(plan, "Joint webinar", "prove", 1, effort="small")
    step(plan, "Partner training", "prove", 2, owner_side="partner", due_on=date(2026, 6, 5))
    step(plan, "Grow", "grow", 1, effort="medium")
    # Not for the host's eyes, and a skipped one: neither counts.
    step(
        plan,
        "Partner's own",
        "start",
        0,
        side="partner",
        visibility="private",
        status="done",
        done_at=at(6, 11),
        done_side="partner",
    )
    step(plan, "Skipped", "start", 0, status="skipped", effort="large", due_on=date(2026, 1, 1))
    event(a, at(6, 1), "partner")
    event(a, at(6, 14), "partner")
    event(a, at(6, 13), "partner", visibility="private")
    event(a, at(4, 1), "partner")
    event(a, at(6, 14, 11), "host")
    check_in(a, at(6, 5), "partner", 4)
    check_in(a, at(4, 1), "partner", 1)
    check_in(a, at(5, 1), "host", 2)
    check_in(a, at(6, 12), "partner", 1, visibility="private")
    Event.objects.create(
        partnership=a,
        kind="review",
        title="Review",
        starts_at=at(6, 20),
        status="confirmed",
        side="host",
    )
    Event.objects.create(
        partnership=a,
        kind="review",
        title="Old",
        starts_at=at(6, 1),
        status="confirmed",
        side="host",
    )

    # B: no plan; the host's monthly cadence; fit answers on motivation.
    rule = PromptRule.objects.create(
        host=world.host, kind="cadence", name="Monthly review", rrule="FREQ=MONTHLY"
    )
    PromptRule.objects.create(
        host=world.host, kind="cadence", name="Weekly, off", rrule="FREQ=WEEKLY", enabled=False
    )
    version = fit_services.ipp_create_from_template(actor=world.actor("host_owner"))
    fit_services.ipp_version_activate(
        actor=world.actor("host_owner"), version=version, change_note="1"
    )
    for side, answers, submitted in (
        ("host", {"executive-sponsor": {"value": "no"}}, at(5, 2)),
        ("host", {"executive-sponsor": {"value": "yes"}}, at(5, 3)),
        ("partner", {"their-sponsor": {"value": "no"}}, at(5, 3)),
    ):
        Evaluation.objects.create(
            partnership=b,
            version=version,
            side=side,
            status=EvaluationStatus.SUBMITTED,
            submitted_at=submitted,
            answers=answers,
        )

    # Cadences prompt working partnerships only.
    Partnership.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(stage="active")
    # A's override changes the rule to yearly (too far); C switches it off.
    PromptOverride.objects.create(partnership=a, rule=rule, rrule="FREQ=YEARLY")
    PromptOverride.objects.create(partnership=c, rule=rule, enabled=False)
    plan_c = Plan.objects.create(partnership=c)
    step(plan_c, "Say hello", "start", 1, effort="tiny")
    return {"a": a, "b": b, "c": c}


@time_machine.travel(NOW, tick=False)
def test_compute_health_of_a_host(world: World, scene: dict[str, Partnership]) -> None:
    assert compute_health(host=world.host) == 3
    assert not PartnershipHealth.objects.filter(partnership=world.foreign_partnership).exists()

    a = PartnershipHealth.objects.get(partnership=scene["a"])
    s = a.signals
    assert (s["partner_events_30d"], s["partner_steps_done_30d"], s["partner_checkins_30d"]) == (
        2,
        1,
        1,
    )
    assert (s["partner_steps_due_30d"], s["partner_steps_on_time_30d"]) == (2, 1)
    assert sorted(s["checkin_ratings"]) == [2, 4]
    assert [n["title"] for n in s["next_steps"]] == [
        "First co-marketing campaign",
        "Share logos",
        "Joint webinar",
    ]
    assert (s["open_steps"], s["overdue_steps"]) == (5, 2)
    assert s["next_event_days"] == 5 and s["next_event_confirmed"] is True
    assert s["next_cadence_days"] is None  # the override's yearly rule wins: too far away
    assert s["days_since_touch"] == 1 and s["days_since_partner_activity"] == 1
    # Motivation: activity 100 (6 points), responsiveness 50, check-ins (75 + 25) / 2 = 50:
    # (35×100 + 25×50 + 20×50) / 80 = 71.9. Ability: (2×8 + 1 + 2) / 4 = 4.75 ->
    # 62.5 − 2 overdue × 10 = 42.5 -> 42. Prompt: confirmed review, touched yesterday: 100.
    assert (a.motivation, a.ability, a.prompt, a.overall) == (72, 42, 100, 42)
    assert a.recommendation == Recommendation.SPLIT_STEP
    assert a.recommendation_text.startswith("Make “First co-marketing campaign” tinier")
    assert a.weakest == "ability" and a.summary == "42 · ability low"

    b = PartnershipHealth.objects.get(partnership=scene["b"])
    # Fit motivation: executive sponsor yes (weight 4), their sponsor no (weight 3) = 57.14;
    # 45 days old, no activity: (35×0 + 20×57.14) / 55 = 20.8.
    assert b.signals["fit_motivation"] == pytest.approx(57.14)
    assert b.motivation == 21
    assert b.ability == 0 and b.recommendation == Recommendation.ADD_STEP
    # Monthly from May 1 09:00: July 1 is 16 days away; touched 45 days ago (creation):
    # 0.6 × 100 + 0.4 × 100 × 15/53 = 71.3.
    assert b.signals["next_cadence_days"] == 16
    assert b.prompt == 71 and b.overall == 0

    c = PartnershipHealth.objects.get(partnership=scene["c"])
    # 5 days old: motivation not known (50); one tiny step: 100; the cadence is switched
    # off and nothing is scheduled: 0.6 × 0 + 0.4 × 100 = 40.
    assert c.signals["next_cadence_days"] is None
    assert (c.motivation, c.ability, c.prompt, c.overall) == (50, 100, 40, 40)
    assert c.recommendation == Recommendation.SCHEDULE_CHECKIN


def test_one_snapshot_per_partnership_and_day(world: World, scene: dict[str, Partnership]) -> None:
    a = scene["a"]
    with time_machine.travel(NOW, tick=False):
        compute_health(host=world.host)
    with time_machine.travel(at(6, 15, 18), tick=False):
        Event.objects.filter(partnership=a).delete()  # prompt drops: no confirmed review
        refresh_partnership_health(a)
    snapshots = list(HealthSnapshot.objects.filter(partnership=a))
    assert len(snapshots) == 1
    assert snapshots[0].prompt == PartnershipHealth.objects.get(partnership=a).prompt == 40
    assert snapshots[0].computed_at == at(6, 15, 18)
    with time_machine.travel(at(6, 16), tick=False):
        assert compute_health(partnership_ids=[a.pk]) == 1
    assert [s.day for s in HealthSnapshot.objects.filter(partnership=a)] == [
        date(2026, 6, 15),
        date(2026, 6, 16),
    ]
    assert PartnershipHealth.objects.filter(partnership=a).count() == 1


def test_refresh_returns_the_current_health(world: World) -> None:
    health = refresh_partnership_health(world.partnership)
    assert health is not None and health.partnership_id == world.partnership.pk
    assert PartnershipHealth.objects.get(partnership=world.partnership).overall == health.overall
    assert compute_health(partnership_ids=[]) == 0


def _crowd(world: World, count: int) -> None:
    orgs = Organization.objects.bulk_create(
        Organization(name=f"P{count}-{i}", domain=f"p{count}-{i}.test") for i in range(count)
    )
    partnerships = Partnership.objects.bulk_create(
        Partnership(host=world.host, partner=o) for o in orgs
    )
    plans = Plan.objects.bulk_create(Plan(partnership=p) for p in partnerships)
    PlanStep.objects.bulk_create(
        PlanStep(
            plan=plan,
            partnership_id=plan.partnership_id,
            title=f"S{i}",
            phase="start",
            position=i,
            owner_side="partner",
            side="host",
            effort="small",
        )
        for plan in plans
        for i in range(4)
    )
    CheckIn.objects.bulk_create(
        CheckIn(partnership=p, side="partner", rating=4) for p in partnerships
    )
    Event.objects.bulk_create(
        Event(partnership=p, kind="review", title="R", starts_at=at(12, 1), side="host")
        for p in partnerships
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(partnership=p, side="partner", visibility="shared", kind="x", summary="y")
        for p in partnerships
    )


def test_query_count_does_not_grow_with_partnerships(
    world: World, scene: dict[str, Partnership]
) -> None:
    host = Organization.objects.create(name="Second host", domain="second.test")
    PromptRule.objects.create(host=host, kind="cadence", name="M", rrule="FREQ=MONTHLY")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            compute_health(host=world.host)
        return len(ctx.captured_queries)

    _crowd(world, 5)
    small = queries()
    _crowd(world, 50)
    assert Partnership.objects.filter(host=world.host).count() == 58
    # 15 reads and the writes: 2 upserts (SQLite), or 4 statements and a COPY each (PostgreSQL).
    assert queries() == small <= 25


def test_next_cadence_counts_from_the_shared_anchor() -> None:
    """Health looks ahead with the same recurrence the scheduler prompts from."""
    from partnerloop.prompts.cadence import latest_occurrence, next_cadence_occurrence

    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    quarterly = "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1"
    # Calendar quarters from the anchor (1 January 2024, 09:00): July 1 is next, 16 days on.
    assert next_cadence_occurrence(quarterly, now=now, within=timedelta(days=35)) == datetime(
        2026, 7, 1, 9, tzinfo=UTC
    )
    assert next_cadence_occurrence(quarterly, now=now, within=timedelta(days=10)) is None
    # Fortnightly from Monday 1 January 2024: Monday 15 June 2026 is one of them (128 weeks).
    fortnightly = "FREQ=WEEKLY;INTERVAL=2"
    assert latest_occurrence(fortnightly, now=now, within=timedelta(days=3)) == datetime(
        2026, 6, 15, 9, tzinfo=UTC
    )
    assert next_cadence_occurrence(fortnightly, now=now, within=timedelta(days=35)) == datetime(
        2026, 6, 29, 9, tzinfo=UTC
    )


def test_referrals_and_milestones_are_results_of_the_last_90_days(world: World) -> None:
    from partnerloop.health.services import gather_signals
    from partnerloop.plans.models import Milestone
    from partnerloop.referrals.models import Referral

    now = at(11, 20)
    p = world.partnership
    common = {"host": world.host, "partnership": p, "company": "Acme"}
    for submitted, status, stage, closed in (
        (at(11, 1), "accepted", "won", date(2026, 11, 10)),  # registered 1 + won 2
        (at(10, 1), "submitted", "new", None),  # registered 1
        (at(6, 1), "accepted", "won", date(2026, 7, 1)),  # too old: nothing
    ):
        r = Referral.objects.create(**common, status=status, stage=stage, closed_on=closed)
        Referral.objects.filter(pk=r.pk).update(submitted_at=submitted)
    Milestone.objects.create(
        partnership=p, key="first_revenue", title="R", reached_on=date(2026, 11, 10)
    )
    Milestone.objects.create(partnership=p, key="later", title="L", reached_on=date(2026, 12, 1))
    from partnerloop.activities.models import Activity, Outcome

    def activity(day: date, visibility: str, side: str, results: list[tuple[str, str]]) -> None:
        a = Activity.objects.create(
            partnership=p,
            kind="campaign",
            title="C",
            happened_on=day,
            side=side,
            visibility=visibility,
        )
        for view_side, result in results:
            Outcome.objects.create(activity=a, side=view_side, result=result)

    activity(date(2026, 11, 1), "shared", "partner", [("host", "worked"), ("partner", "worked")])
    activity(date(2026, 11, 2), "shared", "host", [("host", "didnt")])
    activity(date(2026, 11, 3), "private", "partner", [("partner", "worked")])  # not the host's
    activity(date(2026, 5, 3), "shared", "host", [("host", "worked")])  # too old
    s = gather_signals(host=world.host, partnership_ids=None, now=now)[p.pk]
    assert (
        s.results_known,
        s.worked_90d,
        s.referrals_90d,
        s.referrals_won_90d,
        s.milestones_90d,
    ) == (True, 2, 2, 1, 1)
