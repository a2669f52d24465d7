from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from partnerloop.conftest import World
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import GapActionKind
from partnerloop.partnerships.models import Side, TimelineEvent, Visibility
from partnerloop.plans import selectors, services
from partnerloop.plans.models import (
    EFFORT_POINTS,
    Effort,
    Milestone,
    PlanStep,
    Playbook,
    StepStatus,
)
from partnerloop.plans.template import DEFAULT_STEPS

MILESTONE_KEYS = {
    "agreement_accepted",
    "first_campaign",
    "first_customer_feedback",
    "first_referral",
    "first_revenue",
}


def start(world: World) -> list[PlanStep]:
    services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    return selectors.plan_order(list(PlanStep.objects.filter(partnership=world.partnership)))


def by_key(steps: list[PlanStep], key: str) -> PlanStep:
    return next(s for s in steps if s.key == key)


# --- playbooks --------------------------------------------------------------------------


def test_default_playbook_follows_the_seed_and_is_created_once(world: World) -> None:
    playbook = services.ensure_default_playbook(world.host)
    assert services.ensure_default_playbook(world.host) == playbook
    assert Playbook.objects.filter(host=world.host).count() == 1
    steps = selectors.playbook_steps(playbook)
    assert [s.key for s in steps] == [
        "agreement_accepted",
        "intro_call",
        "workspace_set_up",
        "meet_key_people",
        "first_account_mapping",
        "first_campaign",
        "first_customer_feedback",
        "first_referral",
        "first_revenue",
        "quarterly_review",
        "joint_event",
        "tier_review",
    ]
    assert [s.phase for s in steps] == ["start"] * 3 + ["engage"] * 3 + ["prove"] * 3 + ["grow"] * 3
    assert {s.key for s in steps if s.is_milestone} >= MILESTONE_KEYS
    assert all(s.title and s.description and s.duration_days for s in steps)


def test_playbook_editing_needs_a_host_manager_and_a_fresh_version(world: World) -> None:
    owner = world.actor("host_owner")
    playbook = services.playbook_create(actor=owner, name="Resellers")
    with pytest.raises(PermissionDenied):
        services.playbook_create(actor=world.actor("host_member"), name="Other")
    with pytest.raises(ValidationError):
        services.playbook_create(actor=owner, name="resellers")
    with pytest.raises(Http404):
        services.playbook_update(
            actor=world.actor("other_host"), playbook=playbook, version=1, name="Mine"
        )
    step = services.playbook_step_add(
        actor=owner,
        playbook=playbook,
        version=1,
        title="Kick-off",
        phase="start",
        owner_side="both",
        effort="tiny",
        duration_days=5,
    )
    assert playbook.version == 2
    with pytest.raises(services.ConcurrentEdit):
        services.playbook_update(actor=owner, playbook=playbook, version=1, name="Stale")
    playbook.refresh_from_db()
    assert playbook.name == "Resellers"
    second = services.playbook_step_add(
        actor=owner,
        playbook=playbook,
        version=2,
        title="Demo",
        phase="start",
        owner_side="host",
        effort="small",
        duration_days=7,
    )
    services.playbook_step_move(actor=owner, step=second, direction="up")
    assert [s.title for s in selectors.playbook_steps(playbook)] == ["Demo", "Kick-off"]
    services.playbook_step_edit(
        actor=owner,
        step=step,
        version=playbook.version,
        title="Kick-off call",
        phase="start",
        owner_side="both",
        effort="tiny",
        duration_days=3,
    )
    services.playbook_step_remove(actor=owner, step=second)
    assert [s.title for s in selectors.playbook_steps(playbook)] == ["Kick-off call"]


def test_make_default_moves_the_flag(world: World) -> None:
    owner = world.actor("host_owner")
    default = services.ensure_default_playbook(world.host)
    other = services.playbook_create(actor=owner, name="Agencies")
    services.playbook_make_default(actor=owner, playbook=other)
    default.refresh_from_db()
    assert other.is_default and not default.is_default
    assert services.ensure_default_playbook(world.host) == other


# --- plan start -------------------------------------------------------------------------


