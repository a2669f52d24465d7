"""Request and response bodies of the JSON API.

Responses name objects by their public `code`, never by database ids, and carry only
what the caller's side of a partnership may see: the host-only fields of a partnership
are grouped under `host_details`, which is `null` for the partner side.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import (
    DEFAULT_AGREEMENT_TERMS,
    AgreementStatus,
    Partnership,
    PartnerType,
    Side,
    Stage,
    Tier,
    Visibility,
)


def _email(user: Any) -> str | None:
    return (user.email or user.get_username()) if user is not None else None


def _actor(context: dict[str, Any]) -> Actor:
    return context["request"].auth


# --- errors -----------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(..., examples=["Only owners, admins and managers can do this."])


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(..., examples=[["body", "payload", "website"]])
    msg: str = Field(..., examples=["Enter a website such as example.com."])
    type: str = Field(..., examples=["value_error"])


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


class ConflictOut(Schema):
    detail: str
    current_version: int


def stale_edit(exc: Exception, current: int | None) -> Status:
    """The 409 answer to an edit that started from an old `version`: nothing was written;
    the body names the version to read again."""
    return Status(409, {"detail": str(exc), "current_version": current or 0})


def current_version(record: Any) -> int | None:
    """The version a record has now (after someone else's edit)."""
    return type(record).objects.filter(pk=record.pk).values_list("version", flat=True).first()


def responses(status: int, schema: Any, *errors: int) -> dict[int, Any]:
    """The response map of an operation: its success body and the error shapes it may use."""
    result: dict[int, Any] = {status: schema}
    for code in (401, *errors):
        result[code] = {422: ValidationErrorOut, 409: ConflictOut}.get(code, ErrorOut)
    return result


# --- shared pieces ----------------------------------------------------------------------


class OrganizationOut(Schema):
    code: str
    name: str
    website: str
    domain: str


class InputSchema(Schema):
    # A field the operation does not know is refused, never silently ignored.
    model_config = ConfigDict(extra="forbid")


# --- partnerships -----------------------------------------------------------------------


class HostDetailsOut(Schema):
    """Fields only the host organization sees and edits."""

    description: str
    tags: list[str]
    version: int = Field(..., description="Send it back in PATCH; it changes on every edit.")


class PartnershipOut(Schema):
    code: str
    side: Side = Field(..., description="The side your organization is on.")
    host: OrganizationOut
    partner: OrganizationOut
    stage: Stage
    tier: Tier
    partner_type: PartnerType
    host_owner: str | None = Field(None, description="E-mail of the host-side owner.")
    partner_owner: str | None = Field(None, description="E-mail of the partner-side owner.")
    stage_changed_at: datetime
    created_at: datetime
    host_details: HostDetailsOut | None = Field(
        None, description="Only for the host side; null for the partner."
    )

    @staticmethod
    def resolve_side(obj: Partnership, context: dict[str, Any]) -> str:
        return obj.side_of(_actor(context).organization.pk)

    @staticmethod
    def resolve_host_owner(obj: Partnership) -> str | None:
        return _email(obj.host_owner)

    @staticmethod
    def resolve_partner_owner(obj: Partnership) -> str | None:
        return _email(obj.partner_owner)

    @staticmethod
    def resolve_host_details(obj: Partnership, context: dict[str, Any]) -> dict[str, Any] | None:
        if obj.host_id != _actor(context).organization.pk:
            return None
        return {
            "description": obj.description,
            "tags": sorted(t.name for t in obj.tags.all()),
            "version": obj.version,
        }


class PartnershipCreateIn(InputSchema):
    name: str = Field(..., max_length=200, examples=["Acme Integrations"])
    website: str = Field(..., max_length=300, examples=["https://acme.example"])
    stage: Stage = Stage.PROSPECT
    tier: Tier = Tier.NONE
    partner_type: PartnerType = PartnerType.REFERRAL
    tags: list[str] = Field(default_factory=list, max_length=30)
    host_owner: str | None = Field(
        None, description="E-mail of a member of your organization who owns the partnership."
    )
    description: str = Field("", max_length=5000)


class PartnershipUpdateIn(InputSchema):
    """Host-side fields; omitted fields keep their value. `version` is required."""

    version: int = Field(..., ge=1, description="The `host_details.version` you last read.")
    tier: Tier | None = None
    reason: str = Field(
        "", max_length=2000, description="Why the tier changes; required when it does."
    )
    partner_type: PartnerType | None = None
    description: str | None = Field(None, max_length=5000)
    tags: list[str] | None = Field(None, max_length=30)
    host_owner: str | None = Field(
        None, description="E-mail of a member of your organization; null clears the owner."
    )


class StageChangeOut(Schema):
    from_stage: Stage | None
    to_stage: Stage
    reason: str
    changed_by: str | None
    changed_at: datetime

    @staticmethod
    def resolve_from_stage(obj: Any) -> str | None:
        return obj.from_stage or None

    @staticmethod
    def resolve_changed_by(obj: Any) -> str | None:
        return _email(obj.changed_by)


class StageIn(InputSchema):
    to_stage: Stage
    reason: str = Field(..., max_length=2000, examples=["First joint webinar is booked."])


# --- notes ------------------------------------------------------------------------------


class CommentOut(Schema):
    code: str
    side: Side
    visibility: Visibility
    body: str
    author: str | None
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> str | None:
        return _email(obj.author)


class NoteOut(Schema):
    code: str
    side: Side = Field(..., description="The side that wrote the note.")
    visibility: Visibility
    body: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    comments: list[CommentOut] = Field(..., description="Only the comments your side may see.")

    @staticmethod
    def resolve_author(obj: Any) -> str | None:
        return _email(obj.author)

    @staticmethod
    def resolve_comments(obj: Any) -> list[Any]:
        return getattr(obj, "visible_comments", [])


class NoteIn(InputSchema):
    body: str = Field(..., max_length=10000)
    visibility: Visibility = Field(
        ..., description="`shared` with both sides, or `private` to your side. Required."
    )


class NoteVisibilityIn(InputSchema):
    visibility: Visibility


# --- agreements -------------------------------------------------------------------------


class AgreementOut(Schema):
    code: str
    title: str
    terms: str
    text_version: int
    notice_days: int
    status: AgreementStatus
    proposed_by: str | None
    proposed_at: datetime
    accepted_by: str | None
    accepted_at: datetime | None
    accepted_text_version: int | None
    ended_by: str | None
    ended_side: Side | None
    ended_at: datetime | None
    end_reason: str

    @staticmethod
    def resolve_proposed_by(obj: Any) -> str | None:
        return _email(obj.proposed_by)

    @staticmethod
    def resolve_accepted_by(obj: Any) -> str | None:
        return _email(obj.accepted_by)

    @staticmethod
    def resolve_ended_by(obj: Any) -> str | None:
        return _email(obj.ended_by)

    @staticmethod
    def resolve_ended_side(obj: Any) -> str | None:
        return obj.ended_side or None


class AgreementProposeIn(InputSchema):
    title: str = Field("Open partnership agreement", max_length=200)
    terms: str = Field(DEFAULT_AGREEMENT_TERMS, max_length=20000)
    notice_days: int = Field(30, description="Between 0 and 365.")


class AgreementAcceptIn(InputSchema):
    text_version: int = Field(..., description="The `text_version` of the terms you read.")


class AgreementEndIn(InputSchema):
    reason: str = Field(..., max_length=2000)


# --- timeline ---------------------------------------------------------------------------


class TimelineEventOut(Schema):
    kind: str
    summary: str
    side: Side
    visibility: Visibility
    actor: str | None
    created_at: datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return _email(obj.actor)
