"""Fit pages: the host's IPP and its versions, the IPP test, and each side's checklist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, form_errors, org_view
from partnerloop.fit import scoring, selectors, services
from partnerloop.fit.forms import (
    ActivateForm,
    ChecklistForm,
    CriterionForm,
    GapActionForm,
    GapPromiseForm,
    ShareForm,
    VersionSettingsForm,
)
from partnerloop.fit.ipp_test import run_ipp_test
from partnerloop.fit.models import (
    Direction,
    Evaluation,
    EvaluationStatus,
    IppVersion,
    VersionStatus,
)
from partnerloop.partnerships.models import Side
from partnerloop.partnerships.selectors import partnership_for


def _criteria_by_direction(version: IppVersion | None) -> list[tuple[str, list[Any]]]:
    if version is None:
        return []
    criteria = list(version.criteria.all())
    return [
        (label, [c for c in criteria if c.direction == value]) for value, label in Direction.choices
    ]


# The IPP and its versions (host) --------------------------------------------------------


@require_GET
@org_view
def ipp_home(request: HttpRequest, actor: Actor) -> HttpResponse:
    versions = list(selectors.versions_for(actor=actor).select_related("activated_by"))
    active = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    return render(
        request,
        "fit/ipp_home.html",
        {
            "actor": actor,
            "versions": versions,
            "active": active,
            "draft": draft,
            "groups": _criteria_by_direction(active),
        },
    )


@require_POST
@org_view
def ipp_start(request: HttpRequest, actor: Actor) -> HttpResponse:
    if selectors.versions_for(actor=actor).exists():
        messages.error(request, "You already have a profile; start a new draft from a version.")
        return redirect("ipp_home", org=actor.organization.code)
    version = services.ipp_create_from_template(actor=actor)
    messages.success(request, "A draft from the template is ready: edit it, then activate it.")
    return redirect("ipp_version", org=actor.organization.code, version=version.code)


@require_POST
@org_view
def ipp_new_draft(request: HttpRequest, actor: Actor, version: str) -> HttpResponse:
    based_on = selectors.version_for(actor=actor, code=version)
    try:
        draft = services.ipp_version_new_draft(actor=actor, based_on=based_on)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("ipp_home", org=actor.organization.code)
    messages.success(
        request, f"Draft version {draft.number} starts from version {based_on.number}."
    )
    return redirect("ipp_version", org=actor.organization.code, version=draft.code)


@org_view
def ipp_version(request: HttpRequest, actor: Actor, version: str) -> HttpResponse:
    """A version's criteria; a draft is edited here (settings, criteria, activation)."""
    obj = selectors.version_for(actor=actor, code=version)
    settings_form = VersionSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={"name": obj.name, "band_high": obj.band_high, "band_medium": obj.band_medium},
    )
    criterion_form = CriterionForm(
        request.POST if request.POST.get("form") == "criterion" else None,
        initial={"direction": Direction.OURS, "weight": 3},
    )
    activate_form = ActivateForm(request.POST if request.POST.get("form") == "activate" else None)
    if request.method == "POST":
        form_name = request.POST.get("form")
        try:
            if form_name == "settings" and settings_form.is_valid():
                services.ipp_version_update(actor=actor, version=obj, **settings_form.cleaned_data)
                messages.success(request, "Saved.")
                return redirect("ipp_version", org=actor.organization.code, version=obj.code)
            if form_name == "criterion" and criterion_form.is_valid():
                _save_criterion(actor, obj, criterion_form)
                messages.success(request, "Criterion added.")
                return redirect("ipp_version", org=actor.organization.code, version=obj.code)
            if form_name == "activate" and activate_form.is_valid():
                report = services.ipp_version_activate(
                    actor=actor, version=obj, change_note=activate_form.cleaned_data["change_note"]
                )
                return render(
                    request,
                    "fit/rescore_report.html",
                    {"actor": actor, "version": obj, "report": report, "activated": True},
                )
            if form_name not in {"settings", "criterion", "activate"}:
                raise PermissionDenied("Unknown form.")
        except ValidationError as exc:
            form = {"settings": settings_form, "criterion": criterion_form}.get(
                form_name or "", activate_form
            )
            add_service_errors(form, exc)
    return render(
        request,
        "fit/ipp_version.html",
        {
            "actor": actor,
            "version": obj,
            "groups": _criteria_by_direction(obj),
            "settings_form": settings_form,
            "criterion_form": criterion_form,
            "activate_form": activate_form,
            "editable": obj.status == VersionStatus.DRAFT and actor.can_manage,
        },
        status=400 if request.method == "POST" else 200,
    )


