"""The account overlap pages of a partnership, under /o/<org>/p/<code>/overlap/: the matrix
of our populations × theirs, what our side shares, one cell's accounts with their actions,
the rejected matches and the CSV exports (docs/mapping-overlap.md).

What crosses to a side is decided by `selectors` (hidden populations never reach the other
side, their unshared fields never leave the database); these views only lay it out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import form_errors, org_view
from partnerloop.mapping import services as mapping_services
from partnerloop.overlap import selectors, services
from partnerloop.overlap.forms import ActForm, ActionOutcomeForm, RejectForm, SharingForm
from partnerloop.overlap.models import (
    LEVEL_RANK,
    ActionKind,
    Level,
    Method,
    OverlapAction,
    RefreshStatus,
    SharedField,
)
from partnerloop.partnerships.models import Partnership, Side, other_side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.partnerships.services import ConcurrentEdit

# Accounts of one cell per page.
CELL_PAGE = 200
# Shades of the matrix cells by count (CSS classes heat-0 … heat-4).
HEAT_STEPS = 4

LEVEL_SHORT = {
    Level.HIDDEN: "hidden",
    Level.COUNTS: "counts only",
    Level.ACCOUNTS: "accounts",
}
OUR_COLUMNS = [
    ("name", "Company"),
    ("domain", "Domain"),
    ("country", "Country"),
    ("status", "Status"),
    ("owner", "Owner"),
]


class _Rollback(Exception):
    """Undo every population's change when one of them is refused."""


def match_label(method: str, confidence: float) -> str:
    """How two accounts were matched, in words ("same domain", "close name (93 %)")."""
    if method == Method.DOMAIN:
        return "same domain"
    if method == Method.NAME:
        return "same name"
    return f"close name ({round(confidence * 100)} %)"


def key_label(key: str) -> str:
    """An account's stable key as a person reads it: the domain, or the folded name."""
    return f"{key.removeprefix('name:')} (name)" if key.startswith("name:") else key


def _names(partnership: Partnership, side: str) -> tuple[str, str]:
    """(our organization's name, theirs)."""
    if side == Side.HOST:
        return partnership.host.name, partnership.partner.name
    return partnership.partner.name, partnership.host.name


def _base(actor: Actor, partnership: Partnership, side: str) -> dict[str, Any]:
    our_name, other_name = _names(partnership, side)
    return {
        "actor": actor,
        "p": partnership,
        "side": side,
        "is_host": side == Side.HOST,
        "our_name": our_name,
        "other_name": other_name,
    }


def _overlap_url(actor: Actor, partnership: Partnership) -> str:
    return reverse(
        "overlap_matrix", kwargs={"org": actor.organization.code, "code": partnership.code}
    )


def _cell_url(actor: Actor, partnership: Partnership, ours: str, theirs: str) -> str:
    return reverse(
        "overlap_cell",
        kwargs={
            "org": actor.organization.code,
            "code": partnership.code,
            "ours": ours,
            "theirs": theirs,
        },
    )


# --- The matrix -------------------------------------------------------------------------


def _heat(count: int, largest: int) -> int:
    if count <= 0 or largest <= 0:
        return 0
    return max(1, math.ceil(HEAT_STEPS * count / largest))


def _matrix_rows(matrix: selectors.Matrix) -> list[dict[str, Any]]:
    largest = max((cell.count for cell in matrix.cells.values()), default=0)
    return [
        {
            "population": population,
            "hidden": population.sharing.rank == 0,
            "cells": [
                {"cell": cell, "heat": _heat(cell.count, largest) if cell else 0} for cell in cells
            ],
        }
        for population, cells in matrix.rows
    ]


def _live_context(matrix: selectors.Matrix) -> dict[str, Any]:
    state = matrix.state
    busy = state is not None and state.status in (RefreshStatus.PENDING, RefreshStatus.RUNNING)
    return {
        "matrix": matrix,
        "rows": _matrix_rows(matrix),
        "state": state,
        "busy": busy,
        "failed": state is not None and state.status == RefreshStatus.FAILED,
    }


def _action_views(actions: Iterable[OverlapAction], side: str) -> list[dict[str, Any]]:
    other = other_side(side)
    return [
        {
            "action": action,
            "ours": selectors.outcome_of(action, side),
            "theirs": selectors.outcome_of(action, other),
            "by_us": action.side == side,
        }
        for action in actions
    ]


