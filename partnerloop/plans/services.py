"""Writes of plans: playbooks, each partnership's plan of tiny steps, and milestones.

Every function is keyword-only, typed and atomic. The acting organization decides the
side (host or partner of the step's partnership); a step the side may not see is a 404,
a role that may not write is a 403, a stale `version` raises `ConcurrentEdit` and writes
nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import Http404
from django.utils import timezone

from partnerloop.accounts.models import Organization
from partnerloop.core.tenancy import Actor
from partnerloop.fit.models import GapAction, GapActionKind
from partnerloop.partnerships.models import AgreementStatus, Partnership, Side, Visibility
from partnerloop.partnerships.selectors import visible_to
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record
from partnerloop.plans.models import (
    PHASE_ORDER,
    SMALLER,
    Effort,
    Milestone,
    OwnerSide,
    Phase,
    Plan,
    PlanStep,
    Playbook,
    PlaybookStep,
    StepOutcome,
    StepStatus,
)
from partnerloop.plans.template import (
    DEFAULT_PLAYBOOK_DESCRIPTION,
    DEFAULT_PLAYBOOK_NAME,
    DEFAULT_STEPS,
)

__all__ = ["ConcurrentEdit"]

MIN_PARTS = 2
MAX_PARTS = 5
STALE_STEP = (
    "Someone else changed this step while you were working on it; nothing was saved. "
    "Here is the step as it is now: check it, then apply your change again."
)
STALE_PLAYBOOK = (
    "Someone else changed this playbook while you were editing it; nothing was saved. "
    "Reload the page to see their changes, then apply yours again."
)


# --- validation helpers -----------------------------------------------------------------


def _clean_title(title: str, field: str = "title") -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({field: "Give the step a short title, e.g. “Send the intro deck”."})
    if len(title) > 200:
        raise ValidationError({field: "Keep the title under 200 characters."})
    return title


def _require_choice(value: str, choices: Any, field: str, what: str) -> str:
    if value not in choices.values:
        labels = ", ".join(str(label).lower() for label in choices.labels)
        raise ValidationError({field: f"Choose the {what}: {labels}."})
    return value


def _clean_duration(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"duration_days": "Enter the expected duration in days."}) from None
    if not 0 <= days <= 365:
        raise ValidationError({"duration_days": "Enter a duration between 0 and 365 days."})
    return days


# --- playbooks --------------------------------------------------------------------------


@transaction.atomic
def ensure_default_playbook(host: Organization) -> Playbook:
    """The host's default playbook; the seed's tiny steps are copied in the first time."""
    existing = Playbook.objects.filter(host=host, is_default=True).first()
    if existing is not None:
        return existing
    named = Playbook.objects.filter(host=host, name=DEFAULT_PLAYBOOK_NAME).first()
    if named is not None:
        Playbook.objects.filter(pk=named.pk).update(is_default=True, version=F("version") + 1)
        named.refresh_from_db()
        return named
    try:
        with transaction.atomic():
            playbook = Playbook.objects.create(
                host=host,
                name=DEFAULT_PLAYBOOK_NAME,
                description=DEFAULT_PLAYBOOK_DESCRIPTION,
                is_default=True,
            )
    except IntegrityError:  # created meanwhile by a concurrent request
        return Playbook.objects.get(host=host, is_default=True)
    PlaybookStep.objects.bulk_create(
        PlaybookStep(
            playbook=playbook,
            key=s.key,
            phase=s.phase,
            position=i,
            title=s.title,
            description=s.description,
            owner_side=s.owner_side,
            effort=s.effort,
            duration_days=s.duration_days,
            is_milestone=s.is_milestone,
        )
        for i, s in enumerate(DEFAULT_STEPS)
    )
    return playbook


def _require_own_playbook(actor: Actor, playbook: Playbook) -> None:
    if playbook.host_id != actor.organization.pk:
        raise Http404("No such playbook.")
    actor.require_manage()


def _bump_playbook(playbook: Playbook, version: int | None, **changes: Any) -> None:
    """Write `changes` only if the playbook is still at `version`; bump the version."""
    qs = Playbook.objects.filter(pk=playbook.pk)
    if version is not None:
        qs = qs.filter(version=version)
    if not qs.update(version=F("version") + 1, updated_at=timezone.now(), **changes):
        raise ConcurrentEdit(STALE_PLAYBOOK)
    playbook.refresh_from_db()


@transaction.atomic
def playbook_create(*, actor: Actor, name: str, description: str = "") -> Playbook:
    """A new, empty playbook of the actor's organization (managers)."""
    actor.require_manage()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the playbook, e.g. “Reseller onboarding”."})
    if Playbook.objects.filter(host=actor.organization, name__iexact=name).exists():
        raise ValidationError({"name": "You already have a playbook with that name."})
    return Playbook.objects.create(
        host=actor.organization,
        name=name[:120],
        description=description.strip(),
        created_by=actor.user,
    )


