"""Plan pages: the host's playbooks, and each partnership's plan worked in the workspace."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, form_errors, org_view
from partnerloop.fit.models import GapAction
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.plans import selectors, services
from partnerloop.plans.forms import (
    PlanStartForm,
    PlaybookEditForm,
    PlaybookForm,
    PlaybookStepForm,
    StepAddForm,
    StepDoneForm,
    StepEditForm,
    StepMoveForm,
    StepOutcomeForm,
    StepSplitForm,
    StepVersionForm,
)
from partnerloop.plans.models import SMALLER, Effort, PlanStep, Playbook, PlaybookStep

# --- helpers ----------------------------------------------------------------------------


def _to_plan(actor: Actor, code: str, step: PlanStep | None = None) -> HttpResponse:
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += f"#step-{step.code}" if step is not None else "#plan"
    return response


def _error_messages(request: HttpRequest, exc: ValidationError) -> None:
    for errors in form_errors(exc).values():
        for error in errors:
            messages.error(request, error)


def _form_messages(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _step(actor: Actor, code: str, step: str) -> tuple[Partnership, str, PlanStep]:
    partnership, side = partnership_for(actor=actor, code=code)
    obj = selectors.step_for(partnership=partnership, side=side, code=step)
    obj.partnership = partnership
    return partnership, side, obj


def _conflict(
    request: HttpRequest,
    actor: Actor,
    partnership: Partnership,
    step: PlanStep,
    message: str,
    form: Any = None,
) -> HttpResponse:
    """409: the step as it is now, and (for an edit) the user's input kept beside it."""
    step.refresh_from_db()
    if form is None:
        form = _edit_form(step)
    else:
        data = form.data.copy()
        data["version"] = str(step.version)
        form = StepEditForm(data)
        form.is_valid()
    return render(
        request,
        "plans/step_edit.html",
        {
            "actor": actor,
            "p": partnership,
            "step": step,
            "form": form,
            "conflict": message,
        },
        status=409,
    )


def _edit_form(step: PlanStep, data: Any = None) -> StepEditForm:
    return StepEditForm(
        data,
        initial={
            "title": step.title,
            "description": step.description,
            "phase": step.phase,
            "owner_side": step.owner_side,
            "effort": step.effort,
            "due_on": step.due_on,
            "version": step.version,
        },
    )


# --- the plan in the workspace ----------------------------------------------------------


@require_POST
@org_view
def plan_start(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    if side != Side.HOST:
        raise PermissionDenied("The host starts the plan from one of its playbooks.")
    actor.require_write()
    playbooks = list(Playbook.objects.filter(host=partnership.host))
    form = PlanStartForm(request.POST, playbooks=playbooks)
    if not form.is_valid():
        _form_messages(request, form)
        return _to_plan(actor, code)
    chosen = form.cleaned_data["playbook"]
    playbook = next((p for p in playbooks if p.code == chosen), None) if chosen else None
    try:
        plan = services.plan_start(actor=actor, partnership=partnership, playbook=playbook)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, f"The plan is started from “{plan.playbook_name}”.")
    return _to_plan(actor, code)