@require_GET
@org_view
def overlap_matrix(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The matrix page; htmx polls its live part while the matches are being computed."""
    partnership, side = partnership_for(actor=actor, code=code)
    # A page view queues the refresh a missed upload signal or a dead worker left undone.
    services.refresh_request(partnership=partnership)
    matrix = selectors.overlap_matrix(partnership=partnership, side=side)
    context = {**_base(actor, partnership, side), **_live_context(matrix)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "overlap/matrix.html#live", context)
    context.update(
        {
            "our_sharing": [
                {"population": p, "level": LEVEL_SHORT[Level(p.sharing.level)]} for p in matrix.ours
            ],
            "their_sharing": [
                {"population": p, "level": LEVEL_SHORT[Level(p.sharing.level)]}
                for p in matrix.theirs
            ],
            "actions": _action_views(selectors.actions_of(partnership=partnership), side),
            "rejections": [
                {**r, "key": key_label(str(r["our_key"])), "by_us": r["side"] == side}
                for r in selectors.rejections_of(partnership=partnership, side=side)
            ],
            "outcome_form": ActionOutcomeForm(),
        }
    )
    return render(request, "overlap/matrix.html", context)


@require_GET
@org_view
def overlap_summary(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The workspace's line about the overlap (loaded by htmx after the workspace)."""
    partnership, side = partnership_for(actor=actor, code=code)
    matrix = selectors.overlap_matrix(partnership=partnership, side=side)
    return render(
        request, "overlap/_summary.html", {**_base(actor, partnership, side), "matrix": matrix}
    )


@require_GET
@org_view
def overlap_matrix_export(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The counts of the cells this side may see, as CSV (nothing of hidden populations)."""
    partnership, side = partnership_for(actor=actor, code=code)
    matrix = selectors.overlap_matrix(partnership=partnership, side=side)
    our_names = {p.key: p.name for p in matrix.ours}
    their_names = {p.key: p.name for p in matrix.theirs}
    our_name, other_name = _names(partnership, side)
    rows = [
        [
            our_names[cell.ours],
            their_names[cell.theirs],
            cell.count,
            "accounts" if cell.opens_accounts else "counts only",
        ]
        for population, cells in matrix.rows
        for cell in cells
        if cell is not None
    ]
    return csv_response(
        filename=f"overlap-{partnership.code}.csv",
        header=[
            f"{our_name} population",
            f"{other_name} population",
            "Accounts in common",
            "Shared as",
        ],
        rows=rows,
    )


# --- Sharing ----------------------------------------------------------------------------


def _sharing_page(
    request: HttpRequest,
    actor: Actor,
    partnership: Partnership,
    side: str,
    *,
    form: SharingForm | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    matrix = selectors.overlap_matrix(partnership=partnership, side=side)
    if form is None:
        form = SharingForm(populations=matrix.ours, read_only=not actor.can_manage)
    return render(
        request,
        "overlap/sharing.html",
        {
            **_base(actor, partnership, side),
            "form": form,
            "conflict": conflict,
            "has_our_list": matrix.has_our_list,
            "their_sharing": [
                {"population": p, "level": LEVEL_SHORT[Level(p.sharing.level)]}
                for p in matrix.theirs
            ],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view
def overlap_sharing(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """What our side shares of each population; managers change it, others read it."""
    partnership, side = partnership_for(actor=actor, code=code)
    if request.method == "POST":
        actor.require_manage()
    mapping_services.populations_ensure(organization=actor.organization)
    if request.method != "POST":
        return _sharing_page(request, actor, partnership, side)
    ours = selectors.overlap_matrix(partnership=partnership, side=side).ours
    form = SharingForm(request.POST, populations=ours)
    if not form.is_valid():
        return _sharing_page(request, actor, partnership, side, form=form, status=400)
    try:
        with transaction.atomic():
            for change in form.changes():
                try:
                    services.sharing_set(actor=actor, partnership=partnership, **change)
                except ValidationError as exc:
                    key = change["population_key"]
                    for field, errors in form_errors(exc).items():
                        name = f"{field}_{key}"
                        form.add_error(name if name in form.fields else None, errors)
            if form.errors:
                raise _Rollback
    except _Rollback:
        return _sharing_page(request, actor, partnership, side, form=form, status=400)
    except ConcurrentEdit as exc:
        # Nothing was saved: the form again with the values as they are now.
        return _sharing_page(request, actor, partnership, side, conflict=str(exc), status=409)
    messages.success(request, "Sharing saved.")
    return redirect(_overlap_url(actor, partnership))


# --- One cell ---------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _row_view(row: selectors.OverlapRow, side: str, their_fields: Sequence[str]) -> dict[str, Any]:
    taken = {action.kind for action in row.actions}
    return {
        "row": row,
        "ours": [row.ours.get(name, "") for name, _label in OUR_COLUMNS],
        "theirs": [row.theirs.get(name, "") for name in their_fields],
        "match": match_label(row.method, row.confidence),
        "actions": _action_views(row.actions, side),
        "kinds": [(value, label) for value, label in ActionKind.choices if value not in taken],
    }


@require_GET
@org_view
def overlap_cell(
    request: HttpRequest, actor: Actor, code: str, ours: str, theirs: str
) -> HttpResponse:
    """One cell: its count, and its accounts when both sides share them."""
    partnership, side = partnership_for(actor=actor, code=code)
    page = _page_number(request)
    cell = selectors.cell_for(
        partnership=partnership,
        side=side,
        ours=ours,
        theirs=theirs,
        limit=CELL_PAGE,
        offset=(page - 1) * CELL_PAGE,
    )
    shown_until = (page - 1) * CELL_PAGE + len(cell.rows)
    return render(
        request,
        "overlap/cell.html",
        {
            **_base(actor, partnership, side),
            "cell": cell,
            "our_columns": [label for _name, label in OUR_COLUMNS],
            "their_columns": [SharedField(f).label for f in cell.their_fields],
            "rows": [_row_view(row, side, cell.their_fields) for row in cell.rows],
            "we_share_accounts": cell.ours.sharing.rank >= LEVEL_RANK[Level.ACCOUNTS],
            "page": page,
            "first": (page - 1) * CELL_PAGE + 1,
            "last": shown_until,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if shown_until < cell.count else None,
            "here": request.get_full_path(),
            "act_form": ActForm(),
            "reject_form": RejectForm(),
        },
    )


def _cell_rows(
    rows: Iterable[selectors.OverlapRow], their_fields: Sequence[str]
) -> Iterable[list[object]]:
    for row in rows:
        yield [
            *(row.ours.get(name, "") for name, _label in OUR_COLUMNS),
            *(row.theirs.get(name, "") for name in their_fields),
            match_label(row.method, row.confidence),
        ]


@require_GET
@org_view
def overlap_cell_export(
    request: HttpRequest, actor: Actor, code: str, ours: str, theirs: str
) -> HttpResponse:
    """An open cell's accounts as CSV: the columns of the page, nothing more."""
    partnership, side = partnership_for(actor=actor, code=code)
    cell = selectors.cell_for(partnership=partnership, side=side, ours=ours, theirs=theirs, limit=0)
    if not cell.opens_accounts:
        raise Http404("This cell shows counts only.")
    our_name, other_name = _names(partnership, side)
    fields = list(cell.their_fields)
    rows = selectors.overlap_rows(
        partnership=partnership, side=side, ours=ours, theirs=theirs, their_fields=fields
    )
    return csv_response(
        filename=f"overlap-{partnership.code}-{ours}-{theirs}.csv",
        header=[
            *(f"{our_name}: {label}" for _name, label in OUR_COLUMNS),
            *(f"{other_name}: {SharedField(f).label}" for f in fields),
            "Match",
        ],
        rows=_cell_rows(rows, fields),
    )


# --- Rejecting, acting, outcomes --------------------------------------------------------


def _match_cell_url(actor: Actor, partnership: Partnership, side: str, match_id: int) -> str:
    match, _cell = selectors.match_for(partnership=partnership, side=side, match_id=match_id)
    ours, theirs = (
        (match.host_population, match.partner_population)
        if side == Side.HOST
        else (match.partner_population, match.host_population)
    )
    return _cell_url(actor, partnership, ours, theirs)


@require_POST
@org_view
def overlap_match_reject(request: HttpRequest, actor: Actor, code: str, match: int) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    actor.require_write()
    back = _match_cell_url(actor, partnership, side, match)
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.match_reject(actor=actor, partnership=partnership, match_id=match, reason=reason)
    messages.success(
        request,
        "Match rejected: it will not be proposed again. You can undo it from the overlap page.",
    )
    return redirect(back)


@require_POST
@org_view
def overlap_act(request: HttpRequest, actor: Actor, code: str, match: int) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    actor.require_write()
    back = _match_cell_url(actor, partnership, side, match)
    form = ActForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what you do: intro asked, co-selling or referral.")
        return redirect(back)
    try:
        action = services.overlap_act(
            actor=actor,
            partnership=partnership,
            match_id=match,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Marked “{action.get_kind_display()}”: both sides see it in activities."
        )
    return redirect(f"{back}#match-{match}")


def _safe_next(request: HttpRequest, actor: Actor, partnership: Partnership, value: str) -> str:
    """Back to the overlap page the form was on, never elsewhere."""
    base = _overlap_url(actor, partnership)
    if value.startswith(base) and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}
    ):
        return value
    return f"{base}#actions"