@transaction.atomic
def playbook_update(
    *, actor: Actor, playbook: Playbook, version: int, name: str, description: str = ""
) -> Playbook:
    _require_own_playbook(actor, playbook)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the playbook."})
    if (
        Playbook.objects.filter(host=playbook.host_id, name__iexact=name)
        .exclude(pk=playbook.pk)
        .exists()
    ):
        raise ValidationError({"name": "You already have a playbook with that name."})
    _bump_playbook(playbook, version, name=name[:120], description=description.strip())
    return playbook


@transaction.atomic
def playbook_make_default(*, actor: Actor, playbook: Playbook) -> Playbook:
    """New plans start from this playbook unless someone chooses another."""
    _require_own_playbook(actor, playbook)
    Playbook.objects.filter(host=playbook.host_id, is_default=True).exclude(pk=playbook.pk).update(
        is_default=False, version=F("version") + 1
    )
    _bump_playbook(playbook, None, is_default=True)
    return playbook


def _step_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": _clean_title(data.get("title", "")),
        "description": (data.get("description") or "").strip(),
        "phase": _require_choice(data.get("phase", ""), Phase, "phase", "phase"),
        "owner_side": _require_choice(
            data.get("owner_side", ""), OwnerSide, "owner_side", "side that owns it"
        ),
        "effort": _require_choice(data.get("effort", ""), Effort, "effort", "effort"),
        "duration_days": _clean_duration(data.get("duration_days", 14)),
        "is_milestone": bool(data.get("is_milestone")),
        "key": (data.get("key") or "").strip()[:60],
    }


@transaction.atomic
def playbook_step_add(
    *, actor: Actor, playbook: Playbook, version: int | None, **data: Any
) -> PlaybookStep:
    _require_own_playbook(actor, playbook)
    fields = _step_fields(data)
    _bump_playbook(playbook, version)
    last = playbook.steps.aggregate(m=Max("position"))["m"]
    return PlaybookStep.objects.create(
        playbook=playbook, position=0 if last is None else last + 1, **fields
    )


@transaction.atomic
def playbook_step_edit(
    *, actor: Actor, step: PlaybookStep, version: int, **data: Any
) -> PlaybookStep:
    playbook = step.playbook
    _require_own_playbook(actor, playbook)
    fields = _step_fields({"key": step.key, **data})
    _bump_playbook(playbook, version)
    for name, value in fields.items():
        setattr(step, name, value)
    step.save()
    return step


@transaction.atomic
def playbook_step_remove(*, actor: Actor, step: PlaybookStep, version: int | None = None) -> None:
    _require_own_playbook(actor, step.playbook)
    _bump_playbook(step.playbook, version)
    step.delete()


def _ordered_playbook_steps(playbook: Playbook) -> list[PlaybookStep]:
    steps = list(playbook.steps.all())
    steps.sort(key=lambda s: (PHASE_ORDER.get(s.phase, 99), s.position, s.id))
    return steps


@transaction.atomic
def playbook_step_move(
    *, actor: Actor, step: PlaybookStep, direction: str, version: int | None = None
) -> None:
    """Swap the step with its neighbour in the same phase ("up" or "down")."""
    _require_own_playbook(actor, step.playbook)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move the step up or down."})
    _bump_playbook(step.playbook, version)
    same_phase = [s for s in _ordered_playbook_steps(step.playbook) if s.phase == step.phase]
    _swap(same_phase, step.pk, direction, PlaybookStep)