@require_POST
@org_view
def step_add(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, _side = partnership_for(actor=actor, code=code)
    actor.require_write()
    form = StepAddForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
        return _to_plan(actor, code)
    try:
        step = services.step_add(actor=actor, partnership=partnership, **form.cleaned_data)
    except ValidationError as exc:
        _error_messages(request, exc)
        return _to_plan(actor, code)
    messages.success(request, f"Step added: {step.title}")
    return _to_plan(actor, code, step)


@org_view
def step_edit(request: HttpRequest, actor: Actor, code: str, step: str) -> HttpResponse:
    partnership, _side, obj = _step(actor, code, step)
    form = _edit_form(obj, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        actor.require_write()
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.step_edit(actor=actor, step=obj, version=version, **data)
            except services.ConcurrentEdit as exc:
                return _conflict(request, actor, partnership, obj, str(exc), form)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Saved: {obj.title}")
                return _to_plan(actor, code, obj)
    return render(
        request,
        "plans/step_edit.html",
        {"actor": actor, "p": partnership, "step": obj, "form": form},
        status=status,
    )


@require_POST
@org_view
def step_done(request: HttpRequest, actor: Actor, code: str, step: str) -> HttpResponse:
    partnership, _side, obj = _step(actor, code, step)
    actor.require_write()
    form = StepDoneForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
        return _to_plan(actor, code, obj)
    try:
        services.step_mark_done(
            actor=actor,
            step=obj,
            evidence=form.cleaned_data["evidence"],
            version=form.cleaned_data["version"],
        )
    except services.ConcurrentEdit as exc:
        return _conflict(request, actor, partnership, obj, str(exc))
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        if obj.is_milestone:
            messages.success(request, f"Milestone reached: {obj.title}. Celebrate it together!")
        else:
            messages.success(request, f"Done: {obj.title}")
    return _to_plan(actor, code, obj)


@require_POST
@org_view
def step_reopen(request: HttpRequest, actor: Actor, code: str, step: str) -> HttpResponse:
    partnership, _side, obj = _step(actor, code, step)
    actor.require_write()
    form = StepVersionForm(request.POST)
    form.is_valid()
    try:
        services.step_reopen(actor=actor, step=obj, version=form.cleaned_data.get("version"))
    except services.ConcurrentEdit as exc:
        return _conflict(request, actor, partnership, obj, str(exc))
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, f"Reopened: {obj.title}")
    return _to_plan(actor, code, obj)


@require_POST
@org_view
def step_move(request: HttpRequest, actor: Actor, code: str, step: str) -> HttpResponse:
    _partnership, _side, obj = _step(actor, code, step)
    actor.require_write()
    form = StepMoveForm(request.POST)
    if form.is_valid():
        services.step_move(actor=actor, step=obj, direction=form.cleaned_data["direction"])
    else:
        _form_messages(request, form)
    return _to_plan(actor, code, obj)


@org_view
def step_split(request: HttpRequest, actor: Actor, code: str, step: str) -> HttpResponse:
    """ "Make it tinier": the step becomes 2–5 smaller ones, each one effort size smaller."""
    partnership, _side, obj = _step(actor, code, step)
    form = StepSplitForm(
        request.POST if request.method == "POST" else None, initial={"version": obj.version}
    )
    status = 200
    if request.method == "POST":
        actor.require_write()
        status = 400
        if form.is_valid():
            try:
                parts = services.step_split(
                    actor=actor,
                    step=obj,
                    titles=form.titles(),
                    version=form.cleaned_data["version"],
                )
            except services.ConcurrentEdit as exc:
                return _conflict(request, actor, partnership, obj, str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Made tinier: {len(parts)} smaller steps.")
                return _to_plan(actor, code, parts[0])
    return render(
        request,
        "plans/step_split.html",
        {
            "actor": actor,
            "p": partnership,
            "step": obj,
            "form": form,
            "smaller": SMALLER[Effort(obj.effort)].label.lower(),
        },
        status=status,
    )


@require_POST
@org_view
def step_outcome(request: HttpRequest, actor: Actor, code: str, step: str) -> HttpResponse:
    _partnership, _side, obj = _step(actor, code, step)
    actor.require_write()
    form = StepOutcomeForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
        return _to_plan(actor, code, obj)
    try:
        services.step_record_outcome(
            actor=actor,
            step=obj,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, "Thanks: the outcome is recorded.")
    return _to_plan(actor, code, obj)


@require_POST
@org_view
def step_from_gap(request: HttpRequest, actor: Actor, code: str, gap: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    if side != Side.HOST:
        raise Http404("No such gap.")
    gap_action = GapAction.objects.filter(partnership=partnership, code=gap).first()
    if gap_action is None:
        raise Http404("No such gap.")
    gap_action.partnership = partnership
    actor.require_write()
    try:
        step = services.step_from_gap(actor=actor, gap_action=gap_action)
    except ValidationError as exc:
        _error_messages(request, exc)
        return _to_plan(actor, code)
    messages.success(request, f"Added to the plan: {step.title}")
    return _to_plan(actor, code, step)


# --- playbooks --------------------------------------------------------------------------


@org_view
def playbook_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PlaybookForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        actor.require_manage()
        status = 400
        if form.is_valid():
            try:
                playbook = services.playbook_create(actor=actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Playbook created: {playbook.name}. Add its steps.")
                return redirect(
                    "playbook_detail", org=actor.organization.code, playbook=playbook.code
                )
    playbooks = list(selectors.playbooks_of(actor=actor).prefetch_related("steps"))
    return render(
        request,
        "plans/playbook_list.html",
        {"actor": actor, "playbooks": playbooks, "form": form},
        status=status,
    )


@require_POST
@org_view
def playbook_default_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Create the default playbook (the seed's tiny steps) for this organization."""
    actor.require_manage()
    playbook = services.ensure_default_playbook(actor.organization)
    return redirect("playbook_detail", org=actor.organization.code, playbook=playbook.code)


def _playbook_page(
    request: HttpRequest,
    actor: Actor,
    playbook: Playbook,
    *,
    edit_form: Any = None,
    step_form: Any = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "plans/playbook_detail.html",
        {
            "actor": actor,
            "playbook": playbook,
            "steps": selectors.playbook_steps(playbook),
            "edit_form": edit_form
            or PlaybookEditForm(
                initial={
                    "name": playbook.name,
                    "description": playbook.description,
                    "version": playbook.version,
                }
            ),
            "step_form": step_form or PlaybookStepForm(initial={"version": playbook.version}),
            "conflict": conflict,
        },
        status=status,
    )


@org_view
def playbook_detail(request: HttpRequest, actor: Actor, playbook: str) -> HttpResponse:
    obj = selectors.playbook_for(actor=actor, code=playbook)
    if request.method != "POST":
        return _playbook_page(request, actor, obj)
    actor.require_manage()
    which = request.POST.get("form")
    edit_form = PlaybookEditForm(request.POST) if which == "playbook" else None
    step_form = PlaybookStepForm(request.POST) if which == "step" else None
    form = edit_form or step_form
    if form is None:
        raise PermissionDenied("Unknown form.")
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if edit_form is not None:
                services.playbook_update(actor=actor, playbook=obj, **data)
                messages.success(request, "Playbook saved.")
            else:
                version = data.pop("version")
                services.playbook_step_add(actor=actor, playbook=obj, version=version, **data)
                messages.success(request, f"Step added: {data['title']}")
        except services.ConcurrentEdit as exc:
            obj.refresh_from_db()
            return _playbook_page(request, actor, obj, conflict=str(exc), status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("playbook_detail", org=actor.organization.code, playbook=obj.code)
    return _playbook_page(request, actor, obj, edit_form=edit_form, step_form=step_form, status=400)


def _playbook_step(actor: Actor, playbook: str, step: int) -> tuple[Playbook, PlaybookStep]:
    obj = selectors.playbook_for(actor=actor, code=playbook)
    return obj, selectors.playbook_step_for(playbook=obj, pk=step)


@org_view
def playbook_step_edit(
    request: HttpRequest, actor: Actor, playbook: str, step: int
) -> HttpResponse:
    obj, item = _playbook_step(actor, playbook, step)
    form = PlaybookStepForm(
        request.POST if request.method == "POST" else None,
        initial={
            "title": item.title,
            "description": item.description,
            "phase": item.phase,
            "owner_side": item.owner_side,
            "effort": item.effort,
            "duration_days": item.duration_days,
            "is_milestone": item.is_milestone,
            "version": obj.version,
        },
    )
    status, conflict = 200, ""
    if request.method == "POST":
        actor.require_manage()
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.playbook_step_edit(actor=actor, step=item, version=version, **data)
            except services.ConcurrentEdit as exc:
                obj.refresh_from_db()
                item.refresh_from_db()
                conflict, status = str(exc), 409
                fresh = request.POST.copy()
                fresh["version"] = str(obj.version)
                form = PlaybookStepForm(fresh)
                form.is_valid()
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Saved: {item.title}")
                return redirect("playbook_detail", org=actor.organization.code, playbook=obj.code)
    return render(
        request,
        "plans/playbook_step_edit.html",
        {"actor": actor, "playbook": obj, "step": item, "form": form, "conflict": conflict},
        status=status,
    )


@require_POST
@org_view
def playbook_step_remove(
    request: HttpRequest, actor: Actor, playbook: str, step: int
) -> HttpResponse:
    obj, item = _playbook_step(actor, playbook, step)
    form = StepVersionForm(request.POST)
    form.is_valid()
    try:
        services.playbook_step_remove(
            actor=actor, step=item, version=form.cleaned_data.get("version")
        )
    except services.ConcurrentEdit as exc:
        obj.refresh_from_db()
        return _playbook_page(request, actor, obj, conflict=str(exc), status=409)
    messages.success(request, f"Removed: {item.title}")
    return redirect("playbook_detail", org=actor.organization.code, playbook=obj.code)


@require_POST
@org_view
def playbook_step_move(
    request: HttpRequest, actor: Actor, playbook: str, step: int
) -> HttpResponse:
    obj, item = _playbook_step(actor, playbook, step)
    form = StepMoveForm(request.POST)
    version = StepVersionForm(request.POST)
    version.is_valid()
    if form.is_valid():
        try:
            services.playbook_step_move(
                actor=actor,
                step=item,
                direction=form.cleaned_data["direction"],
                version=version.cleaned_data.get("version"),
            )
        except services.ConcurrentEdit as exc:
            obj.refresh_from_db()
            return _playbook_page(request, actor, obj, conflict=str(exc), status=409)
    return redirect("playbook_detail", org=actor.organization.code, playbook=obj.code)


@require_POST
@org_view
def playbook_make_default(request: HttpRequest, actor: Actor, playbook: str) -> HttpResponse:
    obj = selectors.playbook_for(actor=actor, code=playbook)
    services.playbook_make_default(actor=actor, playbook=obj)
    messages.success(request, f"New plans now start from “{obj.name}”.")
    return redirect("playbook_list", org=actor.organization.code)
