"""Account overlap in the JSON API, mounted at /api/v1/overlap.

The same selectors and services as the pages (docs/mapping-overlap.md), so the same rules
decide what crosses: a population the other side hides never appears (neither its key,
its name nor a count of it), a cell opens its accounts only when both sides share them,
and the other side's accounts carry only the fields it chose. Their accounts are built as
plain dicts from what the selector read (`OverlapRow.theirs`): a field they do not share
is absent, never a null key.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import datetime
from itertools import islice
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from partnerloop.activities.models import Result
from partnerloop.api.partnerships import LimitOffset, Pagination, _actor, _partnership
from partnerloop.api.schemas import InputSchema, responses, stale_edit
from partnerloop.mapping.models import Population
from partnerloop.overlap import selectors, services
from partnerloop.overlap.models import ActionKind, Level, OverlapAction, RefreshStatus
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.services import ConcurrentEdit

router = Router(tags=["overlap"])


# --- bodies -----------------------------------------------------------------------------


class StateOut(Schema):
    status: RefreshStatus = Field(description="current, pending, running or failed")
    computed_at: datetime | None = Field(description="When the matches were last computed")
    matches: int = Field(description="Matches in the cells you see (hidden ones not counted)")
    has_our_list: bool = Field(description="Your organization has a current account list")
    message: str = Field(description="Why the last computation failed; '' otherwise")


class OurPopulationOut(Schema):
    key: str
    name: str
    level: Level = Field(description="What you share of it: hidden, counts or accounts")
    fields: list[str] = Field(description="The fields you share, at the accounts level")
    version: int = Field(description="Send it back with PUT …/sharing/{population}; 0 if unset")


class TheirPopulationOut(Schema):
    key: str
    name: str
    level: Level = Field(description="counts or accounts (hidden ones are not listed)")
    fields: list[str] = Field(description="The fields of theirs you see in open cells")


class CellOut(Schema):
    ours: str = Field(description="Your population's key")
    theirs: str = Field(description="Their population's key")
    count: int
    opens_accounts: bool = Field(description="Both share accounts: GET the cell to list them")


class OverlapOut(Schema):
    side: Side = Field(description="The side your organization is on")
    state: StateOut
    ours: list[OurPopulationOut]
    theirs: list[TheirPopulationOut] = Field(description="Only those they share")
    cells: list[CellOut] = Field(description="Your shared populations × their shared ones")


class OutcomeOut(Schema):
    result: Result = Field(description="worked, didnt, mixed or pending")
    notes: str
    updated_at: datetime


class OutcomesOut(Schema):
    host: OutcomeOut | None = Field(description="The host's view; null until it says")
    partner: OutcomeOut | None = Field(description="The partner's view; null until it says")


class ActionOut(Schema):
    code: str
    kind: ActionKind = Field(description="intro, co_sell or referral")
    side: Side = Field(description="The side that acted")
    our_key: str = Field(description="Your account's key: its domain, else name:<folded name>")
    activity: str = Field(description="The code of its shared activity (/api/v1/activities)")
    title: str = Field(description="The activity's title")
    created_at: datetime
    outcomes: OutcomesOut


class PopulationRefOut(Schema):
    key: str
    name: str


class AccountOut(Schema):
    name: str
    domain: str
    country: str
    status: str
    owner: str
    external_id: str


class OverlapAccountOut(Schema):
    match_id: int = Field(description="Reject it or act on it with this id")
    method: str = Field(description="domain, name or fuzzy")
    confidence: float
    our_key: str = Field(description="Your account's key: its domain, else name:<folded name>")
    ours: AccountOut = Field(description="Your account, in full")
    theirs: dict[str, str] = Field(description="Their account: only the fields they share")
    actions: list[ActionOut]


class CellAccountsOut(Schema):
    ours: PopulationRefOut
    theirs: PopulationRefOut
    count: int = Field(description="Matches in the cell (also the total for paging)")
    opens_accounts: bool
    their_fields: list[str] = Field(description="The fields `theirs` carries")
    limit: int
    offset: int
    items: list[OverlapAccountOut] = Field(description="Empty unless the cell opens accounts")


class SharingOut(Schema):
    population: str
    name: str
    level: Level
    fields: list[str]
    version: int = Field(description="0 while never set")


class SharingIn(InputSchema):
    level: Level = Field(description="hidden, counts or accounts")
    fields: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="At the accounts level: name, domain, country, status, owner (name or "
        "domain required)",
    )
    version: int = Field(ge=0, description="The `version` you read (0 if never set)")


class RejectIn(InputSchema):
    reason: str = Field("", max_length=300)


class RejectionOut(Schema):
    id: int
    our_key: str = Field(description="Your account's key (never theirs)")
    side: Side = Field(description="The side that rejected it")
    reason: str
    created_at: datetime


class ActIn(InputSchema):
    kind: ActionKind = Field(description="intro, co_sell or referral")
    note: str = Field("", max_length=5000, description="The shared activity's description")


class ActionOutcomeIn(InputSchema):
    result: Result = Field(description="worked, didnt, mixed or pending")
    notes: str = Field("", max_length=10000)


# --- helpers ----------------------------------------------------------------------------


def _outcome(action: OverlapAction, side: str) -> dict[str, Any] | None:
    outcome = selectors.outcome_of(action, side)
    if outcome is None:
        return None
    return {"result": outcome.result, "notes": outcome.notes, "updated_at": outcome.updated_at}


def _action_out(action: OverlapAction, side: str) -> dict[str, Any]:
    """An action as `side` reads it: our account's key only (theirs could name an account
    they do not share)."""
    return {
        "code": action.code,
        "kind": action.kind,
        "side": action.side,
        "our_key": action.host_key if side == Side.HOST else action.partner_key,
        "activity": action.activity.code,
        "title": action.activity.title,
        "created_at": action.created_at,
        "outcomes": {
            "host": _outcome(action, Side.HOST),
            "partner": _outcome(action, Side.PARTNER),
        },
    }


def _action(partnership: Partnership, code: str) -> OverlapAction:
    """One action of the (already scoped) partnership, with what `_action_out` reads."""
    return selectors.action_for(partnership=partnership, code=code)


def _our_population(partnership: Partnership, side: str, key: str) -> Population:
    organization_id = partnership.host_id if side == Side.HOST else partnership.partner_id
    population = Population.objects.filter(organization_id=organization_id, key=key).first()
    if population is None:
        raise Http404("No such population.")
    return population


def _sharing_out(partnership: Partnership, side: str, population: Population) -> dict[str, Any]:
    sharing = selectors.sharing_of(partnership=partnership).get((side, population.key))
    if sharing is None:  # never set: hidden
        sharing = selectors.Sharing(population_key=population.key)
    return {
        "population": population.key,
        "name": population.name,
        "level": sharing.level,
        "fields": list(sharing.fields),
        "version": sharing.version,
    }


# --- the matrix -------------------------------------------------------------------------


@router.get(
    "/partnerships/{code}",
    response=responses(200, OverlapOut, 404),
    summary="The overlap matrix",
    description="Your populations with what you share of each, the populations the other "
    "side shares (never a hidden one), and one cell per pair of shared populations with its "
    "count. Queues a new computation when either side's current lists changed.",
)
def overlap_get(request: HttpRequest, code: str) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    services.refresh_request(partnership=partnership)
    matrix = selectors.overlap_matrix(partnership=partnership, side=side)
    state = matrix.state
    return {
        "side": side,
        "state": {
            "status": state.status if state else RefreshStatus.PENDING,
            "computed_at": state.computed_at if state else None,
            "matches": matrix.total,
            "has_our_list": matrix.has_our_list,
            "message": state.message if state else "",
        },
        "ours": [
            {
                "key": p.key,
                "name": p.name,
                "level": p.sharing.level,
                "fields": list(p.sharing.fields),
                "version": p.sharing.version,
            }
            for p in matrix.ours
        ],
        "theirs": [
            {
                "key": p.key,
                "name": p.name,
                "level": p.sharing.level,
                "fields": list(p.sharing.fields) if p.sharing.level == Level.ACCOUNTS else [],
            }
            for p in matrix.theirs
        ],
        "cells": [
            {
                "ours": cell.ours,
                "theirs": cell.theirs,
                "count": cell.count,
                "opens_accounts": cell.opens_accounts,
            }
            for cell in matrix.cells.values()
        ],
    }


@router.get(
    "/partnerships/{code}/cells/{ours}/{theirs}",
    response=responses(200, CellAccountsOut, 404, 422),
    summary="One cell and its accounts",
    description="Your population `ours` × their population `theirs`. When both share "
    "accounts, `items` lists the matches (paginated by `limit` and `offset`): your account in "
    "full, theirs with the fields they chose only. A cell you may not see answers 404, as "
    "one that does not exist.",
)
def cell_get(
    request: HttpRequest, code: str, ours: str, theirs: str, page: Query[Pagination]
) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    # limit=0: the cell's count and sharing without reading any row; the page follows.
    cell = selectors.cell_for(partnership=partnership, side=side, ours=ours, theirs=theirs, limit=0)
    items: list[dict[str, Any]] = []
    if cell.opens_accounts:
        rows = list(
            islice(
                selectors.overlap_rows(
                    partnership=partnership,
                    side=side,
                    ours=ours,
                    theirs=theirs,
                    their_fields=cell.their_fields,
                ),
                page.offset,
                page.offset + page.limit,
            )
        )
        pairs = [
            (r.our_key, r.their_key) if side == Side.HOST else (r.their_key, r.our_key)
            for r in rows
        ]
        actions = selectors.actions_by_pair(partnership=partnership, pairs=pairs)
        items = [
            {
                "match_id": row.match_id,
                "method": row.method,
                "confidence": row.confidence,
                "our_key": row.our_key,
                "ours": row.ours,
                "theirs": row.theirs,
                "actions": [_action_out(a, side) for a in actions.get(pair, [])],
            }
            for row, pair in zip(rows, pairs, strict=True)
        ]
    return {
        "ours": {"key": cell.ours.key, "name": cell.ours.name},
        "theirs": {"key": cell.theirs.key, "name": cell.theirs.name},
        "count": cell.count,
        "opens_accounts": cell.opens_accounts,
        "their_fields": list(cell.their_fields) if cell.opens_accounts else [],
        "limit": page.limit,
        "offset": page.offset,
        "items": items,
    }


# --- sharing ----------------------------------------------------------------------------


@router.get(
    "/partnerships/{code}/sharing/{population}",
    response=responses(200, SharingOut, 404),
    summary="What you share of one of your populations",
    description="`hidden` (the default), `counts` or `accounts` with the chosen `fields`.",
)
def sharing_get(request: HttpRequest, code: str, population: str) -> dict[str, Any]:
    partnership, side = _partnership(_actor(request), code)
    found = _our_population(partnership, side, population)
    return _sharing_out(partnership, side, found)


@router.put(
    "/partnerships/{code}/sharing/{population}",
    response=responses(200, SharingOut, 403, 404, 409, 422),
    summary="Share one of your populations",
    description="Owners, admins and managers. `accounts` needs at least `name` or `domain` "
    "in `fields`. Send the `version` you read: 409 with `current_version` if someone on "
    "your side changed it since, and nothing is written.",
)
def sharing_put(request: HttpRequest, code: str, population: str, payload: SharingIn) -> Any:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    found = _our_population(partnership, side, population)
    try:
        services.sharing_set(
            actor=actor,
            partnership=partnership,
            population_key=found.key,
            level=payload.level,
            fields=payload.fields,
            version=payload.version,
        )
    except ConcurrentEdit as exc:
        return stale_edit(exc, _sharing_out(partnership, side, found)["version"])
    return _sharing_out(partnership, side, found)


# --- rejected matches -------------------------------------------------------------------


@router.post(
    "/partnerships/{code}/matches/{match_id}/reject",
    response=responses(201, RejectionOut, 403, 404, 422),
    summary="Reject a match",
    description="Writers of either side, for a match they see account by account (else "
    "404). The pair goes at once and is never proposed again until the rejection is undone.",
)
def match_reject(request: HttpRequest, code: str, match_id: int, payload: RejectIn) -> Status:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    rejection = services.match_reject(
        actor=actor, partnership=partnership, match_id=match_id, reason=payload.reason
    )
    return Status(
        201,
        {
            "id": rejection.pk,
            "our_key": rejection.host_key if side == Side.HOST else rejection.partner_key,
            "side": rejection.side,
            "reason": rejection.reason,
            "created_at": rejection.created_at,
        },
    )


@router.get(
    "/partnerships/{code}/rejections",
    response=responses(200, list[RejectionOut], 404, 422),
    summary="Rejected matches",
    description="Newest first, with your account's key only.",
)
@paginate(LimitOffset)
def rejection_list(request: HttpRequest, code: str) -> list[dict[str, object]]:
    partnership, side = _partnership(_actor(request), code)
    return selectors.rejections_of(partnership=partnership, side=side)


@router.delete(
    "/partnerships/{code}/rejections/{rejection_id}",
    response=responses(200, RejectionOut, 403, 404),
    summary="Undo a rejection",
    description="Writers of either side; the pair may be matched again at the next "
    "computation. Answers the removed rejection.",
)
def rejection_undo(request: HttpRequest, code: str, rejection_id: int) -> dict[str, object]:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    found = next(
        (
            r
            for r in selectors.rejections_of(partnership=partnership, side=side)
            if r["id"] == rejection_id
        ),
        None,
    )
    if found is None:
        raise Http404("No such rejected match.")
    services.rejection_undo(actor=actor, partnership=partnership, rejection_id=rejection_id)
    return found


# --- actions ----------------------------------------------------------------------------


@router.get(
    "/partnerships/{code}/actions",
    response=responses(200, list[ActionOut], 404, 422),
    summary="Overlapping accounts acted on",
    description="Both sides' actions, oldest first, each with its shared activity and "
    "each side's outcome.",
)
@paginate(LimitOffset)
def action_list(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    partnership, side = _partnership(_actor(request), code)
    return [_action_out(a, side) for a in selectors.actions_of(partnership=partnership)]


@router.post(
    "/partnerships/{code}/matches/{match_id}/actions",
    response=responses(201, ActionOut, 403, 404, 422),
    summary="Act on an overlapping account",
    description="Writers of either side, for a match they see account by account. Logs a "
    "shared account-mapping activity; the same kind twice on one account answers 422.",
)
def action_create(request: HttpRequest, code: str, match_id: int, payload: ActIn) -> Status:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    action = services.overlap_act(
        actor=actor,
        partnership=partnership,
        match_id=match_id,
        kind=payload.kind,
        note=payload.note,
    )
    return Status(201, _action_out(_action(partnership, action.code), side))


@router.post(
    "/partnerships/{code}/actions/{action}/outcome",
    response=responses(200, ActionOut, 403, 404, 422),
    summary="Say whether acting on the account worked",
    description="Writers of either side record their side's outcome of the action's "
    "activity; the other side's is left alone.",
)
def action_outcome(
    request: HttpRequest, code: str, action: str, payload: ActionOutcomeIn
) -> dict[str, Any]:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    found = _action(partnership, action)
    services.action_outcome(
        actor=actor,
        partnership=partnership,
        action=found,
        result=payload.result,
        notes=payload.notes,
    )
    return _action_out(_action(partnership, action), side)