def _swap(ordered: list[Any], pk: int, direction: str, model: Any) -> bool:
    """Renumber `ordered` with the step `pk` swapped with its neighbour; False at an end."""
    index = next((i for i, s in enumerate(ordered) if s.pk == pk), None)
    if index is None:
        return False
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return False
    positions = sorted(s.position for s in ordered)
    # Equal positions (steps added at the same spot) get distinct ones first.
    for i in range(1, len(positions)):
        if positions[i] <= positions[i - 1]:
            positions[i] = positions[i - 1] + 1
    ordered[index], ordered[other] = ordered[other], ordered[index]
    changed = []
    for item, position in zip(ordered, positions, strict=True):
        if item.position != position:
            item.position = position
            changed.append(item)
    if changed:
        model.objects.bulk_update(changed, ["position"])
    return True


# --- plans: access ----------------------------------------------------------------------


def side_of_actor(*, actor: Actor, partnership: Partnership) -> str:
    """The actor's side of the partnership; 404 for an organization outside it."""
    org_id = actor.organization.pk
    if org_id == partnership.host_id:
        return Side.HOST
    if org_id == partnership.partner_id:
        return Side.PARTNER
    raise Http404("No such partnership.")


def _step_access(actor: Actor, step: PlanStep) -> str:
    """The side working the step: 404 if it may not see it, 403 if it may not write."""
    side = side_of_actor(actor=actor, partnership=step.partnership)
    if step.visibility != Visibility.SHARED and step.side != side:
        raise Http404("No such step.")
    actor.require_write()
    return side


def _lock(step: PlanStep, version: int | None) -> PlanStep:
    locked = PlanStep.objects.select_for_update().get(pk=step.pk)
    if version is not None and locked.version != version:
        raise ConcurrentEdit(STALE_STEP)
    return locked


def _save(step: PlanStep, locked: PlanStep, fields: list[str]) -> PlanStep:
    """Save `fields` of the locked row with a new version, and refresh the caller's copy."""
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    for name in [*fields, "version", "updated_at"]:
        setattr(step, name, getattr(locked, name))
    return step


# Prompts a step change answers (for prompt effectiveness): done or split answers "overdue",
# an outcome answers "did it work?".
ANSWERS = {
    "step_done": ["step_overdue"],
    "step_split": ["step_overdue"],
    "step_outcome": ["did_it_work"],
}


def _record(actor: Actor, side: str, step: PlanStep, kind: str, summary: str) -> None:
    """A timeline event with the step's own visibility: private steps, private events; then
    what the change means elsewhere: the prompts it answers, and the partnership's health."""
    timeline_record(
        partnership=step.partnership,
        actor=actor.user,
        side=step.side if step.visibility == Visibility.PRIVATE else side,
        kind=kind,
        summary=summary,
        visibility=step.visibility,
    )
    from partnerloop.health.services import refresh_partnership_health
    from partnerloop.prompts.services import mark_acted

    if kind in ANSWERS:
        mark_acted(partnership=step.partnership, kinds=ANSWERS[kind], subject_code=step.code)
    refresh_partnership_health(step.partnership)


# --- plans ------------------------------------------------------------------------------


@transaction.atomic
def plan_start(*, actor: Actor, partnership: Partnership, playbook: Playbook | None = None) -> Plan:
    """Copy a playbook (the host's default unless one is chosen) into the partnership's
    plan; due dates run from today by the steps' cumulative expected durations."""
    if side_of_actor(actor=actor, partnership=partnership) != Side.HOST:
        raise PermissionDenied("The host starts the plan from one of its playbooks.")
    actor.require_write()
    if Plan.objects.filter(partnership=partnership).exists():
        raise ValidationError("This partnership already has a plan: work it in the workspace.")
    if playbook is None:
        playbook = ensure_default_playbook(partnership.host)
    elif playbook.host_id != partnership.host_id:
        raise ValidationError({"playbook": "Choose one of your own playbooks."})
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                partnership=partnership,
                playbook=playbook,
                playbook_name=playbook.name,
                created_by=actor.user,
            )
    except IntegrityError:
        raise ValidationError("This partnership already has a plan.") from None
    due = timezone.localdate()
    steps = []
    for i, s in enumerate(_ordered_playbook_steps(playbook)):
        due = due + timedelta(days=s.duration_days)
        steps.append(
            PlanStep(
                plan=plan,
                partnership=partnership,
                key=s.key,
                phase=s.phase,
                position=i,
                title=s.title,
                description=s.description,
                owner_side=s.owner_side,
                effort=s.effort,
                is_milestone=s.is_milestone,
                due_on=due,
                side=Side.HOST,
                visibility=Visibility.SHARED,
                created_by=actor.user,
            )
        )
    PlanStep.objects.bulk_create(steps)
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="plan",
        summary=f"Plan started from “{playbook.name}”: {len(steps)} tiny steps",
    )
    accepted = (
        partnership.agreements.filter(status=AgreementStatus.ACCEPTED)
        .order_by("-accepted_at")
        .first()
    )
    if accepted is not None:
        step_complete_by_key(
            actor=actor,
            partnership=partnership,
            key="agreement_accepted",
            evidence=f"“{accepted.title}” accepted on {accepted.accepted_at:%d %b %Y}",
        )
    return plan


