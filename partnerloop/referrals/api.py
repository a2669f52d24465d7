"""Referrals in the JSON API, mounted at /api/v1/referrals.

The same selectors and services as the pages. An organization reads the referrals of the
partnerships it hosts and those it registered as a partner; another tenant's referral is a
404. The conflict findings are host-only: they sit under `host_details`, which is `null`
for the partner side, so a partner's answer never carries them. A stale `version`
answers 409 with the current one.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from partnerloop.api.partnerships import LimitOffset, _actor, _partnership
from partnerloop.api.schemas import InputSchema, current_version, responses, stale_edit
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Side
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.referrals import selectors, services
from partnerloop.referrals.models import (
    AccountStatus,
    Attribution,
    KnownAccount,
    Referral,
    ReferralStage,
    ReferralStatus,
)

router = Router(tags=["referrals"])


def _email(user: Any) -> str | None:
    return (user.email or user.get_username()) if user is not None else None


class FindingOut(Schema):
    """One finding of the duplicate and conflict check."""

    kind: Literal["referral", "known_account", "account_list"]
    match: Literal["domain", "name"]
    score: int = Field(description="100 for a domain or exact name match; else 94–99")
    code: str = Field(description="The other referral's or the known account's code")
    domain: str = ""
    company: str | None = Field(None, description="Referral: the company")
    partnership: str | None = Field(None, description="Referral: its partnership's code")
    partner: str | None = Field(None, description="Referral: the partner that registered it")
    same_partnership: bool | None = Field(None, description="Referral: from this partner too")
    stage: str | None = Field(None, description="Referral: its stage")
    submitted_on: date | None = Field(None, description="Referral: when it was registered")
    name: str | None = Field(None, description="Known account or list row: its name")
    owner: str | None = Field(None, description="Known account or list row: its owner")
    status: str = Field(
        description="Referral status, the known account's status, or the list row's population"
    )


class ReferralHostDetailsOut(Schema):
    conflicts: list[FindingOut]


class ReferralOut(Schema):
    code: str
    partnership: str = Field(description="The partnership's code")
    side: Side = Field(description="The side your organization is on")
    host: str = Field(description="The host organization's name")
    partner: str = Field(description="The partner organization's name")
    company: str
    website: str
    domain: str
    contact_name: str
    contact_email: str
    notes: str
    status: ReferralStatus
    stage: ReferralStage = Field(description="Meaningful once accepted")
    attribution: Attribution
    amount: Decimal | None
    closed_on: date | None
    decision_reason: str
    decided_at: datetime | None
    decided_by: str | None
    submitted_by: str | None
    submitted_at: datetime
    version: int = Field(description="Send it back with every change; it changes on each")
    host_details: ReferralHostDetailsOut | None = Field(
        None, description="The conflict check's findings: host side only, null for the partner"
    )

    @staticmethod
    def resolve_partnership(obj: Referral) -> str:
        return obj.partnership.code

    @staticmethod
    def resolve_side(obj: Referral, context: dict[str, Any]) -> str:
        return obj.partnership.side_of(context["request"].auth.organization.pk)

    @staticmethod
    def resolve_host(obj: Referral) -> str:
        return obj.partnership.host.name

    @staticmethod
    def resolve_partner(obj: Referral) -> str:
        return obj.partnership.partner.name

    @staticmethod
    def resolve_decided_by(obj: Referral) -> str | None:
        return _email(obj.decided_by)

    @staticmethod
    def resolve_submitted_by(obj: Referral) -> str | None:
        return _email(obj.submitted_by)

    @staticmethod
    def resolve_host_details(obj: Referral, context: dict[str, Any]) -> dict[str, Any] | None:
        side = obj.partnership.side_of(context["request"].auth.organization.pk)
        if side != Side.HOST:
            return None
        return {"conflicts": selectors.conflicts_for(referral=obj, side=side)}


class ReferralFilterIn(Schema):
    partnership: str = Field("", max_length=20, description="Only this partnership's")
    status: ReferralStatus | None = None
    stage: ReferralStage | None = Field(None, description="Accepted referrals at this stage")
    side: Side | None = Field(None, description="host: partnerships you host; partner: yours")
    q: str = Field("", max_length=100, description="Searches company names and domains")


class ReferralIn(InputSchema):
    company: str = Field(max_length=200, examples=["Hooli"])
    website: str = Field("", max_length=300, examples=["hooli.com"])
    contact_name: str = Field("", max_length=200)
    contact_email: str = Field("", max_length=254)
    notes: str = Field("", max_length=10000)
    attribution: Attribution = Attribution.SOURCED


class ReferralEditIn(InputSchema):
    version: int = Field(description="The `version` you read; 409 if someone saved since")
    company: str | None = Field(None, max_length=200)
    website: str | None = Field(None, max_length=300)
    contact_name: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=254)
    notes: str | None = Field(None, max_length=10000)


class DecideIn(InputSchema):
    decision: Literal["accepted", "declined"]
    reason: str = Field("", max_length=2000, description="Required to decline")
    version: int


class StageIn(InputSchema):
    stage: ReferralStage
    reason: str = Field(max_length=2000, description="Required: the partner reads it")
    amount: Decimal | None = Field(None, ge=0, description="Required when won")
    attribution: Attribution | None = None
    closed_on: date | None = Field(None, description="Won or lost: today when omitted")
    version: int


class KnownAccountOut(Schema):
    code: str
    name: str
    domain: str
    status: AccountStatus
    owner: str
    created_at: datetime


class KnownAccountIn(InputSchema):
    name: str = Field(max_length=200)
    website: str = Field("", max_length=300)
    status: AccountStatus = AccountStatus.CUSTOMER
    owner: str = Field("", max_length=200)


class KnownAccountImportIn(InputSchema):
    text: str = Field(
        max_length=2_000_000,
        description="Lines of: Company name, website, status[, owner] (any CSV dialect)",
    )


class ImportOut(Schema):
    added: int
    skipped: list[str]


class KnownAccountFilterIn(Schema):
    q: str = Field("", max_length=100)


def _referral(actor: Actor, code: str) -> Referral:
    referral, _side = selectors.visible_referral(actor=actor, code=code)
    return referral


def _fresh(actor: Actor, referral: Referral) -> Referral:
    return _referral(actor, referral.code)


# --- known accounts (declared first: `/known-accounts` is not a referral code) ----------


@router.get(
    "/known-accounts",
    response=responses(200, list[KnownAccountOut], 422),
    summary="Your organization's known accounts",
    description="Customers, open opportunities and prospects your organization already "
    "knows; referrals for them are flagged to you. Never shown to partners.",
)
@paginate(LimitOffset)
def known_account_list(
    request: HttpRequest, filters: Query[KnownAccountFilterIn]
) -> QuerySet[KnownAccount]:
    return selectors.known_accounts_for(actor=_actor(request), q=filters.q.strip())


@router.post(
    "/known-accounts",
    response=responses(201, KnownAccountOut, 403, 422),
    summary="Add a known account",
    description="Owners, admins and managers. A website already in the list answers 422.",
)
def known_account_create(request: HttpRequest, payload: KnownAccountIn) -> Status:
    account = services.known_account_add(actor=_actor(request), **payload.dict())
    return Status(201, account)


@router.post(
    "/known-accounts/import",
    response=responses(200, ImportOut, 403, 422),
    summary="Import known accounts",
    description="All or nothing: one bad line and nothing is added (422, one message per "
    "line). Accounts already in the list are skipped and listed in `skipped`.",
)
def known_account_import(request: HttpRequest, payload: KnownAccountImportIn) -> Any:
    report = services.known_accounts_import(actor=_actor(request), text=payload.text)
    return {"added": report.added, "skipped": report.skipped}


@router.delete(
    "/known-accounts/{known_account}",
    response=responses(200, KnownAccountOut, 403, 404),
    summary="Remove a known account",
    description="Owners, admins and managers; answers the removed account.",
)
def known_account_remove(request: HttpRequest, known_account: str) -> Any:
    actor = _actor(request)
    found = selectors.known_account_for(actor=actor, code=known_account)
    services.known_account_delete(actor=actor, account=found)
    return found


# --- referrals --------------------------------------------------------------------------


@router.get(
    "",
    response=responses(200, list[ReferralOut], 404, 422),
    summary="List referrals",
    description="Those of the partnerships you host and those you registered as a "
    "partner, newest first. `partnership` narrows to one of your partnerships (404 for "
    "any other).",
)
@paginate(LimitOffset)
def referral_list(request: HttpRequest, filters: Query[ReferralFilterIn]) -> QuerySet[Referral]:
    actor = _actor(request)
    code = filters.partnership.strip()
    if code:
        _partnership(actor, code)  # 404 unless it is one of yours
    return selectors.org_referrals(
        actor=actor,
        filters=selectors.ReferralFilters(
            status=filters.status or "",
            stage=filters.stage or "",
            q=filters.q.strip(),
            partnership=code,
            side=filters.side or "",
        ),
    )


@router.post(
    "/partnerships/{code}",
    response=responses(201, ReferralOut, 403, 404, 422),
    summary="Register a referral in a partnership",
    description="Writers of the partner side (owner, admin, manager, member). The duplicate "
    "and conflict check runs at once; its findings are the host's.",
)
def referral_create(request: HttpRequest, code: str, payload: ReferralIn) -> Status:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    referral = services.referral_register(actor=actor, partnership=partnership, **payload.dict())
    return Status(201, _fresh(actor, referral))


@router.get(
    "/{referral}",
    response=responses(200, ReferralOut, 404),
    summary="Get a referral",
)
def referral_get(request: HttpRequest, referral: str) -> Referral:
    return _referral(_actor(request), referral)


@router.patch(
    "/{referral}",
    response=responses(200, ReferralOut, 403, 404, 409, 422),
    summary="Edit a referral",
    description="The partner side, while it waits for a decision. Send `version` and the "
    "fields to change; the check runs again when the company or website changes.",
)
def referral_update(request: HttpRequest, referral: str, payload: ReferralEditIn) -> Any:
    actor = _actor(request)
    found = _referral(actor, referral)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    try:
        services.referral_edit(actor=actor, referral=found, version=version, **fields)
    except ConcurrentEdit as exc:
        return stale_edit(exc, current_version(found))
    return _fresh(actor, found)


@router.post(
    "/{referral}/decide",
    response=responses(200, ReferralOut, 403, 404, 409, 422),
    summary="Accept or decline a referral",
    description="Writers of the host side. Declining needs a `reason`: the partner reads it.",
)
def referral_decide(request: HttpRequest, referral: str, payload: DecideIn) -> Any:
    actor = _actor(request)
    found = _referral(actor, referral)
    try:
        services.referral_decide(
            actor=actor,
            referral=found,
            decision=payload.decision,
            reason=payload.reason,
            version=payload.version,
        )
    except ConcurrentEdit as exc:
        return stale_edit(exc, current_version(found))
    return _fresh(actor, found)


@router.post(
    "/{referral}/stage",
    response=responses(200, ReferralOut, 403, 404, 409, 422),
    summary="Move an accepted referral to a stage",
    description="Writers of the host side, with a `reason`. Won needs an `amount`; won and "
    "lost are dated `closed_on` (today when omitted); leaving them reopens. The first won "
    "referral of a partnership records its first-revenue milestone.",
)
def referral_stage(request: HttpRequest, referral: str, payload: StageIn) -> Any:
    actor = _actor(request)
    found = _referral(actor, referral)
    try:
        services.referral_set_stage(
            actor=actor,
            referral=found,
            stage=payload.stage,
            reason=payload.reason,
            amount=payload.amount,
            attribution=payload.attribution,
            closed_on=payload.closed_on,
            version=payload.version,
        )
    except ConcurrentEdit as exc:
        return stale_edit(exc, current_version(found))
    return _fresh(actor, found)
