"""Reads of plans. Callers pass a partnership already resolved for the actor (tenancy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.selectors import visible_to
from partnerloop.plans.models import (
    PHASE_ORDER,
    Effort,
    Milestone,
    Phase,
    Plan,
    PlanStep,
    Playbook,
    PlaybookStep,
    StepStatus,
)

# Milestones reached this recently are celebrated in the workspace, to both sides.
CELEBRATE_DAYS = 14


def steps_for(*, partnership: Partnership, side: str) -> QuerySet[PlanStep]:
    """The plan steps a side may see: shared ones and its own private ones."""
    return PlanStep.objects.filter(partnership=partnership).filter(visible_to(side))


def step_for(*, partnership: Partnership, side: str, code: str) -> PlanStep:
    """One step the side may see; 404 for another partnership's or the other side's private."""
    step = (
        steps_for(partnership=partnership, side=side)
        .select_related("partnership", "plan")
        .filter(code=code)
        .first()
    )
    if step is None:
        raise Http404("No such step.")
    return step


def milestones_for(*, partnership: Partnership) -> QuerySet[Milestone]:
    return Milestone.objects.filter(partnership=partnership)


def recent_milestones(milestones: list[Milestone], today: date) -> list[Milestone]:
    """The milestones reached in the last CELEBRATE_DAYS days (today included)."""
    since = today - timedelta(days=CELEBRATE_DAYS)
    return [m for m in milestones if since <= m.reached_on <= today]


def plan_order(steps: list[Any]) -> list[Any]:
    return sorted(steps, key=lambda s: (PHASE_ORDER.get(s.phase, 99), s.position, s.id))


@dataclass
class PhaseGroup:
    phase: str
    label: str
    steps: list[PlanStep] = field(default_factory=list)
    done: int = 0
    total: int = 0  # skipped steps (split into parts) do not count

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def group_by_phase(steps: list[PlanStep], today: date) -> list[PhaseGroup]:
    """Steps grouped by phase in plan order, with progress; marks overdue open steps."""
    groups = {phase: PhaseGroup(phase=phase, label=label) for phase, label in Phase.choices}
    for step in plan_order(steps):
        step.is_overdue = bool(  # type: ignore[attr-defined]
            step.status == StepStatus.OPEN and step.due_on and step.due_on < today
        )
        group = groups.get(step.phase)
        if group is None:
            continue
        group.steps.append(step)
        if step.status != StepStatus.SKIPPED:
            group.total += 1
            group.done += step.status == StepStatus.DONE
    return [g for g in groups.values() if g.steps]


def workspace_plan(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The plan section of the workspace, in at most 3 queries whatever the plan size:
    the plan, then its steps (or, before a plan exists, the host's playbooks), then the
    milestones."""
    today = timezone.localdate()
    plan = Plan.objects.filter(partnership=partnership).first()
    steps: list[PlanStep] = []
    playbooks: list[Playbook] = []
    if plan is not None:
        steps = plan_order(list(steps_for(partnership=partnership, side=side)))
    elif side == Side.HOST:
        playbooks = list(Playbook.objects.filter(host_id=partnership.host_id))
    milestones = list(milestones_for(partnership=partnership))
    phases = group_by_phase(steps, today)
    counted = [s for s in steps if s.status != StepStatus.SKIPPED]
    done = sum(1 for s in counted if s.status == StepStatus.DONE)
    return {
        "plan": plan,
        "plan_steps": steps,
        "plan_phases": phases,
        "plan_done": done,
        "plan_total": len(counted),
        "plan_overdue": sum(1 for s in steps if getattr(s, "is_overdue", False)),
        "plan_playbooks": playbooks,
        "plan_gap_ids": {s.gap_action_id for s in steps if s.gap_action_id},
        "plan_today": today,
        "milestones": milestones,
        "celebrations": recent_milestones(milestones, today),
        "plan_phase_choices": Phase.choices,
        "plan_effort_choices": Effort.choices,
    }


def playbooks_of(*, actor: Actor) -> QuerySet[Playbook]:
    return Playbook.objects.filter(host=actor.organization)


def playbook_for(*, actor: Actor, code: str) -> Playbook:
    """One of the actor organization's playbooks; 404 for any other."""
    playbook = playbooks_of(actor=actor).filter(code=code).first()
    if playbook is None:
        raise Http404("No such playbook.")
    return playbook


def playbook_step_for(*, playbook: Playbook, pk: int) -> PlaybookStep:
    step = PlaybookStep.objects.filter(playbook=playbook, pk=pk).first()
    if step is None:
        raise Http404("No such step.")
    step.playbook = playbook
    return step


def playbook_steps(playbook: Playbook) -> list[PlaybookStep]:
    return plan_order(list(playbook.steps.all()))