def step_complete_by_key(
    *, actor: Actor, partnership: Partnership, key: str, evidence: str = ""
) -> PlanStep | None:
    """Mark the plan's open shared step with this key done, when something elsewhere did
    it (the agreement accepted); nothing when there is no plan or no such open step."""
    step = (
        PlanStep.objects.filter(
            partnership=partnership,
            key=key,
            status=StepStatus.OPEN,
            visibility=Visibility.SHARED,
        )
        .select_related("partnership")
        .first()
    )
    if step is None:
        return None
    return step_mark_done(actor=actor, step=step, evidence=evidence)


def _plan_of(partnership: Partnership) -> Plan:
    plan = Plan.objects.filter(partnership=partnership).first()
    if plan is None:
        raise ValidationError("Start the plan first: the host chooses a playbook.")
    return plan


@transaction.atomic
def step_mark_done(
    *, actor: Actor, step: PlanStep, evidence: str = "", version: int | None = None
) -> PlanStep:
    """Done, with what shows it (a link, a note); a milestone step records its milestone."""
    side = _step_access(actor, step)
    locked = _lock(step, version)
    if locked.status == StepStatus.DONE:
        raise ValidationError("This step is already done.")
    if locked.status == StepStatus.SKIPPED:
        raise ValidationError("This step was split into smaller steps: mark those done instead.")
    locked.status = StepStatus.DONE
    locked.evidence = (evidence or "").strip()
    locked.done_at = timezone.now()
    locked.done_by = actor.user
    locked.done_side = side
    _save(step, locked, ["status", "evidence", "done_at", "done_by", "done_side"])
    _record(actor, side, step, "step_done", f"Step done: {step.title}")
    if step.is_milestone and step.visibility == Visibility.SHARED:
        milestone_record(
            partnership=step.partnership,
            key=step.key or f"step-{step.code}",
            title=step.title,
            reached_on=timezone.localdate(),
            actor=actor,
            step=step,
        )
    return step


@transaction.atomic
def step_reopen(*, actor: Actor, step: PlanStep, version: int | None = None) -> PlanStep:
    """Back to open; a milestone already reached stays reached (with its first date)."""
    side = _step_access(actor, step)
    locked = _lock(step, version)
    if locked.status != StepStatus.DONE:
        raise ValidationError("Only a done step can be reopened.")
    locked.status = StepStatus.OPEN
    locked.done_at = None
    locked.done_by = None
    locked.done_side = ""
    locked.outcome = ""
    locked.outcome_note = ""
    locked.outcome_at = None
    _save(
        step,
        locked,
        ["status", "done_at", "done_by", "done_side", "outcome", "outcome_note", "outcome_at"],
    )
    _record(actor, side, step, "step_reopened", f"Step reopened: {step.title}")
    return step


