"""Accountability pages.

In a partnership (/o/<org>/p/<code>/…): commitments and their CSV, the partner scorecard.
For the organization (/o/<org>/accountability/…): the responsiveness report, the response
targets, the fairness report and its "mark handled", with their CSV exports.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.accountability import selectors, services
from partnerloop.accountability.figures import ResponseTally
from partnerloop.accountability.models import (
    MAX_TARGET_HOURS,
    MIN_TARGET_HOURS,
    CommitmentStatus,
    FairnessMetric,
    RequestKind,
)
from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view
from partnerloop.partnerships.models import Side, other_side
from partnerloop.partnerships.selectors import hosted_partnership_for, partnership_for
from partnerloop.partnerships.services import ConcurrentEdit


class CommitmentForm(forms.Form):
    whose = forms.ChoiceField(choices=[("ours", "ours"), ("theirs", "theirs")])
    what = forms.CharField(max_length=300)
    due_on = forms.DateField()
    promised_by = forms.CharField(max_length=200, required=False)


def _back(actor: Actor, code: str) -> HttpResponse:
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += "#commitments"
    return response


@require_POST
@org_view
def commitment_add(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    form = CommitmentForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {' '.join(errors)}")
        return _back(actor, code)
    data = form.cleaned_data
    other = other_side(side)
    try:
        services.commitment_add(
            actor=actor,
            partnership=partnership,
            side=side if data["whose"] == "ours" else other,
            what=data["what"],
            due_on=data["due_on"],
            promised_by=data["promised_by"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The promise is recorded: both sides see it.")
    return _back(actor, code)


@require_POST
@org_view
def commitment_close(
    request: HttpRequest, actor: Actor, code: str, commitment: str
) -> HttpResponse:
    partnership, _side = partnership_for(actor=actor, code=code)
    found = selectors.commitment_for(partnership=partnership, code=commitment)
    version = request.POST.get("version", "")
    try:
        services.commitment_close(
            actor=actor,
            commitment=found,
            status=request.POST.get("status", ""),
            version=int(version) if version.isdigit() else None,
        )
    except ConcurrentEdit as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(actor, code)


@require_GET
@org_view
def commitments_export(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Every promise of both sides of the partnership (commitments are always shared)."""
    partnership, _side = partnership_for(actor=actor, code=code)
    names = {Side.HOST: partnership.host.name, Side.PARTNER: partnership.partner.name}
    rows = (
        (
            names.get(Side(c.side), c.side),
            c.promised_by,
            c.what,
            c.due_on.isoformat(),
            CommitmentStatus(c.status).label,
            c.closed_at.isoformat() if c.closed_at else "",
            names.get(Side(c.closed_side), "") if c.closed_side else "",
            names.get(Side(c.recorded_side), c.recorded_side),
        )
        for c in selectors.commitments_for(partnership=partnership)
    )
    return csv_response(
        filename=f"commitments-{partnership.code}.csv",
        header=[
            "whose promise",
            "promised by",
            "what",
            "due on",
            "status",
            "closed at",
            "closed by side",
            "recorded by side",
        ],
        rows=rows,
    )


