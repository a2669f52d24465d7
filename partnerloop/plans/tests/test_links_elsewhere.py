"""What the plan learns from the rest of the workspace, and what it changes elsewhere."""

from __future__ import annotations

from partnerloop.conftest import World
from partnerloop.partnerships import services as partnership_services
from partnerloop.partnerships.models import Side
from partnerloop.plans import services
from partnerloop.plans.models import PlanStep, StepStatus
from partnerloop.prompts.models import Prompt, PromptKind


def _agreement(world: World):
    return partnership_services.agreement_propose(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        title="Open partnership agreement",
        terms="Either side can end it at any time.",
        notice_days=30,
    )


def test_accepting_the_agreement_does_the_first_step(world: World) -> None:
    services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    agreement = _agreement(world)
    partnership_services.agreement_accept(
        actor=world.actor("partner_user"),
        partnership=world.partnership,
        agreement=agreement,
        text_version=agreement.text_version,
    )
    step = PlanStep.objects.get(partnership=world.partnership, key="agreement_accepted")
    assert step.status == StepStatus.DONE and step.done_side == Side.PARTNER
    assert "accepted" in step.evidence
    assert world.partnership.milestones.filter(key="agreement_accepted").exists()


def test_a_plan_started_after_the_agreement_starts_with_that_step_done(world: World) -> None:
    agreement = _agreement(world)
    partnership_services.agreement_accept(
        actor=world.actor("partner_user"),
        partnership=world.partnership,
        agreement=agreement,
        text_version=agreement.text_version,
    )
    services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    step = PlanStep.objects.get(partnership=world.partnership, key="agreement_accepted")
    assert step.status == StepStatus.DONE


def test_doing_a_step_answers_its_overdue_prompt_and_refreshes_health(world: World) -> None:
    services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    step = PlanStep.objects.get(partnership=world.partnership, key="intro_call")
    nudge = Prompt.objects.create(
        dedupe_key="overdue:intro",
        kind=PromptKind.STEP_OVERDUE,
        partnership=world.partnership,
        recipient=world.partner_user,
        organization=world.partner,
        side=Side.PARTNER,
        title="Intro call is overdue",
        subject_code=step.code,
    )
    services.step_mark_done(actor=world.actor("partner_user"), step=step, evidence="Done")
    nudge.refresh_from_db()
    assert nudge.acted_at is not None
    world.partnership.refresh_from_db()
    health = world.partnership.current_health
    assert health.computed_at is not None
