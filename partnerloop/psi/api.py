"""Private mode in the JSON API, mounted at /api/v1/psi.

The requesting side runs the client role on its own machine (`partnerloop psi`): it starts a
run against the other side's population (the answer carries the setup message), sends its
encrypted request once (the answer carries the server's response), computes the count or
the overlap locally, and may report the count back. Messages are base64 in JSON; the
request may also be sent raw as `application/octet-stream`.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from partnerloop.api.partnerships import LimitOffset, _actor, _partnership
from partnerloop.api.schemas import InputSchema, responses
from partnerloop.psi import engine, selectors, services
from partnerloop.psi.models import PsiConsent, PsiRun

router = Router(tags=["psi"])

# A request carries one 33-byte compressed point (plus framing) per item.
BYTES_PER_ITEM = 40


class RunIn(InputSchema):
    population: str = Field(description="The other side's population, such as customers")
    mode: Literal["count", "reveal"] = Field("count", description="count or reveal")
    client_set_size: int = Field(
        ge=0, description="How many distinct domains your request will carry"
    )


class RunOut(Schema):
    code: str
    partnership_code: str = Field(alias="partnership.code")
    requested_by: str | None
    requesting_organization: str = Field(alias="requesting_org.name")
    requesting_side: str
    population: str = Field(alias="population_key")
    mode: str
    client_set_size: int
    server_set_size: int
    status: str = Field(description="awaiting, finished or expired")
    created_at: datetime
    finished_at: datetime | None
    result_count: int | None = Field(description="The count, if the requester reported it")

    @staticmethod
    def resolve_requested_by(obj: PsiRun) -> str | None:
        user = obj.requested_by
        return (user.email or user.get_username()) if user is not None else None


class RunStartedOut(RunOut):
    setup: str = Field(description="The server's setup message, base64")
    fpr: float = Field(description="False-positive rate the setup was built for")


class RequestIn(InputSchema):
    request: str = Field(description="The client's request message, base64")


class ResponseOut(Schema):
    code: str
    status: str
    response: str = Field(description="The server's response message, base64")


class ResultIn(InputSchema):
    count: int = Field(ge=0, description="The intersection size you computed")


class ConsentOut(Schema):
    side: str = Field(description="Whose population: host or partner")
    population: str = Field(alias="population_key")
    modes: list[str] = Field(description="count, and reveal if allowed")
    updated_at: datetime


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _closed(exc: Exception) -> Status:
    return Status(410, {"detail": str(exc)})


@router.get(
    "/partnerships/{code}/consents",
    response=responses(200, list[ConsentOut], 404),
    summary="Populations open to private mode",
    description="Which populations each side of the partnership lets the other side run "
    "private mode against, and in which modes.",
)
def consent_list(request: HttpRequest, code: str) -> QuerySet[PsiConsent]:
    partnership, _side = _partnership(_actor(request), code)
    return selectors.consents_for(partnership=partnership)


@router.get(
    "/partnerships/{code}/runs",
    response=responses(200, list[RunOut], 404, 422),
    summary="The private mode audit log",
    description="Every run in the partnership, by either side, newest first: who ran it, "
    "against which population, in which mode, with which set sizes, and when.",
)
@paginate(LimitOffset)
def run_list(request: HttpRequest, code: str) -> QuerySet[PsiRun]:
    partnership, _side = _partnership(_actor(request), code)
    return selectors.runs_for(partnership=partnership)


@router.post(
    "/partnerships/{code}/runs",
    response=responses(201, RunStartedOut, 403, 404, 422, 429),
    summary="Start a private mode run",
    description="Against the other side's population: refused (403) unless that side "
    "enabled private mode for it (and reveal mode, for `reveal`), 422 below the minimum or "
    "above the maximum set size, 429 past the daily limit of runs. The answer carries the "
    "setup message; send your request to `/psi/runs/{run}/request` within the hour.",
)
def run_start(request: HttpRequest, code: str, payload: RunIn) -> Status:
    actor = _actor(request)
    partnership, side = _partnership(actor, code)
    try:
        started = services.run_start(
            actor=actor,
            partnership=partnership,
            side=side,
            population=payload.population,
            mode=payload.mode,
            client_set_size=payload.client_set_size,
        )
    except services.RateLimited as exc:
        return Status(429, {"detail": str(exc)})
    run = started.run
    run.partnership = partnership
    run.requesting_org = actor.organization
    run.setup = _b64(started.setup)  # type: ignore[attr-defined]
    run.fpr = engine.DEFAULT_FPR  # type: ignore[attr-defined]
    return Status(201, run)


def _request_bytes(request: HttpRequest, limit: int) -> bytes:
    """The client request from a raw or a JSON body, read no further than `limit` bytes."""
    data = request.read(limit + 1)
    if len(data) > limit:
        raise DjangoValidationError({"request": "The request is larger than this run allows."})
    if request.content_type == "application/octet-stream":
        return data
    try:
        body = RequestIn.model_validate(json.loads(data or b"{}"))
        return base64.b64decode(body.request, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise DjangoValidationError(
            {"request": "Send the request message as base64 in `request`."}
        ) from exc


@router.post(
    "/runs/{run}/request",
    response=responses(200, ResponseOut, 403, 404, 410, 422),
    summary="Send the run's one request",
    description='Only the organization that started the run. Body: `{"request": base64}` '
    "or the raw message as `application/octet-stream`. The server's key is deleted after "
    "answering: a second request answers 410, as does a run older than an hour.",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": RequestIn.model_json_schema()},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
            "required": True,
        }
    },
)
def run_request(request: HttpRequest, run: str) -> Any:
    actor = _actor(request)
    found = selectors.run_for(actor=actor, code=run)
    limit = 2 * BYTES_PER_ITEM * found.client_set_size + 4096
    data = _request_bytes(request, limit)
    try:
        response = services.run_answer(actor=actor, run=found, request=data)
    except services.RunClosed as exc:
        return _closed(exc)
    return {"code": found.code, "status": found.status, "response": _b64(response)}


@router.post(
    "/runs/{run}/result",
    response=responses(200, RunOut, 403, 404, 410, 422),
    summary="Report the count you computed",
    description="Optional, once, by the organization that ran it: the intersection size "
    "shows in both sides' audit log and overlap pages.",
)
def run_result(request: HttpRequest, run: str, payload: ResultIn) -> Any:
    actor = _actor(request)
    found = selectors.run_for(actor=actor, code=run)
    try:
        reported = services.run_report(actor=actor, run=found, count=payload.count)
    except services.RunClosed as exc:
        return _closed(exc)
    reported.partnership = found.partnership
    return reported