@require_GET
@org_view
def scorecard(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The partnership's own figures against the anonymised median of its tier."""
    partnership, side = partnership_for(actor=actor, code=code)
    days = selectors.period_days(request.GET.get("days"))
    card = selectors.scorecard(partnership=partnership, days=days)
    return render(
        request,
        "accountability/scorecard.html",
        {
            "actor": actor,
            "p": partnership,
            "responsiveness": selectors.partnership_responsiveness(
                partnership=partnership, days=days
            ),
            "is_host": side == Side.HOST,
            "card": card,
            "days": days,
            "periods": selectors.PERIODS,
            "min_peers": selectors.SCORECARD_MIN_PEERS,
        },
    )


@require_GET
@org_view
def partnership_responsiveness(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The host's responsiveness to this partnership (a fragment the workspace loads); a
    plain request (no JavaScript) goes to the scorecard, which shows it too."""
    partnership, _side = partnership_for(actor=actor, code=code)
    if not request.htmx:  # type: ignore[attr-defined]
        response = redirect("scorecard", org=actor.organization.code, code=partnership.code)
        response["Location"] += "#responsiveness-h"
        return response
    return render(
        request,
        "accountability/_responsiveness.html",
        {
            "p": partnership,
            "responsiveness": selectors.partnership_responsiveness(partnership=partnership),
        },
    )


# The host's reports ----------------------------------------------------------------------


def _tally_cells(t: ResponseTally) -> list[object]:
    return [
        t.requests,
        t.answered,
        "" if t.median_hours is None else t.median_hours,
        "" if t.p90_hours is None else t.p90_hours,
        "" if t.within_share is None else round(100 * t.within_share),
        t.waiting,
    ]


@require_GET
@org_view
def responsiveness(request: HttpRequest, actor: Actor) -> HttpResponse:
    days = selectors.period_days(request.GET.get("days"))
    report = selectors.responsiveness_report(host=actor.organization, days=days)
    shown = [row for row in report.kinds if row.tally.answered]
    chart: dict[str, Any] = {
        "type": "bar",
        "data": {
            "labels": [row.label for row in shown],
            "datasets": [
                {
                    "label": "Median hours to first response",
                    "data": [row.tally.median_hours for row in shown],
                    "backgroundColor": "#3c71f7",
                },
                {
                    "label": "Target (hours)",
                    "data": [row.target for row in shown],
                    "backgroundColor": "#b3b3b3",
                },
            ],
        },
        "options": {"indexAxis": "y", "scales": {"x": {"min": 0}}},
    }
    return render(
        request,
        "accountability/responsiveness.html",
        {
            "actor": actor,
            "report": report,
            "chart": chart if shown else None,
            "days": days,
            "periods": selectors.PERIODS,
        },
    )


@require_GET
@org_view
def responsiveness_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    days = selectors.period_days(request.GET.get("days"))
    report = selectors.responsiveness_report(host=actor.organization, days=days)
    rows: list[list[object]] = []
    for group, items in (
        ("kind", report.kinds),
        ("partnership", report.partnerships),
        ("teammate", report.teammates),
    ):
        rows += [[group, row.label, row.target or "", *_tally_cells(row.tally)] for row in items]
    return csv_response(
        filename=f"responsiveness-{actor.organization.code}-{days}d.csv",
        header=[
            "per",
            "name",
            "target hours",
            "requests",
            "answered",
            "median hours",
            "p90 hours",
            "within target %",
            "still waiting",
        ],
        rows=rows,
    )


class TargetsForm(forms.Form):
    def __init__(self, *args: Any, initial_hours: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in RequestKind.choices:
            self.fields[kind] = forms.IntegerField(
                label=f"{label}: hours to first response",
                min_value=MIN_TARGET_HOURS,
                max_value=MAX_TARGET_HOURS,
                initial=initial_hours[kind],
            )


@require_http_methods(["GET", "POST"])
@org_view
def response_targets(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The host's response targets: every member reads them, managers change them."""
    rows = selectors.target_rows(host_id=actor.organization.pk)
    initial = {row.kind: row.hours for row in rows}
    form = TargetsForm(request.POST or None, initial_hours=initial)
    if request.method == "POST":
        actor.require_manage()
        if form.is_valid():
            try:
                services.response_targets_set(actor=actor, hours=dict(form.cleaned_data))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Response targets saved.")
                return redirect("response_targets", org=actor.organization.code)
    return render(
        request,
        "accountability/targets.html",
        {"actor": actor, "form": form, "rows": rows},
        status=400 if form.errors else 200,
    )


def _flag_text(flag: Any) -> str:
    state = "open" if flag.is_open else f"handled: {flag.handled.note}"
    return (
        f"{flag.metric_label} in {flag.group_label}: {flag.figure:g} vs median "
        f"{flag.peer_median:g} of {flag.group_size} ({state})"
    )


@require_GET
@org_view
def fairness_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    days = selectors.period_days(request.GET.get("days"))
    report = selectors.fairness_report(host=actor.organization, days=days)
    open_counts = report.open_count_of()
    return render(
        request,
        "accountability/fairness.html",
        {
            "actor": actor,
            "report": report,
            "rows": [(p, open_counts.get(p.partnership_id, 0)) for p in report.partnerships],
            "metrics": FairnessMetric.choices,
            "days": days,
            "periods": selectors.PERIODS,
        },
    )


@require_GET
@org_view
def fairness_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    days = selectors.period_days(request.GET.get("days"))
    report = selectors.fairness_report(host=actor.organization, days=days)
    flags: dict[int, list[str]] = {}
    for flag in report.flags:
        flags.setdefault(flag.partnership.partnership_id, []).append(_flag_text(flag))
    rows = (
        (
            p.name,
            p.code,
            p.tier,
            p.band,
            p.touches,
            p.resources,
            p.reviews,
            "" if p.response_hours is None else p.response_hours,
            p.decided,
            "" if p.acceptance is None else round(100 * p.acceptance),
            "; ".join(flags.get(p.partnership_id, [])),
        )
        for p in report.partnerships
    )
    return csv_response(
        filename=f"fairness-{actor.organization.code}-{days}d.csv",
        header=[
            "partner",
            "code",
            "tier",
            "fit band",
            "touches",
            "resources and leads shared",
            "reviews held",
            "median response hours",
            "referrals decided",
            "acceptance %",
            "flags",
        ],
        rows=rows,
    )


@require_POST
@org_view
def fairness_handle(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership = hosted_partnership_for(actor=actor, code=code)
    try:
        services.fairness_flag_handle(
            actor=actor,
            partnership=partnership,
            metric=request.POST.get("metric", ""),
            group=request.POST.get("group", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The flag on {partnership.partner.name} is marked handled.")
    days = selectors.period_days(request.POST.get("days"))
    return redirect(reverse("fairness", kwargs={"org": actor.organization.code}) + f"?days={days}")