@transaction.atomic
def step_add(
    *,
    actor: Actor,
    partnership: Partnership,
    title: str,
    phase: str,
    owner_side: str,
    effort: str,
    description: str = "",
    due_on: date | None = None,
    visibility: str = Visibility.SHARED,
    is_milestone: bool = False,
) -> PlanStep:
    """A new step at the end of its phase; a private one is seen and worked by this side."""
    side = side_of_actor(actor=actor, partnership=partnership)
    actor.require_write()
    plan = _plan_of(partnership)
    title = _clean_title(title)
    _require_choice(phase, Phase, "phase", "phase")
    _require_choice(owner_side, OwnerSide, "owner_side", "side that owns it")
    _require_choice(effort, Effort, "effort", "effort")
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose shared or private."})
    last = PlanStep.objects.filter(plan=plan).aggregate(m=Max("position"))["m"]
    step = PlanStep.objects.create(
        plan=plan,
        partnership=partnership,
        phase=phase,
        position=0 if last is None else last + 1,
        title=title,
        description=(description or "").strip(),
        owner_side=owner_side,
        effort=effort,
        due_on=due_on,
        visibility=visibility,
        side=side,
        is_milestone=bool(is_milestone),
        created_by=actor.user,
    )
    _record(actor, side, step, "step_added", f"Step added: {step.title}")
    return step


EDITABLE = ("title", "description", "phase", "owner_side", "effort", "due_on", "is_milestone")


@transaction.atomic
def step_edit(*, actor: Actor, step: PlanStep, version: int, **fields: Any) -> PlanStep:
    """Change a step's title, description, phase, owner side, effort, due date or milestone
    flag, only if nobody saved it since `version`."""
    side = _step_access(actor, step)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be edited: {', '.join(sorted(unknown))}.")
    if "title" in fields:
        fields["title"] = _clean_title(fields["title"])
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
    if "phase" in fields:
        _require_choice(fields["phase"], Phase, "phase", "phase")
    if "owner_side" in fields:
        _require_choice(fields["owner_side"], OwnerSide, "owner_side", "side that owns it")
    if "effort" in fields:
        _require_choice(fields["effort"], Effort, "effort", "effort")
    if "is_milestone" in fields:
        fields["is_milestone"] = bool(fields["is_milestone"])
    locked = _lock(step, version)
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    _save(step, locked, changed)
    if changed:
        _record(actor, side, step, "step_edited", f"Step edited: {step.title}")
    return step


def _ordered_plan_steps(step: PlanStep, side: str) -> list[PlanStep]:
    """The steps of the step's phase that `side` sees, in plan order."""
    return list(
        PlanStep.objects.filter(plan_id=step.plan_id, phase=step.phase)
        .filter(visible_to(side))
        .order_by("position", "id")
    )


@transaction.atomic
def step_move(*, actor: Actor, step: PlanStep, direction: str) -> None:
    """Swap the step with the previous ("up") or next ("down") step of its phase."""
    side = _step_access(actor, step)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move the step up or down."})
    moved = _swap(_ordered_plan_steps(step, side), step.pk, direction, PlanStep)
    if moved:
        PlanStep.objects.filter(pk=step.pk).update(version=F("version") + 1)
        step.refresh_from_db()
        _record(actor, side, step, "step_moved", f"Step moved {direction}: {step.title}")


@transaction.atomic
def step_split(
    *, actor: Actor, step: PlanStep, titles: list[str], version: int | None = None
) -> list[PlanStep]:
    """ "Make it tinier": 2–5 parts, each one effort size smaller, where the step was.

    The original is skipped and every part points at it through `split_from`; the parts
    keep its phase, owner side, visibility, side and due date.
    """
    side = _step_access(actor, step)
    cleaned = [t.strip() for t in titles if t and t.strip()]
    if not MIN_PARTS <= len(cleaned) <= MAX_PARTS:
        raise ValidationError(
            {"titles": f"Split the step into {MIN_PARTS} to {MAX_PARTS} smaller steps."}
        )
    for title in cleaned:
        _clean_title(title, "titles")
    locked = _lock(step, version)
    if locked.status != StepStatus.OPEN:
        raise ValidationError("Only an open step can be split.")
    n = len(cleaned)
    PlanStep.objects.filter(plan_id=locked.plan_id, position__gt=locked.position).update(
        position=F("position") + n
    )
    PlanStep.objects.bulk_create(
        PlanStep(
            plan_id=locked.plan_id,
            partnership_id=locked.partnership_id,
            phase=locked.phase,
            position=locked.position + i + 1,
            title=title,
            owner_side=locked.owner_side,
            effort=SMALLER[Effort(locked.effort)],
            due_on=locked.due_on,
            visibility=locked.visibility,
            side=locked.side,
            split_from=locked,
            created_by=actor.user,
        )
        for i, title in enumerate(cleaned)
    )
    locked.status = StepStatus.SKIPPED
    _save(step, locked, ["status"])
    _record(
        actor,
        side,
        step,
        "step_split",
        f"Step made tinier: {step.title} → {'; '.join(cleaned)}",
    )
    return list(PlanStep.objects.filter(split_from=step).order_by("position", "id"))


