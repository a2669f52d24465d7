"""Activities inside a partnership, under /o/<org>/p/<code>/activities/."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.activities import selectors, services
from partnerloop.activities.forms import ActivityForm, CommentForm, OutcomeForm
from partnerloop.activities.models import Activity, Outcome
from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view
from partnerloop.partnerships.models import Side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.plans.selectors import steps_for


def _step_choices(partnership: object, side: str) -> list[tuple[str, str]]:
    return [(s.code, s.title) for s in steps_for(partnership=partnership, side=side)]  # type: ignore[arg-type]


def _detail(actor: Actor, code: str, activity: str) -> HttpResponse:
    response = redirect(
        "activity_detail", org=actor.organization.code, code=code, activity=activity
    )
    return response


@require_GET
@org_view
def activity_list(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    activities = selectors.activities_for(partnership=partnership, side=side)[:200]
    return render(
        request,
        "activities/list.html",
        {
            "actor": actor,
            "p": partnership,
            "is_host": side == Side.HOST,
            "activities": [(a, selectors.views_of(a)) for a in activities],
        },
    )


@require_http_methods(["GET", "POST"])
@org_view
def activity_new(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    steps = _step_choices(partnership, side)
    form = ActivityForm(steps=steps)
    if request.method == "POST":
        actor.require_write()
        form = ActivityForm(request.POST, steps=steps)
        if form.is_valid():
            data = form.cleaned_data
            data.pop("version", None)
            try:
                activity = services.activity_log(actor=actor, partnership=partnership, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Logged. Record what it gave once you know.")
                return _detail(actor, code, activity.code)
    return render(
        request,
        "activities/form.html",
        {"actor": actor, "p": partnership, "is_host": side == Side.HOST, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@org_view
def activity_edit(request: HttpRequest, actor: Actor, code: str, activity: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    found = selectors.activity_for(partnership=partnership, side=side, code=activity)
    steps = _step_choices(partnership, side)
    initial = {
        "kind": found.kind,
        "title": found.title,
        "happened_on": found.happened_on,
        "description": found.description,
        "host_people": found.host_people,
        "partner_people": found.partner_people,
        "plan_steps": [s.code for s in found.plan_steps.all()],
        "visibility": found.visibility,
        "version": found.version,
    }
    form = ActivityForm(initial=initial, steps=steps)
    status = 200
    if request.method == "POST":
        form = ActivityForm(request.POST, steps=steps)
        if form.is_valid():
            data = form.cleaned_data
            version = data.pop("version") or 0
            try:
                services.activity_edit(actor=actor, activity=found, version=version, **data)
            except ConcurrentEdit as exc:
                found.refresh_from_db()
                messages.error(request, str(exc))
                form = ActivityForm(initial={**initial, "version": found.version}, steps=steps)
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return _detail(actor, code, found.code)
        if form.errors:
            status = 400
    return render(
        request,
        "activities/form.html",
        {
            "actor": actor,
            "p": partnership,
            "is_host": side == Side.HOST,
            "form": form,
            "activity": found,
        },
        status=status,
    )


@require_GET
@org_view
def activity_detail(request: HttpRequest, actor: Actor, code: str, activity: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    found = selectors.activity_for(partnership=partnership, side=side, code=activity)
    views = selectors.views_of(found)
    mine = views.host if side == Side.HOST else views.partner
    outcome_form = OutcomeForm(
        initial={
            "result": mine.result if mine else "",
            "notes": mine.notes if mine else "",
            "leads": mine.leads if mine else None,
            "meetings": mine.meetings if mine else None,
            "pipeline": mine.pipeline if mine else None,
            "revenue": mine.revenue if mine else None,
            "version": mine.version if mine else None,
        }
    )
    return render(
        request,
        "activities/detail.html",
        {
            "actor": actor,
            "p": partnership,
            "is_host": side == Side.HOST,
            "activity": found,
            "views": views,
            "outcome_form": outcome_form,
            "comment_form": CommentForm(),
            "can_edit": found.side == side,
        },
    )


@require_POST
@org_view
def activity_outcome(request: HttpRequest, actor: Actor, code: str, activity: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    found = selectors.activity_for(partnership=partnership, side=side, code=activity)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return _detail(actor, code, found.code)
    try:
        services.outcome_record(actor=actor, activity=found, **form.cleaned_data)
    except ConcurrentEdit as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your side's outcome is recorded.")
    return _detail(actor, code, found.code)


@require_POST
@org_view
def activity_comment(request: HttpRequest, actor: Actor, code: str, activity: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    found = selectors.activity_for(partnership=partnership, side=side, code=activity)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(actor=actor, activity=found, body=form.cleaned_data["body"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Write a comment.")
    return _detail(actor, code, found.code)


@require_GET
@org_view
def what_works(request: HttpRequest, actor: Actor) -> HttpResponse:
    report = selectors.what_works(actor=actor)
    shown = [(kind, label) for kind, label in report.kinds if report.overall[kind].settled]
    chart = {
        "type": "bar",
        "data": {
            "labels": [label for _, label in shown],
            "datasets": [
                {
                    "label": "Worked (% of settled views)",
                    "data": [round(100 * (report.overall[k].rate or 0)) for k, _ in shown],
                    "backgroundColor": "#3c71f7",
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"min": 0, "max": 100}},
            "plugins": {"legend": {"display": False}},
        },
    }
    rows = [
        {
            "kind": kind,
            "label": label,
            "overall": report.overall[kind],
            "tiers": [report.by_tier.get((kind, tier)) for tier, _ in report.tiers],
            "bands": [report.by_band.get((kind, band)) for band, _ in report.bands],
        }
        for kind, label in report.kinds
    ]
    return render(
        request,
        "activities/what_works.html",
        {"actor": actor, "report": report, "rows": rows, "chart": chart},
    )


# CSV exports -----------------------------------------------------------------------------

OUTCOME_COLUMNS = ("result", "notes", "leads", "meetings", "pipeline", "revenue")
EXPORT_HEADER = [
    "partnership",
    "host",
    "partner",
    "date",
    "kind",
    "title",
    "logged_by",
    "visibility",
    "description",
    "host_people",
    "partner_people",
    "plan_steps",
    *(f"{side}_{column}" for side in (Side.HOST, Side.PARTNER) for column in OUTCOME_COLUMNS),
    "sides_disagree",
]


def _outcome_cells(outcome: Outcome | None) -> list[object]:
    if outcome is None:
        return [""] * len(OUTCOME_COLUMNS)
    return [
        outcome.get_result_display(),
        *(getattr(outcome, column) for column in OUTCOME_COLUMNS[1:]),
    ]


def _export_rows(activities: Iterable[Activity]) -> Iterable[Sequence[object]]:
    """One row per activity: what was done, and each side's view with its figures."""
    for a in activities:
        views = selectors.views_of(a)
        yield [
            a.partnership.code,
            a.partnership.host.name,
            a.partnership.partner.name,
            a.happened_on.isoformat(),
            a.get_kind_display(),
            a.title,
            a.side,
            a.visibility,
            a.description,
            a.host_people,
            a.partner_people,
            "; ".join(s.title for s in a.plan_steps.all()),
            *_outcome_cells(views.host),
            *_outcome_cells(views.partner),
            "yes" if views.disagree else "",
        ]


@require_GET
@org_view
def activity_export(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """A partnership's activities as CSV: what this side may see (never the other side's
    private ones), with both sides' outcomes."""
    partnership, _side = partnership_for(actor=actor, code=code)
    activities = selectors.activities_of(
        actor=actor, filters=selectors.ActivityFilters(partnership=partnership)
    )
    return csv_response(
        filename=f"activities-{partnership.code}.csv",
        header=EXPORT_HEADER,
        rows=_export_rows(activities.iterator(chunk_size=500)),
    )


@require_GET
@org_view
def activities_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every activity the organization may see in all its partnerships, as host (every
    partner) and as partner (its own partnerships only), as CSV."""
    activities = selectors.activities_of(actor=actor)
    return csv_response(
        filename=f"activities-{actor.organization.code}.csv",
        header=EXPORT_HEADER,
        rows=_export_rows(activities.iterator(chunk_size=500)),
    )