@require_POST
@org_view
def overlap_action_outcome(
    request: HttpRequest, actor: Actor, code: str, action: str
) -> HttpResponse:
    """Our side says whether acting on the account worked (the activity's outcome)."""
    partnership, _side = partnership_for(actor=actor, code=code)
    actor.require_write()
    found = selectors.action_for(partnership=partnership, code=action)
    form = ActionOutcomeForm(request.POST)
    back = _safe_next(request, actor, partnership, request.POST.get("next", ""))
    if not form.is_valid():
        messages.error(request, "Say whether it worked.")
        return redirect(back)
    try:
        services.action_outcome(
            actor=actor,
            partnership=partnership,
            action=found,
            result=form.cleaned_data["result"],
            notes=form.cleaned_data["notes"],
        )
    except (ConcurrentEdit, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, "Your side's outcome is recorded.")
    return redirect(back)


@require_POST
@org_view
def overlap_rejection_undo(
    request: HttpRequest, actor: Actor, code: str, rejection: int
) -> HttpResponse:
    partnership, _side = partnership_for(actor=actor, code=code)
    services.rejection_undo(actor=actor, partnership=partnership, rejection_id=rejection)
    messages.success(request, "Rejection undone: the match comes back with the next refresh.")
    return redirect(f"{_overlap_url(actor, partnership)}#rejections")
