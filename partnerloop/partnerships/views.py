"""Partner directory (host side) and the shared partnership workspace (both sides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from partnerloop.accountability.selectors import workspace_commitments
from partnerloop.activities.selectors import workspace_activities
from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, form_errors, org_view
from partnerloop.fit.selectors import workspace_fit
from partnerloop.health.selectors import workspace_health
from partnerloop.partnerships import selectors, services
from partnerloop.partnerships.forms import (
    AgreementAcceptForm,
    AgreementEndForm,
    AgreementProposeForm,
    CommentForm,
    KeyPersonForm,
    MetForm,
    NoteForm,
    PartnershipCreateForm,
    PartnershipEditForm,
    StageForm,
    VisibilityForm,
)
from partnerloop.partnerships.models import Partnership, PartnerType, Side, Stage, Tier
from partnerloop.plans.selectors import workspace_plan
from partnerloop.prompts.selectors import workspace_prompts
from partnerloop.referrals.selectors import workspace_referrals

DIRECTORY_PAGE_SIZE = 25


def _filters(request: HttpRequest) -> selectors.DirectoryFilters:
    g = request.GET
    return selectors.DirectoryFilters(
        q=g.get("q", "").strip()[:100],
        stage=g.get("stage", "") if g.get("stage", "") in Stage.values else "",
        tier=g.get("tier", "") if g.get("tier", "") in [*Tier.values, "none"] else "",
        partner_type=g.get("type", "") if g.get("type", "") in PartnerType.values else "",
        owner=g.get("owner", "")[:20],
        tag=g.get("tag", "")[:60],
        fit=g.get("fit", "") if g.get("fit", "") in selectors.FIT_BANDS else "",
        health=g.get("health", "") if g.get("health", "") in selectors.HEALTH_FILTERS else "",
        sort=g.get("sort", "name") if g.get("sort", "name") in selectors.SORTS else "name",
    )


@require_GET
@org_view
def org_home(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The organization's start page: its program (host side) and the programs it joined."""
    as_partner = (
        selectors.partnerships_of(actor=actor)
        .filter(partner=actor.organization)
        .select_related("host")
        .order_by("host__name")
    )
    hosted_count = selectors.partnerships_of(actor=actor).filter(host=actor.organization).count()
    return render(
        request,
        "partnerships/org_home.html",
        {"actor": actor, "as_partner": as_partner, "hosted_count": hosted_count},
    )


