"""Prompts in the JSON API, mounted at /api/v1/prompts: my inbox, and a partnership's
reviews and joint events and its check-ins.

The same selectors and services as the pages: the inbox holds only the caller's own
prompts in the token's organization (anyone else's prompt is a 404); both sides see every
event of their partnership; a side sees the shared check-ins and its own private ones.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

import dataclasses
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AwareDatetime

from partnerloop.api.partnerships import LimitOffset, _actor, _partnership
from partnerloop.api.schemas import InputSchema, _email, current_version, responses, stale_edit
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Side, Visibility
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.prompts import events, selectors, services
from partnerloop.prompts.models import CheckIn, Event, EventKind, EventStatus, Prompt, PromptKind

router = Router(tags=["prompts"])


# --- inbox ------------------------------------------------------------------------------


class PromptOut(Schema):
    code: str
    kind: PromptKind
    title: str
    body: str
    action: str = Field(description="What it asks for, e.g. check_in, step_done, confirm_event")
    subject_code: str = Field(description='Code of the step or event it is about, or ""')
    celebration: bool
    partnership: str = Field(description="Code of the partnership")
    with_organization: str = Field(description="The other organization of that partnership")
    side: Side = Field(description="Your side in that partnership")
    created_at: datetime
    read_at: datetime | None
    acted_at: datetime | None
    web_url: str = Field(description="Opens it in PartnerLoop (marks it read), where to act")

    @staticmethod
    def resolve_partnership(obj: Prompt) -> str:
        return obj.partnership.code

    @staticmethod
    def resolve_with_organization(obj: Prompt) -> str:
        p = obj.partnership
        return p.partner.name if obj.side == Side.HOST else p.host.name

    @staticmethod
    def resolve_web_url(obj: Prompt, context: dict[str, Any]) -> str:
        org = _actor(context["request"]).organization.code
        return reverse("prompt_open", kwargs={"org": org, "prompt": obj.code})


class InboxFilters(Schema):
    unread: bool = Field(False, description="Only prompts not read yet")


class ReadAllOut(Schema):
    marked: int = Field(description="How many prompts were marked read")


@router.get(
    "/inbox",
    response=responses(200, list[PromptOut], 422),
    summary="My inbox, newest first",
    description="Your own prompts in the token's organization; `unread=true` keeps the "
    "unread ones.",
)
@paginate(LimitOffset)
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> QuerySet[Prompt]:
    return selectors.inbox_for(actor=_actor(request), unread_only=filters.unread)


@router.post(
    "/inbox/read-all",
    response=responses(200, ReadAllOut),
    summary="Mark my whole inbox read",
)
def inbox_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.prompts_mark_all_read(actor=_actor(request))}


@router.post(
    "/inbox/{prompt}/read",
    response=responses(200, PromptOut, 404),
    summary="Mark a prompt read",
    description="Only your own prompts; a celebration read counts as followed.",
)
def prompt_read(request: HttpRequest, prompt: str) -> Prompt:
    actor = _actor(request)
    return services.prompt_open(actor=actor, prompt=selectors.prompt_for(actor=actor, code=prompt))


@router.post(
    "/inbox/{prompt}/acted",
    response=responses(200, PromptOut, 404),
    summary="Say I did what a prompt asked",
    description="Marks one of your prompts read and acted on; it then counts as followed "
    "in prompt effectiveness. Doing it twice changes nothing.",
)
def prompt_acted(request: HttpRequest, prompt: str) -> Prompt:
    actor = _actor(request)
    return services.prompt_mark_acted(
        actor=actor, prompt=selectors.prompt_for(actor=actor, code=prompt)
    )


# --- events -----------------------------------------------------------------------------


class EventOut(Schema):
    code: str
    kind: EventKind = Field(description="review or joint_event")
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    description: str
    host_attendees: str = Field(description="One name or e-mail per line")
    partner_attendees: str = Field(description="One name or e-mail per line")
    status: EventStatus = Field(description="proposed, confirmed or cancelled")
    confirmed_at: datetime | None
    side: Side = Field(description="The side that proposed it")
    created_by: str | None = Field(description="E-mail; null for a review a cadence proposed")
    version: int = Field(description="Send it back in PATCH; it changes on every change")
    created_at: datetime

    @staticmethod
    def resolve_created_by(obj: Event) -> str | None:
        return _email(obj.created_by)


class EventFilters(Schema):
    upcoming: bool = Field(
        False, description="Only events not cancelled that start from 12 hours ago on"
    )


class EventIn(InputSchema):
    kind: EventKind = Field(description="review or joint_event")
    title: str = Field(max_length=200)
    starts_at: AwareDatetime = Field(description="With a time zone, e.g. 2027-01-12T15:00:00Z")
    ends_at: AwareDatetime | None = None
    place: str = Field("", max_length=200, description="A room, an address or a meeting link")
    description: str = Field("", max_length=10000)
    host_attendees: str = Field("", max_length=2000, description="One name or e-mail per line")
    partner_attendees: str = Field("", max_length=2000, description="One name or e-mail per line")


class EventEditIn(InputSchema):
    version: int = Field(description="The `version` you read; 409 if someone saved since.")
    kind: EventKind | None = None
    title: str | None = Field(None, max_length=200)
    starts_at: AwareDatetime | None = Field(
        None, description="Moving a confirmed event makes it proposed again"
    )
    ends_at: AwareDatetime | None = Field(None, description="null clears it")
    place: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10000)
    host_attendees: str | None = Field(None, max_length=2000)
    partner_attendees: str | None = Field(None, max_length=2000)


def _event(request: HttpRequest, code: str, event: str) -> tuple[Actor, Event]:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    found = events.event_for(partnership=partnership, code=event)
    found.partnership = partnership
    return actor, found


@router.get(
    "/partnerships/{code}/events",
    response=responses(200, list[EventOut], 404, 422),
    summary="Reviews and joint events of a partnership, by start",
    description="Both sides see every event of their partnership, cancelled ones too "
    "unless `upcoming=true`.",
)
@paginate(LimitOffset)
def event_list(request: HttpRequest, code: str, filters: Query[EventFilters]) -> QuerySet[Event]:
    partnership, _side = _partnership(_actor(request), code)
    return selectors.events_for(
        partnership=partnership, upcoming_only=filters.upcoming
    ).select_related("created_by")


@router.post(
    "/partnerships/{code}/events",
    response=responses(201, EventOut, 403, 404, 422),
    summary="Propose a review or joint event",
    description="Writers of either side; the other side confirms it.",
)
def event_create(request: HttpRequest, code: str, payload: EventIn) -> Status:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    event = events.event_create(
        actor=actor, partnership=partnership, data=events.EventData(**payload.dict())
    )
    return Status(201, event)


@router.patch(
    "/partnerships/{code}/events/{event}",
    response=responses(200, EventOut, 403, 404, 409, 422),
    summary="Edit an event",
    description="Writers of either side. Send the `version` you read and the fields to "
    "change (null leaves a field as it is, except `ends_at`, which it clears). Moving the "
    "start of a confirmed event makes it proposed again. 409 if someone saved since.",
)
def event_update(request: HttpRequest, code: str, event: str, payload: EventEditIn) -> Any:
    actor, found = _event(request, code, event)
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    current = {f.name: getattr(found, f.name) for f in dataclasses.fields(events.EventData)}
    changes = {k: v for k, v in sent.items() if v is not None or k == "ends_at"}
    try:
        updated = events.event_edit(
            actor=actor,
            event=found,
            expected_version=version,
            data=events.EventData(**{**current, **changes}),
        )
    except ConcurrentEdit as exc:
        return stale_edit(exc, current_version(found))
    return Status(200, updated)


@router.post(
    "/partnerships/{code}/events/{event}/confirm",
    response=responses(200, EventOut, 403, 404, 422),
    summary="Confirm a proposed event",
    description="Writers of either side; an event already confirmed or cancelled answers 422.",
)
def event_confirm(request: HttpRequest, code: str, event: str) -> Event:
    actor, found = _event(request, code, event)
    return events.event_confirm(actor=actor, event=found)


@router.post(
    "/partnerships/{code}/events/{event}/cancel",
    response=responses(200, EventOut, 403, 404, 422),
    summary="Cancel an event",
    description="Writers of either side; an event already cancelled answers 422.",
)
def event_cancel(request: HttpRequest, code: str, event: str) -> Event:
    actor, found = _event(request, code, event)
    return events.event_cancel(actor=actor, event=found)


# --- check-ins --------------------------------------------------------------------------


class CheckInOut(Schema):
    code: str
    side: Side = Field(description="The side that wrote it")
    author: str | None
    rating: int = Field(description="How it is going, 1 (badly) to 5 (great)")
    worked: str
    didnt: str
    blockers: str
    next_step: str
    visibility: Visibility
    created_at: datetime

    @staticmethod
    def resolve_author(obj: CheckIn) -> str | None:
        return _email(obj.author)


class CheckInIn(InputSchema):
    rating: int = Field(description="How it is going, 1 (badly) to 5 (great)")
    worked: str = Field("", max_length=5000, description="What worked")
    didnt: str = Field("", max_length=5000, description="What didn't")
    blockers: str = Field("", max_length=5000)
    next_step: str = Field("", max_length=200, description="The next tiny step")
    visibility: Visibility = Field(
        Visibility.SHARED, description="`shared` (the default) or `private` to your side"
    )


@router.get(
    "/partnerships/{code}/check-ins",
    response=responses(200, list[CheckInOut], 404, 422),
    summary="Check-ins your side may see, newest first",
    description="The shared check-ins of both sides and your side's private ones.",
)
@paginate(LimitOffset)
def check_in_list(request: HttpRequest, code: str) -> QuerySet[CheckIn]:
    partnership, side = _partnership(_actor(request), code)
    return selectors.check_ins_for(partnership=partnership, side=side).select_related("author")


@router.post(
    "/partnerships/{code}/check-ins",
    response=responses(201, CheckInOut, 403, 404, 422),
    summary="Submit a check-in",
    description="Writers of either side: how it is going (1–5), what worked, what didn't, "
    "blockers and the next tiny step. Shared unless `visibility` is `private`.",
)
def check_in_submit(request: HttpRequest, code: str, payload: CheckInIn) -> Status:
    actor = _actor(request)
    partnership, _side = _partnership(actor, code)
    check_in = services.check_in_submit(actor=actor, partnership=partnership, **payload.dict())
    return Status(201, check_in)