def _save_criterion(
    actor: Actor, version: IppVersion, form: CriterionForm, criterion: Any = None
) -> None:
    try:
        options = form.parsed_options()
    except Exception as exc:  # a forms.ValidationError naming the line
        raise ValidationError({"options": list(getattr(exc, "messages", [str(exc)]))}) from exc
    data = form.cleaned_data
    services.criterion_save(
        actor=actor,
        version=version,
        criterion=criterion,
        data=services.CriterionInput(
            key=data["key"] or (criterion.key if criterion else ""),
            question=data["question"],
            direction=data["direction"],
            dimension=data["dimension"],
            answer_kind=data["answer_kind"],
            weight=data["weight"],
            knock_out=data["knock_out"],
            help_text=data["help_text"],
            options=options,
            improvement_step=data["improvement_step"],
        ),
    )


@org_view
def ipp_criterion_edit(
    request: HttpRequest, actor: Actor, version: str, criterion: int
) -> HttpResponse:
    obj = selectors.version_for(actor=actor, code=version)
    item = selectors.criterion_for(version=obj, pk=criterion)
    form = CriterionForm(request.POST or None, initial=CriterionForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        try:
            _save_criterion(actor, obj, form, item)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Criterion saved.")
            return redirect("ipp_version", org=actor.organization.code, version=obj.code)
    return render(
        request,
        "fit/criterion_edit.html",
        {"actor": actor, "version": obj, "criterion": item, "form": form},
    )


@require_POST
@org_view
def ipp_criterion_delete(
    request: HttpRequest, actor: Actor, version: str, criterion: int
) -> HttpResponse:
    obj = selectors.version_for(actor=actor, code=version)
    item = selectors.criterion_for(version=obj, pk=criterion)
    try:
        services.criterion_delete(actor=actor, version=obj, criterion=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Removed “{item.question}”.")
    return redirect("ipp_version", org=actor.organization.code, version=obj.code)


@require_POST
@org_view
def ipp_retire(request: HttpRequest, actor: Actor, version: str) -> HttpResponse:
    obj = selectors.version_for(actor=actor, code=version)
    services.ipp_version_retire(actor=actor, version=obj)
    messages.success(request, f"Version {obj.number} is retired; its answers are kept.")
    return redirect("ipp_home", org=actor.organization.code)


@require_POST
@org_view
def ipp_rescore(request: HttpRequest, actor: Actor, version: str) -> HttpResponse:
    obj = selectors.version_for(actor=actor, code=version)
    report = services.rescore_all(actor=actor, version=obj, reason="Rescored on request")
    return render(
        request,
        "fit/rescore_report.html",
        {"actor": actor, "version": obj, "report": report, "activated": False},
    )


@require_GET
@org_view
def ipp_compare(request: HttpRequest, actor: Actor) -> HttpResponse:
    versions = list(selectors.versions_for(actor=actor))
    codes = {v.code: v for v in versions}
    before = codes.get(request.GET.get("a", ""))
    after = codes.get(request.GET.get("b", ""))
    if before is None and len(versions) >= 2:
        before, after = versions[1], versions[0]
    changes = selectors.version_diff(before=before, after=after) if before and after else []
    return render(
        request,
        "fit/ipp_compare.html",
        {
            "actor": actor,
            "versions": versions,
            "before": before,
            "after": after,
            "changes": changes,
        },
    )


# The IPP test ----------------------------------------------------------------------------


def _test_chart(rows: list[Any], label: str) -> dict[str, Any]:
    """A Chart.js scatter of fit score (x) against outcome (y), one point per partnership.

    A scatter tooltip takes its title from `data.labels` at the point's index, so the labels
    are the partner names and each band's dataset spans every partnership, with an empty
    point where the partnership is in another band.
    """
    colours = {"high": "#2e7d32", "medium": "#f9a825", "low": "#c62828"}
    empty = {"x": None, "y": None}
    datasets = [
        {
            "label": f"{band.title()} fit",
            "data": [
                {"x": r.fit_score, "y": round(r.outcome * 100, 1)} if r.band == band else empty
                for r in rows
            ],
            "backgroundColor": colours[band],
            "pointRadius": 5,
            "clip": False,  # a point on 0 or 100 is drawn whole, over the axis
        }
        for band in ("high", "medium", "low")
    ]
    return {
        "type": "scatter",
        "data": {"labels": [r.name for r in rows], "datasets": datasets},
        "options": {
            "animation": False,
            "plugins": {"title": {"display": True, "text": label}},
            "scales": {
                "x": {"min": 0, "max": 100, "title": {"display": True, "text": "Fit score"}},
                "y": {"min": 0, "max": 100, "title": {"display": True, "text": "Outcome"}},
            },
        },
    }


def _by_lift(lifts: list[Any]) -> list[Any]:
    """Strongest predictors first; criteria without a lift (too few answers) last."""
    return sorted(lifts, key=lambda lift: (lift.lift is None, -(lift.lift or 0), lift.key))


@require_GET
@org_view
def ipp_test(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Score every partnership against one or two versions and compare with outcomes."""
    actor.require_manage()
    versions = list(selectors.versions_for(actor=actor))
    codes = {v.code: v for v in versions}
    # The active version by default, else the newest (a first draft can be tested too).
    default = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
    first = codes.get(request.GET.get("a", "")) or default or next(iter(versions), None)
    second = codes.get(request.GET.get("b", ""))
    chosen = [first, second if second != first else None]
    reports = []
    for index, version in enumerate(v for v in chosen if v is not None):
        report = run_ipp_test(actor=actor, version=version)
        rows = sorted(report.scored, key=lambda r: (-r.fit_score, r.name))
        reports.append(
            {
                "report": report,
                "rows": rows,
                "lifts": _by_lift(report.lifts),
                "chart_id": f"ipp-test-chart-{index}",
                "chart": _test_chart(rows, f"Version {version.number}"),
            }
        )
    return render(
        request,
        "fit/ipp_test.html",
        {"actor": actor, "versions": versions, "chosen": chosen, "reports": reports},
    )


@require_GET
@org_view
def ipp_test_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The IPP test's scores as CSV (formula-safe): one row per scored partnership."""
    code = request.GET.get("version", "")
    version = (
        selectors.version_for(actor=actor, code=code)
        if code
        else selectors.active_version(host_id=actor.organization.pk)
    )
    if version is None:
        raise Http404("No active version to test.")
    report = run_ipp_test(actor=actor, version=version)
    return csv_response(
        filename=f"ipp-test-v{version.number}.csv",
        header=[
            "code",
            "partner",
            "fit_score",
            "band",
            "outcome",
            "success",
            "ours",
            "theirs",
            "mutual",
        ],
        rows=(
            (
                r.code,
                r.name,
                r.fit_score,
                r.band,
                r.outcome,
                "yes" if r.success else "no",
                r.ours,  # an empty cell when that side has not answered
                r.theirs,
                r.mutual,
            )
            for r in report.scored
        ),
    )


# Each side's checklist, in the workspace -------------------------------------------------


def _checklist_specs(version: IppVersion, side: str) -> list[Any]:
    direction = Direction.OURS if side == Side.HOST else Direction.THEIRS
    return [s for s in services.criterion_specs(version) if s.direction == direction]


def _answer_text(value: Any) -> str:
    return "" if value is None else str(value)


def _checklist_start(
    specs: list[Any], evaluation: Evaluation | None
) -> tuple[dict[str, Any], set[str], dict[str, str]]:
    """The form's initial data from this side's latest answers, the keys still to answer,
    and the earlier answers of criteria that changed since (shown as a reminder)."""
    answers = (evaluation.answers if evaluation else {}) or {}
    usable = scoring.usable_answers(specs, answers)
    initial: dict[str, Any] = {
        "other_dimensions": evaluation.other_dimensions if evaluation else "",
    }
    earlier: dict[str, str] = {}
    for spec in specs:
        answer = answers.get(spec.key) or {}
        if spec.key in usable:
            initial[f"answer__{spec.key}"] = _answer_text(answer.get("value"))
            initial[f"evidence__{spec.key}"] = answer.get("evidence", "")
        elif answer.get("value") not in (None, ""):
            earlier[spec.key] = _answer_text(answer.get("value"))
    return initial, {s.key for s in specs if s.key not in usable}, earlier


@org_view
def checklist(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """This side's fit checklist against the host's active version: save, or submit.

    Reading never writes: without a draft the page starts from this side's latest answers
    (carried over by criterion key), and the first save opens the draft. Revision 0 in the
    form means "there was no draft"; only a draft nobody has saved into yet takes it.
    """
    partnership, side = partnership_for(actor=actor, code=code)
    version = selectors.active_version(host_id=partnership.host_id)
    if version is None:
        return render(
            request,
            "fit/checklist.html",
            {"actor": actor, "p": partnership, "side": side, "version": None},
        )
    if request.method == "POST":
        actor.require_write()
    draft = selectors.own_draft(partnership=partnership, side=side)
    start = draft or selectors.own_latest(partnership=partnership, side=side)
    specs = _checklist_specs(version, side)
    initial, to_answer, earlier = _checklist_start(specs, start)
    initial["revision"] = draft.revision if draft else 0
    form = ChecklistForm(request.POST or None, initial=initial, specs=specs)
    saved_meanwhile: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            submit = "submit" in request.POST
            if draft is None:
                draft = services.evaluation_open(
                    actor=actor, partnership=partnership, version=version
                )
            try:
                services.evaluation_save(
                    actor=actor,
                    partnership=partnership,
                    evaluation=draft,
                    answers={
                        s.key: services.AnswerInput(
                            value=data[f"answer__{s.key}"], evidence=data[f"evidence__{s.key}"]
                        )
                        for s in specs
                    },
                    other_dimensions=data["other_dimensions"],
                    expected_revision=data["revision"] or 1,
                    submit=submit,
                )
            except services.ConcurrentEdit as exc:
                form, saved_meanwhile = _conflict_form(request, draft, specs)
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                for key, errors in form_errors(exc).items():
                    field = f"answer__{key}"
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(
                    request, "Submitted: the fit is updated." if submit else "Draft saved."
                )
                if submit:
                    response = redirect("workspace", org=actor.organization.code, code=code)
                    response["Location"] += "#fit"
                    return response
                return redirect("fit_checklist", org=actor.organization.code, code=code)
    if not actor.can_write:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "fit/checklist.html",
        {
            "actor": actor,
            "p": partnership,
            "side": side,
            "version": version,
            "form": form,
            "draft": draft,
            "latest": start,
            "to_answer": to_answer,
            "earlier": earlier,
            "saved_meanwhile": saved_meanwhile,
        },
        status=status,
    )


def _conflict_form(
    request: HttpRequest, draft: Evaluation, specs: list[Any]
) -> tuple[ChecklistForm, dict[str, str]]:
    """After a concurrent save: the user's input kept, the answers saved meanwhile beside
    it, and the current revision, so that saving again deliberately keeps the user's."""
    draft.refresh_from_db()
    data = request.POST.copy()
    data["revision"] = str(draft.revision if draft.status == EvaluationStatus.DRAFT else 0)
    form = ChecklistForm(data, specs=specs)
    form.is_valid()
    stored = draft.answers or {}
    usable = scoring.usable_answers(specs, stored)
    mine = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    meanwhile = {
        s.key: _answer_text(stored[s.key].get("value"))
        for s in specs
        if s.key in usable
        and _answer_text(stored[s.key].get("value")) != _answer_text(mine.get(f"answer__{s.key}"))
    }
    return form, meanwhile


@require_POST
@org_view
def fit_share(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    if side != Side.HOST:
        raise PermissionDenied("Only the host shares its own evaluation.")
    actor.require_manage()
    latest = services.latest_submitted([partnership.pk]).get((partnership.pk, Side.HOST))
    if latest is None:
        messages.error(request, "Submit your checklist before sharing it.")
    else:
        form = ShareForm(request.POST)
        form.is_valid()
        shared = form.cleaned_data.get("shared", False)
        services.evaluation_share(
            actor=actor, partnership=partnership, evaluation=latest, shared=shared
        )
        messages.success(
            request,
            f"{partnership.partner.name} can now see why they fit you."
            if shared
            else "Your evaluation is private to your side again.",
        )
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += "#fit"
    return response


@require_POST
@org_view
def fit_gap_action(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    if side != Side.HOST:
        raise PermissionDenied("The host turns its fit gaps into steps.")
    actor.require_manage()
    form = GapActionForm(request.POST)
    if form.is_valid():
        try:
            action = services.gap_action_create(
                actor=actor, partnership=partnership, **form.cleaned_data
            )
        except ValidationError as exc:
            for errors in form_errors(exc).values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(request, f"Added: {action.title}")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += "#fit"
    return response


@require_POST
@org_view
def fit_gap_promise(request: HttpRequest, actor: Actor, code: str, gap: str) -> HttpResponse:
    """A private commitment gap is promised to the partner: both sides then see it."""
    partnership, side = partnership_for(actor=actor, code=code)
    action = selectors.gap_actions_for(partnership=partnership, side=side).filter(code=gap).first()
    if action is None:
        raise Http404("No such step.")
    if side != Side.HOST:
        raise PermissionDenied("The host turns its fit gaps into commitments.")
    action.partnership = partnership
    form = GapPromiseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date it is promised for, e.g. 2026-12-31.")
    else:
        try:
            services.gap_action_promise(
                actor=actor, action=action, due_on=form.cleaned_data["due_on"]
            )
        except ValidationError as exc:
            for errors in form_errors(exc).values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(request, f"Promised: {action.title}. Both sides see it now.")
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += "#commitments"
    return response