@transaction.atomic
def step_from_gap(*, actor: Actor, gap_action: GapAction) -> PlanStep:
    """A fit gap's small step joins the plan, keeping its visibility, owner and due date."""
    partnership = gap_action.partnership
    side = side_of_actor(actor=actor, partnership=partnership)
    if side != Side.HOST:
        raise Http404("No such gap.")  # gap actions are written by the host
    actor.require_write()
    if gap_action.kind != GapActionKind.STEP:
        raise ValidationError("Only a gap turned into a plan step can join the plan.")
    if PlanStep.objects.filter(gap_action=gap_action).exists():
        raise ValidationError("This step is already in the plan.")
    plan = _plan_of(partnership)
    open_phases = set(
        PlanStep.objects.filter(plan=plan, status=StepStatus.OPEN).values_list("phase", flat=True)
    )
    phase = min(open_phases, key=PHASE_ORDER.__getitem__) if open_phases else Phase.START
    last = PlanStep.objects.filter(plan=plan).aggregate(m=Max("position"))["m"]
    step = PlanStep.objects.create(
        plan=plan,
        partnership=partnership,
        key=f"gap-{gap_action.criterion_key}"[:60],
        phase=phase,
        position=0 if last is None else last + 1,
        title=gap_action.title[:200],
        description="A step to improve fit.",
        owner_side=gap_action.owner_side,
        effort=Effort.SMALL,
        due_on=gap_action.due_on,
        visibility=gap_action.visibility,
        side=Side.HOST,
        gap_action=gap_action,
        created_by=actor.user,
    )
    _record(actor, side, step, "step_added", f"Step added from a fit gap: {step.title}")
    return step


@transaction.atomic
def step_record_outcome(*, actor: Actor, step: PlanStep, outcome: str, note: str = "") -> PlanStep:
    """ "Did it work?" for a done step: worked, didn't or mixed, with a note."""
    side = _step_access(actor, step)
    _require_choice(outcome, StepOutcome, "outcome", "outcome")
    locked = _lock(step, None)
    if locked.status != StepStatus.DONE:
        raise ValidationError("Mark the step done before saying whether it worked.")
    locked.outcome = outcome
    locked.outcome_note = (note or "").strip()
    locked.outcome_at = timezone.now()
    _save(step, locked, ["outcome", "outcome_note", "outcome_at"])
    _record(
        actor,
        side,
        step,
        "step_outcome",
        f"Did it work? {StepOutcome(outcome).label}: {step.title}",
    )
    return step


# --- milestones -------------------------------------------------------------------------


def milestone_record(
    *,
    partnership: Partnership,
    key: str,
    title: str,
    reached_on: date,
    actor: Actor | None = None,
    step: PlanStep | None = None,
) -> Milestone:
    """Record a milestone once per partnership and key; later calls return the first one."""
    key = (key or "").strip()
    if not key:
        raise ValidationError({"key": "A milestone needs a key, e.g. “first_revenue”."})
    existing = Milestone.objects.filter(partnership=partnership, key=key).first()
    if existing is not None:
        return existing
    user: AbstractBaseUser | None = actor.user if actor is not None else None
    try:
        with transaction.atomic():
            milestone = Milestone.objects.create(
                partnership=partnership,
                key=key[:60],
                title=(title or key).strip()[:200],
                reached_on=reached_on,
                step=step,
                recorded_by=user,
            )
    except IntegrityError:  # recorded meanwhile
        return Milestone.objects.get(partnership=partnership, key=key)
    side = side_of_actor(actor=actor, partnership=partnership) if actor is not None else Side.HOST
    timeline_record(
        partnership=partnership,
        actor=user,
        side=side,
        kind="milestone",
        summary=f"Milestone reached: {milestone.title} ({reached_on.day} {reached_on:%b %Y})",
    )
    return milestone
