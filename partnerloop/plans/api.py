"""Plans in the JSON API: a partnership's plan and milestones, its steps, and playbooks.

Mounted at /api/v1/plans. The same selectors and services as the pages: a side never
receives the other side's private steps; a stale `version` answers 409.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from partnerloop.api.partnerships import _actor, _partnership
from partnerloop.api.schemas import InputSchema, current_version, responses, stale_edit
from partnerloop.partnerships.models import Visibility
from partnerloop.plans import selectors, services
from partnerloop.plans.models import Effort, Plan, PlanStep, Playbook

router = Router(tags=["plans"])


class StepOut(Schema):
    code: str
    key: str
    phase: str
    position: int
    title: str
    description: str
    owner_side: str
    effort: str
    is_milestone: bool
    due_on: date | None
    status: str
    visibility: str
    evidence: str
    done_at: datetime | None
    done_side: str
    outcome: str
    outcome_note: str
    split_from: str | None = Field(None, description="Code of the step this one was split from")
    version: int

    @staticmethod
    def resolve_split_from(obj: PlanStep) -> str | None:
        return getattr(obj, "split_from_code", None)


class MilestoneOut(Schema):
    key: str
    title: str
    reached_on: date


class PlanOut(Schema):
    started: bool
    playbook_name: str
    steps: list[StepOut]
    milestones: list[MilestoneOut]


class PlaybookStepOut(Schema):
    key: str
    phase: str
    position: int
    title: str
    description: str
    owner_side: str
    effort: str
    duration_days: int
    is_milestone: bool


class PlaybookOut(Schema):
    code: str
    name: str
    description: str
    is_default: bool
    version: int
    steps: list[PlaybookStepOut]

    @staticmethod
    def resolve_steps(obj: Playbook) -> list[Any]:
        return selectors.plan_order(list(obj.steps.all()))


class StepIn(InputSchema):
    title: str
    phase: str = Field(description="start, engage, prove or grow")
    owner_side: str = Field(description="host, partner or both")
    effort: str = Field(Effort.SMALL, description="tiny, small, medium or large")
    description: str = ""
    due_on: date | None = None
    visibility: str = Field(Visibility.SHARED, description="shared or private (to your side)")
    is_milestone: bool = False


class StepEditIn(InputSchema):
    version: int = Field(description="The `version` you read; 409 if someone saved since.")
    title: str | None = None
    description: str | None = None
    phase: str | None = None
    owner_side: str | None = None
    effort: str | None = None
    due_on: date | None = None
    is_milestone: bool | None = None


class DoneIn(InputSchema):
    evidence: str = ""
    version: int | None = Field(None, description="Optional: 409 if the step changed since.")


class SplitIn(InputSchema):
    titles: list[str] = Field(description="2 to 5 titles of the smaller steps")
    version: int | None = Field(None, description="Optional: 409 if the step changed since.")


def _steps_out(steps: list[PlanStep]) -> list[PlanStep]:
    codes = {s.pk: s.code for s in steps}
    for s in steps:
        s.split_from_code = codes.get(s.split_from_id)  # type: ignore[attr-defined]
    return steps


def _step(request: HttpRequest, code: str, step: str) -> tuple[Any, PlanStep]:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    obj = selectors.step_for(partnership=partnership, side=side, code=step)
    obj.partnership = partnership
    return actor, obj


def _conflict(step: PlanStep, exc: Exception) -> Status:
    return stale_edit(exc, current_version(step))


def _one(step: PlanStep) -> PlanStep:
    step.split_from_code = (  # type: ignore[attr-defined]
        PlanStep.objects.filter(pk=step.split_from_id).values_list("code", flat=True).first()
        if step.split_from_id
        else None
    )
    return step


@router.get(
    "/partnerships/{code}",
    response=responses(200, PlanOut, 404),
    summary="A partnership's plan and milestones",
    description="The steps your side may see (shared ones and your side's private ones), "
    "in plan order, and every milestone reached. `started` is false before the host "
    "starts the plan.",
)
def plan_get(request: HttpRequest, code: str) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    plan = Plan.objects.filter(partnership=partnership).first()
    steps = selectors.plan_order(list(selectors.steps_for(partnership=partnership, side=side)))
    return {
        "started": plan is not None,
        "playbook_name": plan.playbook_name if plan else "",
        "steps": _steps_out(steps),
        "milestones": list(selectors.milestones_for(partnership=partnership)),
    }


@router.post(
    "/partnerships/{code}/steps",
    response=responses(201, StepOut, 403, 404, 422),
    summary="Add a step",
    description="Writers of either side (owner, admin, manager, member), once the plan is "
    "started. A private step is seen and worked by your side only.",
)
def step_create(request: HttpRequest, code: str, payload: StepIn) -> Status:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    step = services.step_add(actor=actor, partnership=partnership, **payload.dict())
    return Status(201, _one(step))


@router.patch(
    "/partnerships/{code}/steps/{step}",
    response=responses(200, StepOut, 403, 404, 409, 422),
    summary="Edit a step",
    description="Send the `version` you read and the fields to change; if someone saved "
    "the step in between, nothing is written and the answer is 409 with the current "
    "version.",
)
def step_update(request: HttpRequest, code: str, step: str, payload: StepEditIn) -> Any:
    actor, obj = _step(request, code, step)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    try:
        services.step_edit(actor=actor, step=obj, version=version, **fields)
    except services.ConcurrentEdit as exc:
        return _conflict(obj, exc)
    return Status(200, _one(obj))


@router.post(
    "/partnerships/{code}/steps/{step}/done",
    response=responses(200, StepOut, 403, 404, 409, 422),
    summary="Mark a step done",
    description="With optional evidence. A milestone step records its milestone (once).",
)
def step_done(request: HttpRequest, code: str, step: str, payload: DoneIn) -> Any:
    actor, obj = _step(request, code, step)
    try:
        services.step_mark_done(
            actor=actor, step=obj, evidence=payload.evidence, version=payload.version
        )
    except services.ConcurrentEdit as exc:
        return _conflict(obj, exc)
    return Status(200, _one(obj))


@router.post(
    "/partnerships/{code}/steps/{step}/split",
    response=responses(201, list[StepOut], 403, 404, 409, 422),
    summary="Make a step tinier",
    description="Split an open step into 2–5 smaller steps, each one effort size smaller, "
    "placed where it was; the original becomes `skipped`.",
)
def step_split(request: HttpRequest, code: str, step: str, payload: SplitIn) -> Any:
    actor, obj = _step(request, code, step)
    try:
        parts = services.step_split(
            actor=actor, step=obj, titles=payload.titles, version=payload.version
        )
    except services.ConcurrentEdit as exc:
        return _conflict(obj, exc)
    for part in parts:
        part.split_from_code = obj.code  # type: ignore[attr-defined]
    return Status(201, parts)


@router.get(
    "/playbooks",
    response=responses(200, list[PlaybookOut]),
    summary="Your organization's playbooks",
    description="The templates plans start from, with their steps in plan order.",
)
def playbook_list(request: HttpRequest) -> list[Playbook]:
    return list(selectors.playbooks_of(actor=_actor(request)).prefetch_related("steps"))
