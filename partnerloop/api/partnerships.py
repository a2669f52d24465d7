"""API operations on partnerships, their stage, notes, agreements and timeline.

Every operation starts from the `Actor` of the bearer token (`request.auth`) and reaches
partnership data only through `partnerloop.partnerships.selectors`, so another tenant's
partnership answers 404. Writes go through `partnerloop.partnerships.services`, which
check the role; their errors become 403 / 422 in `partnerloop.api.api`.

No `from __future__ import annotations` here: ninja reads the operations' signatures
(`Query[...]`, body schemas) at import time.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from partnerloop.api import list_cache
from partnerloop.api import selectors as api_selectors
from partnerloop.api.schemas import (
    AgreementAcceptIn,
    AgreementEndIn,
    AgreementOut,
    AgreementProposeIn,
    NoteIn,
    NoteOut,
    NoteVisibilityIn,
    PartnershipCreateIn,
    PartnershipOut,
    PartnershipUpdateIn,
    StageChangeOut,
    StageIn,
    TimelineEventOut,
    responses,
)
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships import selectors, services
from partnerloop.partnerships.models import (
    Agreement,
    Note,
    Partnership,
    PartnerType,
    Side,
    Stage,
    StageChange,
    TimelineEvent,
)

router = Router(tags=["partnerships"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class Pagination(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, description="How many items to skip.")


class LimitOffset(LimitOffsetPagination):
    """`limit` (1–100, default 50) and `offset`; the answer is `{"items": [...], "count": n}`."""

    Input = Pagination

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


def _api() -> NinjaAPI:
    # Imported late: partnerloop.api.api mounts this module's router.
    from partnerloop.api.api import api

    return api


@contextmanager
def fields_renamed(**names: str) -> Iterator[None]:
    """Report a service's field errors under the names this operation's body uses."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError(
            {names.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from exc


def _partnership(actor: Actor, code: str) -> tuple[Partnership, Side]:
    return selectors.partnership_for(actor=actor, code=code)


def _owner(actor: Actor, email: str | None) -> Any:
    if not email:
        return None
    user = api_selectors.host_member(actor=actor, email=email)
    if user is None:
        raise DjangoValidationError(
            {"host_owner": "Nobody in your organization has that e-mail address."}
        )
    return user


# --- partnerships -----------------------------------------------------------------------


class PartnershipFilterIn(Schema):
    q: str = Field("", max_length=100, description="Searches names, domains, descriptions.")
    stage: Stage | None = None
    tier: Literal["registered", "silver", "gold", "platinum", "none"] | None = None
    type: PartnerType | None = Field(None, description="The partner type.")
    side: Side | None = Field(None, description="Only partnerships where you are this side.")
    tag: str = Field("", max_length=60, description="Host side only: one of your tags.")


# The list's answer: the schema `@paginate` would declare for `list[PartnershipOut]` (no
# docstring: it would become the schema's description).
class PagedPartnershipOut(LimitOffset.Output):
    items: list[PartnershipOut]


@router.get(
    "",
    response=responses(200, PagedPartnershipOut, 422),
    summary="List partnerships",
    description="Every partnership of your organization, as host or as partner, sorted by "
    "the other organization's name. `side` says which side you are on in each.",
)
def partnership_list(
    request: HttpRequest, filters: Query[PartnershipFilterIn], page: Query[Pagination]
) -> HttpResponse:
    actor = _actor(request)
    chosen = api_selectors.PartnershipFilters(
        q=filters.q.strip(),
        stage=filters.stage or "",
        tier=filters.tier or "",
        partner_type=filters.type or "",
        side=filters.side or "",
        tag=filters.tag.strip(),
    )

    def answer() -> HttpResponse:
        result = api_selectors.partnerships_page(
            actor=actor, filters=chosen, offset=page.offset, limit=page.limit
        )
        # The items are built in the shape of `PartnershipOut` (tests compare them with
        # `GET /partnerships/{code}`): an HttpResponse is sent as it is, without validating
        # every item again, rendered like every other answer of the API.
        return _api().create_response(
            request, {"items": result.items, "count": result.count}, status=200
        )

    # The answer depends on the organization and the query only, never on who asks.
    query = repr((chosen, page.offset, page.limit))
    return list_cache.cached_answer(actor.organization, query, answer)


@router.post(
    "",
    response=responses(201, PartnershipOut, 403, 422),
    summary="Add a partner to your directory",
    description="Host owners, admins and managers. The partner organization is found by "
    "the website's domain, or created.",
)
def partnership_create(request: HttpRequest, payload: PartnershipCreateIn) -> Status:
    actor = _actor(request)
    actor.require_manage()
    partnership = services.partnership_create(
        actor=actor,
        name=payload.name,
        website=payload.website,
        stage=payload.stage,
        tier=payload.tier,
        partner_type=payload.partner_type,
        host_owner=_owner(actor, payload.host_owner),
        tags=payload.tags,
        description=payload.description,
    )
    return Status(201, _partnership(actor, partnership.code)[0])


@router.get(
    "/{code}",
    response=responses(200, PartnershipOut, 404),
    summary="Get a partnership",
)
def partnership_get(request: HttpRequest, code: str) -> Partnership:
    return _partnership(_actor(request), code)[0]


@router.patch(
    "/{code}",
    response=responses(200, PartnershipOut, 403, 404, 409, 422),
    summary="Edit the host-side fields",
    description="Host owners, admins and managers. Send the `version` you read in "
    "`host_details.version`; if someone saved in between, nothing is written and the "
    "answer is 409 with the current version.",
)
def partnership_update(
    request: HttpRequest, code: str, payload: PartnershipUpdateIn
) -> Partnership | Status:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    actor.require_manage()
    if side != Side.HOST:
        raise PermissionDenied("Only the host edits these fields.")
    sent = payload.model_fields_set
    changes = services.PartnershipChanges(
        tier=partnership.tier if payload.tier is None else payload.tier,
        partner_type=payload.partner_type or partnership.partner_type,
        host_owner=_owner(actor, payload.host_owner)
        if "host_owner" in sent
        else partnership.host_owner,
        description=partnership.description if payload.description is None else payload.description,
        tags=[t.name for t in partnership.tags.all()] if payload.tags is None else payload.tags,
        reason=payload.reason,
    )
    try:
        services.partnership_update(
            actor=actor,
            partnership=partnership,
            expected_version=payload.version,
            changes=changes,
        )
    except services.ConcurrentEdit:
        current = Partnership.objects.values_list("version", flat=True).get(pk=partnership.pk)
        return Status(
            409,
            {
                "detail": f"This partnership changed after version {payload.version}; "
                f"read it again and send your changes with version {current}.",
                "current_version": current,
            },
        )
    return _partnership(actor, code)[0]


# --- stage ------------------------------------------------------------------------------


@router.get(
    "/{code}/stage-changes",
    response=responses(200, list[StageChangeOut], 404, 422),
    summary="Stage history, newest first",
)
@paginate(LimitOffset)
def stage_change_list(request: HttpRequest, code: str) -> QuerySet[StageChange]:
    partnership, _ = _partnership(_actor(request), code)
    return selectors.stage_history_for(partnership=partnership)


@router.post(
    "/{code}/stage",
    response=responses(201, StageChangeOut, 403, 404, 422),
    summary="Change the stage",
    description="Host owners, admins and managers, with a reason kept in the history.",
)
def stage_change(request: HttpRequest, code: str, payload: StageIn) -> Status:
    actor = _actor(request)
    partnership, _ = _partnership(actor, code)
    with fields_renamed(stage="to_stage"):
        change = services.partnership_change_stage(
            actor=actor, partnership=partnership, to_stage=payload.to_stage, reason=payload.reason
        )
    return Status(201, change)


# --- notes ------------------------------------------------------------------------------


@router.get(
    "/{code}/notes",
    response=responses(200, list[NoteOut], 404, 422),
    summary="Notes your side may see, newest first",
    description="Shared notes and your own side's private notes, each with the comments "
    "your side may see.",
)
@paginate(LimitOffset)
def note_list(request: HttpRequest, code: str) -> QuerySet[Note]:
    partnership, side = _partnership(_actor(request), code)
    return selectors.notes_for(partnership=partnership, side=side)


@router.post(
    "/{code}/notes",
    response=responses(201, NoteOut, 403, 404, 422),
    summary="Write a note",
    description="Owners, admins, managers and members of either side.",
)
def note_create(request: HttpRequest, code: str, payload: NoteIn) -> Status:
    actor = _actor(request)
    partnership, _ = _partnership(actor, code)
    note = services.note_create(
        actor=actor, partnership=partnership, body=payload.body, visibility=payload.visibility
    )
    return Status(201, note)


@router.patch(
    "/{code}/notes/{note}",
    response=responses(200, NoteOut, 403, 404, 422),
    summary="Share a private note, or make a shared one private",
    description="The author, or a manager of the author's side.",
)
def note_update(request: HttpRequest, code: str, note: str, payload: NoteVisibilityIn) -> Note:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    note_obj = selectors.note_for(partnership=partnership, side=side, code=note)
    return services.note_set_visibility(
        actor=actor, partnership=partnership, note=note_obj, visibility=payload.visibility
    )


# --- agreements -------------------------------------------------------------------------


@router.get(
    "/{code}/agreements",
    response=responses(200, list[AgreementOut], 404, 422),
    summary="Agreements, newest text version first",
)
@paginate(LimitOffset)
def agreement_list(request: HttpRequest, code: str) -> QuerySet[Agreement]:
    partnership, _ = _partnership(_actor(request), code)
    return selectors.agreements_for(partnership=partnership)


@router.post(
    "/{code}/agreements",
    response=responses(201, AgreementOut, 403, 404, 422),
    summary="Propose an agreement",
    description="Host owners, admins and managers. A pending proposal is withdrawn and "
    "replaced; an accepted agreement must be ended first.",
)
def agreement_propose(request: HttpRequest, code: str, payload: AgreementProposeIn) -> Status:
    actor = _actor(request)
    partnership, _ = _partnership(actor, code)
    agreement = services.agreement_propose(
        actor=actor,
        partnership=partnership,
        title=payload.title,
        terms=payload.terms,
        notice_days=payload.notice_days,
    )
    return Status(201, agreement)


@router.post(
    "/{code}/agreements/{agreement}/accept",
    response=responses(200, AgreementOut, 403, 404, 422),
    summary="Accept a proposed agreement",
    description="Partner owners and admins, naming the `text_version` they read.",
)
def agreement_accept(
    request: HttpRequest, code: str, agreement: str, payload: AgreementAcceptIn
) -> Agreement:
    actor = _actor(request)
    partnership, _ = _partnership(actor, code)
    agreement_obj = selectors.agreement_for(partnership=partnership, code=agreement)
    return services.agreement_accept(
        actor=actor,
        partnership=partnership,
        agreement=agreement_obj,
        text_version=payload.text_version,
    )


@router.post(
    "/{code}/agreements/{agreement}/end",
    response=responses(200, AgreementOut, 403, 404, 422),
    summary="End an agreement, or decline a proposal",
    description="Owners, admins and managers of either side, with a reason. Ending an "
    "accepted agreement ends the partnership; its history stays.",
)
def agreement_end(
    request: HttpRequest, code: str, agreement: str, payload: AgreementEndIn
) -> Agreement:
    actor = _actor(request)
    partnership, _ = _partnership(actor, code)
    agreement_obj = selectors.agreement_for(partnership=partnership, code=agreement)
    return services.agreement_end(
        actor=actor, partnership=partnership, agreement=agreement_obj, reason=payload.reason
    )


# --- timeline ---------------------------------------------------------------------------


@router.get(
    "/{code}/timeline",
    response=responses(200, list[TimelineEventOut], 404, 422),
    summary="Timeline your side may see, newest first",
)
@paginate(LimitOffset)
def timeline(request: HttpRequest, code: str) -> QuerySet[TimelineEvent]:
    partnership, side = _partnership(_actor(request), code)
    return selectors.timeline_for(partnership=partnership, side=side)