@require_GET
@org_view
def directory(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(
        selectors.directory(actor=actor, filters=filters), DIRECTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "actor": actor,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "stages": Stage.choices,
        "tiers": Tier.choices,
        "types": PartnerType.choices,
        "tags": selectors.host_tags(actor=actor),
        "fit_bands": [
            ("high", "High"),
            ("medium", "Medium"),
            ("low", "Low"),
            ("none", "Not evaluated"),
        ],
        "owners": PartnershipCreateForm(organization=actor.organization)
        .fields["host_owner"]
        .queryset,
        "sorts": [
            ("name", "Name A–Z"),
            ("-name", "Name Z–A"),
            ("stage", "Stage"),
            ("tier", "Tier"),
            ("-updated", "Recently updated"),
            ("-created", "Newest"),
            ("-fit", "Best fit first"),
            ("fit", "Weakest fit first"),
            ("health", "Weakest health first"),
            ("-health", "Best health first"),
        ],
        "health_filters": [("attention", "Needs attention (below 40)"), ("none", "Not computed")],
    }
    template = "partnerships/directory.html"
    if request.htmx and request.htmx.target == "directory-results":
        template += "#results"
    return render(request, template, context)


@require_GET
@org_view
def directory_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = (
        (
            p.partner.name,
            p.partner.domain,
            p.get_stage_display(),
            p.get_tier_display() if p.tier else "",
            p.get_partner_type_display(),
            p.host_owner.email if p.host_owner else "",
            ", ".join(t.name for t in p.tags.all()),
            p.description,
            p.created_at.date().isoformat(),
            *_fit_cells(p),
            *_health_cells(p),
        )
        for p in selectors.directory(actor=actor, filters=_filters(request)).iterator(
            chunk_size=500
        )
    )
    return csv_response(
        filename=f"partners-{actor.organization.code}.csv",
        header=[
            "name",
            "website",
            "stage",
            "tier",
            "type",
            "owner",
            "tags",
            "description",
            "created",
            "fit_band",
            "fit_score",
            "health_overall",
            "health_weakest",
        ],
        rows=rows,
    )


def _fit_cells(partnership: Partnership) -> tuple[str, str]:
    try:
        fit = partnership.current_fit
    except ObjectDoesNotExist:
        return ("", "")
    if not fit.band or fit.fit_score is None:
        return ("", "")
    return (fit.band, f"{fit.fit_score:.0f}")


def _health_cells(partnership: Partnership) -> tuple[str, str]:
    try:
        health = partnership.current_health  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return ("", "")
    return (str(health.overall), health.weakest)


@org_view
def partnership_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    actor.require_manage()
    form = PartnershipCreateForm(request.POST or None, organization=actor.organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partnership = services.partnership_create(
                actor=actor,
                name=data["name"],
                website=data["website"],
                stage=data["stage"],
                tier=data["tier"],
                partner_type=data["partner_type"],
                host_owner=data["host_owner"],
                tags=data["tags"].split(","),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{partnership.partner.name} is in your directory.")
            return redirect("workspace", org=actor.organization.code, code=partnership.code)
    return render(request, "partnerships/create.html", {"actor": actor, "form": form})


@org_view
def partnership_edit(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    actor.require_manage()
    partnership = selectors.hosted_partnership_for(actor=actor, code=code)
    initial = {
        "version": partnership.version,
        "partner_type": partnership.partner_type,
        "tier": partnership.tier,
        "description": partnership.description,
        "tags": ", ".join(t.name for t in partnership.tags.all()),
        "host_owner": partnership.host_owner_id,
    }
    form = PartnershipEditForm(
        request.POST or None, initial=initial, organization=actor.organization
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.partnership_update(
                actor=actor,
                partnership=partnership,
                expected_version=data["version"],
                changes=services.PartnershipChanges(
                    tier=data["tier"],
                    partner_type=data["partner_type"],
                    host_owner=data["host_owner"],
                    description=data["description"],
                    tags=data["tags"].split(","),
                    reason=data["tier_reason"],
                ),
            )
        except services.ConcurrentEdit as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            for field, errors in form_errors(exc).items():
                for error in errors:
                    form.add_error("tier_reason" if field == "reason" else None, error)
            status = 400
        else:
            messages.success(request, "Saved.")
            return redirect("workspace", org=actor.organization.code, code=partnership.code)
    return render(
        request,
        "partnerships/edit.html",
        {"actor": actor, "form": form, "partnership": partnership},
        status=status,
    )


@org_view
def partnership_stage(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    actor.require_manage()
    partnership = selectors.hosted_partnership_for(actor=actor, code=code)
    form = StageForm(request.POST or None, initial={"stage": partnership.stage})
    if request.method == "POST" and form.is_valid():
        try:
            services.partnership_change_stage(
                actor=actor,
                partnership=partnership,
                to_stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Stage is now {partnership.get_stage_display()}.")
            return redirect("workspace", org=actor.organization.code, code=partnership.code)
    return render(
        request,
        "partnerships/stage.html",
        {
            "actor": actor,
            "form": form,
            "partnership": partnership,
            "history": selectors.stage_history_for(partnership=partnership),
        },
    )


@require_GET
@org_view
def workspace(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    ws = selectors.workspace_for(actor=actor, code=code)
    return render(
        request,
        "partnerships/workspace.html",
        {
            "actor": actor,
            "ws": ws,
            "p": ws.partnership,
            "is_host": ws.side == Side.HOST,
            "note_form": NoteForm(),
            "person_form": KeyPersonForm(initial={"side": ws.side}),
            "propose_form": AgreementProposeForm(),
            **workspace_fit(partnership=ws.partnership, side=ws.side),
            **workspace_plan(partnership=ws.partnership, side=ws.side),
            **workspace_health(partnership=ws.partnership, side=ws.side),
            **workspace_prompts(partnership=ws.partnership, side=ws.side),
            **workspace_activities(partnership=ws.partnership, side=ws.side),
            **workspace_commitments(partnership=ws.partnership, side=ws.side),
            **workspace_referrals(partnership=ws.partnership, side=ws.side),
        },
    )


@require_GET
@org_view
def timeline_more(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The next page of the timeline, older than the `before` event (htmx fragment)."""
    partnership, side = selectors.partnership_for(actor=actor, code=code)
    events = selectors.timeline_for(partnership=partnership, side=side)
    before = request.GET.get("before", "")
    if before.isdigit():
        events = events.filter(id__lt=int(before))
    page = list(events[: selectors.TIMELINE_PAGE + 1])
    return render(
        request,
        "partnerships/workspace.html#timeline-items",
        {
            "actor": actor,
            "p": partnership,
            "events": page[: selectors.TIMELINE_PAGE],
            "has_more": len(page) > selectors.TIMELINE_PAGE,
        },
    )


def _back(actor: Actor, code: str, anchor: str = "") -> HttpResponse:
    response = redirect("workspace", org=actor.organization.code, code=code)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _flash_errors(request: HttpRequest, errors: dict[str, list[str]] | Any) -> None:
    for field_errors in dict(errors).values():
        for error in field_errors:
            messages.error(request, str(error))


def _workspace_action(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], object],
    success: str = "",
) -> None:
    """Validate a workspace form and run its service; problems become flash messages."""
    if not form.is_valid():
        _flash_errors(request, form.errors)
        return
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        _flash_errors(request, form_errors(exc))
        return
    if success:
        messages.success(request, success)


@require_POST
@org_view
def note_add(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, _ = selectors.partnership_for(actor=actor, code=code)
    _workspace_action(
        request,
        NoteForm(request.POST),
        lambda data: services.note_create(actor=actor, partnership=partnership, **data),
    )
    return _back(actor, code, "notes")


@require_POST
@org_view
def note_visibility(request: HttpRequest, actor: Actor, code: str, note: str) -> HttpResponse:
    partnership, side = selectors.partnership_for(actor=actor, code=code)
    note_obj = selectors.note_for(partnership=partnership, side=side, code=note)
    _workspace_action(
        request,
        VisibilityForm(request.POST),
        lambda data: services.note_set_visibility(
            actor=actor, partnership=partnership, note=note_obj, **data
        ),
    )
    return _back(actor, code, f"note-{note}")


@require_POST
@org_view
def comment_add(request: HttpRequest, actor: Actor, code: str, note: str) -> HttpResponse:
    partnership, side = selectors.partnership_for(actor=actor, code=code)
    note_obj = selectors.note_for(partnership=partnership, side=side, code=note)
    _workspace_action(
        request,
        CommentForm(request.POST),
        lambda data: services.comment_create(
            actor=actor, partnership=partnership, note=note_obj, **data
        ),
    )
    return _back(actor, code, f"note-{note}")


@require_POST
@org_view
def person_add(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, _ = selectors.partnership_for(actor=actor, code=code)
    _workspace_action(
        request,
        KeyPersonForm(request.POST),
        lambda data: services.key_person_add(actor=actor, partnership=partnership, **data),
    )
    return _back(actor, code, "people")


@require_POST
@org_view
def person_met(request: HttpRequest, actor: Actor, code: str, person: str) -> HttpResponse:
    partnership, _ = selectors.partnership_for(actor=actor, code=code)
    person_obj = selectors.key_person_for(partnership=partnership, code=person)
    _workspace_action(
        request,
        MetForm(request.POST),
        lambda data: services.key_person_mark_met(
            actor=actor, partnership=partnership, person=person_obj, **data
        ),
    )
    return _back(actor, code, "people")


@require_POST
@org_view
def agreement_propose(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    actor.require_manage()
    partnership = selectors.hosted_partnership_for(actor=actor, code=code)
    _workspace_action(
        request,
        AgreementProposeForm(request.POST),
        lambda data: services.agreement_propose(actor=actor, partnership=partnership, **data),
        success="Agreement proposed. A partner admin can now accept it.",
    )
    return _back(actor, code, "agreement")


@require_POST
@org_view
def agreement_accept(request: HttpRequest, actor: Actor, code: str, agreement: str) -> HttpResponse:
    partnership, _ = selectors.partnership_for(actor=actor, code=code)
    agreement_obj = selectors.agreement_for(partnership=partnership, code=agreement)
    _workspace_action(
        request,
        AgreementAcceptForm(request.POST),
        lambda data: services.agreement_accept(
            actor=actor, partnership=partnership, agreement=agreement_obj, **data
        ),
        success="Agreement accepted. Welcome aboard!",
    )
    return _back(actor, code, "agreement")


@require_POST
@org_view
def agreement_end(request: HttpRequest, actor: Actor, code: str, agreement: str) -> HttpResponse:
    partnership, _ = selectors.partnership_for(actor=actor, code=code)
    agreement_obj = selectors.agreement_for(partnership=partnership, code=agreement)
    _workspace_action(
        request,
        AgreementEndForm(request.POST),
        lambda data: services.agreement_end(
            actor=actor, partnership=partnership, agreement=agreement_obj, **data
        ),
    )
    return _back(actor, code, "agreement")