@time_machine.travel("2026-03-02 09:00:00Z", tick=False)
def test_plan_start_copies_the_default_with_cumulative_due_dates(world: World) -> None:
    steps = start(world)
    assert len(steps) == len(DEFAULT_STEPS)
    due = date(2026, 3, 2)
    for step, template in zip(steps, DEFAULT_STEPS, strict=True):
        due += timedelta(days=template.duration_days)
        assert (step.key, step.due_on, step.status) == (template.key, due, StepStatus.OPEN)
        assert step.visibility == Visibility.SHARED
    assert world.partnership.plan.playbook_name == "Tiny steps to first revenue"
    assert TimelineEvent.objects.filter(partnership=world.partnership, kind="plan").exists()
    with pytest.raises(ValidationError):
        services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)


def test_plan_start_rules(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.plan_start(actor=world.actor("partner_user"), partnership=world.partnership)
    with pytest.raises(PermissionDenied):
        services.plan_start(actor=world.actor("host_viewer"), partnership=world.partnership)
    with pytest.raises(Http404):
        services.plan_start(actor=world.actor("other_host"), partnership=world.partnership)
    foreign = Playbook.objects.create(host=world.other_host_org, name="Theirs")
    with pytest.raises(ValidationError):
        services.plan_start(
            actor=world.actor("host_owner"), partnership=world.partnership, playbook=foreign
        )
    chosen = services.playbook_create(actor=world.actor("host_owner"), name="Empty")
    plan = services.plan_start(
        actor=world.actor("host_member"), partnership=world.partnership, playbook=chosen
    )
    assert plan.playbook == chosen and plan.steps.count() == 0


# --- working steps ----------------------------------------------------------------------


def test_both_sides_mark_done_and_reopen_with_timeline(world: World) -> None:
    steps = start(world)
    intro = by_key(steps, "intro_call")
    services.step_mark_done(actor=world.actor("partner_member"), step=intro, evidence="Notes")
    intro.refresh_from_db()
    assert (intro.status, intro.done_side, intro.evidence) == ("done", Side.PARTNER, "Notes")
    assert intro.done_by == world.partner_member and intro.version == 2
    with pytest.raises(ValidationError):
        services.step_mark_done(actor=world.actor("host_owner"), step=intro)
    with pytest.raises(PermissionDenied):
        services.step_reopen(actor=world.actor("host_viewer"), step=intro)
    services.step_reopen(actor=world.actor("host_member"), step=intro, version=2)
    intro.refresh_from_db()
    assert intro.status == StepStatus.OPEN and intro.done_at is None and intro.done_side == ""
    kinds = list(
        TimelineEvent.objects.filter(partnership=world.partnership)
        .order_by("id")
        .values_list("kind", "visibility")
    )
    assert ("step_done", "shared") in kinds and ("step_reopened", "shared") in kinds


def test_stale_version_writes_nothing(world: World) -> None:
    step = start(world)[0]
    services.step_edit(actor=world.actor("host_owner"), step=step, version=1, title="Signed")
    stale = PlanStep.objects.get(pk=step.pk)
    stale.version = 1
    with pytest.raises(services.ConcurrentEdit):
        services.step_edit(actor=world.actor("partner_user"), step=stale, version=1, title="X")
    with pytest.raises(services.ConcurrentEdit):
        services.step_mark_done(actor=world.actor("partner_user"), step=stale, version=1)
    with pytest.raises(services.ConcurrentEdit):
        services.step_split(
            actor=world.actor("partner_user"), step=stale, titles=["a", "b"], version=1
        )
    step.refresh_from_db()
    assert (step.title, step.status, step.version) == ("Signed", "open", 2)
    assert not PlanStep.objects.filter(split_from=step).exists()


def test_step_edit_validates_fields(world: World) -> None:
    step = start(world)[0]
    owner = world.actor("host_owner")
    with pytest.raises(ValidationError):
        services.step_edit(actor=owner, step=step, version=1, title=" ")
    with pytest.raises(ValidationError):
        services.step_edit(actor=owner, step=step, version=1, effort="huge")
    with pytest.raises(ValidationError):
        services.step_edit(actor=owner, step=step, version=1, status="done")
    services.step_edit(
        actor=owner, step=step, version=1, effort="small", due_on=date(2027, 1, 1), phase="grow"
    )
    step.refresh_from_db()
    assert (step.effort, step.due_on, step.phase) == ("small", date(2027, 1, 1), "grow")


def test_step_add_and_move(world: World) -> None:
    steps = start(world)
    partner = world.actor("partner_user")
    added = services.step_add(
        actor=partner,
        partnership=world.partnership,
        title="Share our logo pack",
        phase="start",
        owner_side="partner",
        effort="tiny",
    )
    assert added.side == Side.PARTNER and added.visibility == Visibility.SHARED
    start_phase = [
        s for s in selectors.plan_order(list(PlanStep.objects.all())) if s.phase == "start"
    ]
    assert start_phase[-1] == added
    services.step_move(actor=partner, step=added, direction="up")
    services.step_move(actor=partner, step=added, direction="up")
    order = [
        s.key or s.title for s in selectors.plan_order(list(PlanStep.objects.filter(phase="start")))
    ]
    assert order == ["agreement_accepted", "Share our logo pack", "intro_call", "workspace_set_up"]
    # At the top of its phase it stays; other phases are not touched.
    first = by_key(steps, "agreement_accepted")
    services.step_move(actor=partner, step=first, direction="up")
    assert selectors.plan_order(list(PlanStep.objects.filter(phase="start")))[0] == first
    with pytest.raises(ValidationError):
        services.step_move(actor=partner, step=first, direction="sideways")
    with pytest.raises(ValidationError):
        services.step_add(
            actor=partner,
            partnership=world.partnership,
            title="",
            phase="start",
            owner_side="partner",
            effort="tiny",
        )


def test_step_add_needs_a_started_plan(world: World) -> None:
    with pytest.raises(ValidationError, match="Start the plan"):
        services.step_add(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            title="Call",
            phase="start",
            owner_side="host",
            effort="tiny",
        )


def test_private_step_is_invisible_and_unworkable_for_the_other_side(world: World) -> None:
    start(world)
    private = services.step_add(
        actor=world.actor("host_member"),
        partnership=world.partnership,
        title="Check their references quietly",
        phase="engage",
        owner_side="host",
        effort="small",
        visibility=Visibility.PRIVATE,
    )
    partner_steps = selectors.steps_for(partnership=world.partnership, side=Side.PARTNER)
    assert private not in partner_steps
    assert private in selectors.steps_for(partnership=world.partnership, side=Side.HOST)
    for call in (
        lambda a: services.step_mark_done(actor=a, step=private),
        lambda a: services.step_edit(actor=a, step=private, version=1, title="x"),
        lambda a: services.step_move(actor=a, step=private, direction="up"),
        lambda a: services.step_split(actor=a, step=private, titles=["a", "b"]),
    ):
        with pytest.raises(Http404):
            call(world.actor("partner_user"))
    event = TimelineEvent.objects.filter(partnership=world.partnership, kind="step_added").get()
    assert (event.visibility, event.side) == ("private", "host")
    # A private step done records no (shared) milestone even when flagged as one.
    services.step_edit(actor=world.actor("host_owner"), step=private, version=1, is_milestone=True)
    services.step_mark_done(actor=world.actor("host_owner"), step=private)
    assert not Milestone.objects.exists()
    done = TimelineEvent.objects.filter(kind="step_done").get()
    assert done.visibility == "private"


def test_other_tenants_get_404(world: World) -> None:
    step = start(world)[0]
    for persona in ("other_host", "other_partner"):
        with pytest.raises(Http404):
            services.step_mark_done(actor=world.actor(persona), step=step)


# --- make it tinier ---------------------------------------------------------------------


@time_machine.travel("2026-03-02 09:00:00Z", tick=False)
def test_split_makes_smaller_parts_in_place(world: World) -> None:
    steps = start(world)
    campaign = by_key(steps, "first_campaign")
    assert campaign.effort == Effort.MEDIUM
    parts = services.step_split(
        actor=world.actor("partner_member"),
        step=campaign,
        titles=["Pick the audience", "Write the post", "  ", "Publish it"],
        version=1,
    )
    assert [p.title for p in parts] == ["Pick the audience", "Write the post", "Publish it"]
    assert all(p.effort == Effort.SMALL and p.split_from == campaign for p in parts)
    assert all(p.due_on == campaign.due_on and p.phase == "engage" for p in parts)
    campaign.refresh_from_db()
    assert campaign.status == StepStatus.SKIPPED
    engage = [s.title for s in selectors.plan_order(list(PlanStep.objects.filter(phase="engage")))]
    assert engage == [
        "Meet key people",
        "First account mapping",
        "First co-marketing campaign",
        "Pick the audience",
        "Write the post",
        "Publish it",
    ]
    # Later steps keep their order after the parts.
    prove = [s.key for s in selectors.plan_order(list(PlanStep.objects.filter(phase="prove")))]
    assert prove == ["first_customer_feedback", "first_referral", "first_revenue"]
    assert EFFORT_POINTS[parts[0].effort] < EFFORT_POINTS[Effort.MEDIUM]


def test_split_rules(world: World) -> None:
    steps = start(world)
    actor = world.actor("host_owner")
    tiny = by_key(steps, "intro_call")
    with pytest.raises(ValidationError):
        services.step_split(actor=actor, step=tiny, titles=["only one"])
    with pytest.raises(ValidationError):
        services.step_split(actor=actor, step=tiny, titles=[f"p{i}" for i in range(6)])
    parts = services.step_split(actor=actor, step=tiny, titles=["a", "b"])
    assert {p.effort for p in parts} == {Effort.TINY}  # tiny stays tiny
    with pytest.raises(ValidationError):
        services.step_split(actor=actor, step=tiny, titles=["c", "d"])  # already skipped
    with pytest.raises(ValidationError):
        services.step_mark_done(actor=actor, step=tiny)
    with pytest.raises(PermissionDenied):
        services.step_split(actor=world.actor("host_viewer"), step=parts[0], titles=["x", "y"])


# --- gaps -------------------------------------------------------------------------------


def test_gap_action_becomes_a_step_keeping_visibility_owner_and_due(world: World) -> None:
    start(world)
    owner = world.actor("host_owner")
    gap = fit_services.gap_action_create(
        actor=owner,
        partnership=world.partnership,
        criterion_key="executive-sponsor",
        kind=GapActionKind.STEP,
        title="Find an executive sponsor",
        owner_side=Side.PARTNER,
        due_on=date(2026, 6, 1),
        visibility=Visibility.PRIVATE,
    )
    step = services.step_from_gap(actor=owner, gap_action=gap)
    assert (step.visibility, step.owner_side, step.due_on, step.gap_action) == (
        "private",
        "partner",
        date(2026, 6, 1),
        gap,
    )
    assert step.side == Side.HOST and step.phase == "start"
    with pytest.raises(ValidationError):
        services.step_from_gap(actor=owner, gap_action=gap)
    with pytest.raises(Http404):
        services.step_from_gap(actor=world.actor("partner_user"), gap_action=gap)
    commitment = fit_services.gap_action_create(
        actor=owner,
        partnership=world.partnership,
        criterion_key="x",
        kind=GapActionKind.COMMITMENT,
        title="Promise",
    )
    with pytest.raises(ValidationError):
        services.step_from_gap(actor=owner, gap_action=commitment)


# --- milestones -------------------------------------------------------------------------


@time_machine.travel("2026-12-03 10:00:00Z", tick=False)
def test_milestone_step_done_records_the_milestone_once(world: World) -> None:
    steps = start(world)
    revenue = by_key(steps, "first_revenue")
    services.step_mark_done(actor=world.actor("partner_user"), step=revenue, evidence="PO 42")
    milestone = Milestone.objects.get(partnership=world.partnership)
    assert (milestone.key, milestone.reached_on, milestone.step) == (
        "first_revenue",
        date(2026, 12, 3),
        revenue,
    )
    assert TimelineEvent.objects.filter(kind="milestone", visibility="shared").count() == 1
    # Reopen and finish again later: the first date stays.
    services.step_reopen(actor=world.actor("host_owner"), step=revenue)
    with time_machine.travel("2026-12-20 10:00:00Z", tick=False):
        services.step_mark_done(actor=world.actor("host_owner"), step=revenue)
    assert Milestone.objects.get().reached_on == date(2026, 12, 3)
    # The public service is idempotent too.
    again = services.milestone_record(
        partnership=world.partnership,
        key="first_revenue",
        title="First revenue",
        reached_on=date(2027, 1, 1),
    )
    assert again == milestone and Milestone.objects.count() == 1


def test_milestone_record_without_actor(world: World) -> None:
    m = services.milestone_record(
        partnership=world.partnership,
        key="first_referral",
        title="First referral",
        reached_on=date(2026, 5, 1),
    )
    assert m.recorded_by is None and m.step is None
    with pytest.raises(ValidationError):
        services.milestone_record(
            partnership=world.partnership, key="", title="x", reached_on=date(2026, 5, 1)
        )


@time_machine.travel("2026-12-10 10:00:00Z", tick=False)
def test_recent_milestones_are_celebrated_for_14_days(world: World) -> None:
    for key, day in (("first_campaign", 20), ("first_referral", 26), ("first_revenue", 10)):
        services.milestone_record(
            partnership=world.partnership,
            key=key,
            title=key,
            reached_on=date(2026, 11, day) if key != "first_revenue" else date(2026, 12, day),
        )
    for side in (Side.HOST, Side.PARTNER):
        data = selectors.workspace_plan(partnership=world.partnership, side=side)
        assert {m.key for m in data["celebrations"]} == {"first_revenue", "first_referral"}
        assert len(data["milestones"]) == 3


# --- did it work? -----------------------------------------------------------------------


def test_outcome_only_on_done_steps(world: World) -> None:
    step = by_key(start(world), "intro_call")
    actor = world.actor("partner_user")
    with pytest.raises(ValidationError):
        services.step_record_outcome(actor=actor, step=step, outcome="worked")
    services.step_mark_done(actor=actor, step=step)
    with pytest.raises(ValidationError):
        services.step_record_outcome(actor=actor, step=step, outcome="great")
    services.step_record_outcome(actor=actor, step=step, outcome="mixed", note="Half came")
    step.refresh_from_db()
    assert (step.outcome, step.outcome_note) == ("mixed", "Half came")
    assert step.outcome_at is not None
    assert TimelineEvent.objects.filter(kind="step_outcome").exists()


# --- the workspace section --------------------------------------------------------------


@time_machine.travel("2026-03-02 09:00:00Z", tick=False)
def test_workspace_plan_groups_progress_and_overdue(world: World) -> None:
    steps = start(world)
    services.step_mark_done(actor=world.actor("host_owner"), step=steps[0])
    with time_machine.travel("2026-03-24 09:00:00Z", tick=False):
        data = selectors.workspace_plan(partnership=world.partnership, side=Side.HOST)
    phases = {g.phase: g for g in data["plan_phases"]}
    assert list(phases) == ["start", "engage", "prove", "grow"]
    assert (phases["start"].done, phases["start"].total, phases["start"].percent) == (1, 3, 33)
    # Due on 16 and 23 March, still open on the 24th: overdue; the done one (9th) is not.
    overdue = [s.key for s in data["plan_steps"] if s.is_overdue]
    assert overdue == ["intro_call", "workspace_set_up"]
    assert data["plan_overdue"] == 2 and data["plan_done"] == 1


def test_workspace_plan_query_count_is_flat(
    world: World, django_assert_max_num_queries: object
) -> None:
    steps = start(world)
    for step in steps[:4]:
        services.step_split(actor=world.actor("host_owner"), step=step, titles=["a", "b", "c"])
    for key in ("first_campaign", "first_revenue"):
        services.milestone_record(
            partnership=world.partnership, key=key, title=key, reached_on=date.today()
        )
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        data = selectors.workspace_plan(partnership=world.partnership, side=Side.PARTNER)
    assert len(data["plan_steps"]) == len(steps) + 12
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        selectors.workspace_plan(partnership=world.other_partnership, side=Side.HOST)
