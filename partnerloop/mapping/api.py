"""Account lists in the JSON API, mounted at /api/v1/mapping.

An organization's own lists only: another organization's list or upload is a 404. Files
are uploaded on the web pages; the API reads lists, uploads, their progress and the
populations, and cancels an upload.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from partnerloop.api.partnerships import LimitOffset, _actor
from partnerloop.api.schemas import responses
from partnerloop.mapping import selectors, services
from partnerloop.mapping.models import AccountUpload

router = Router(tags=["mapping"])


class UploadOut(Schema):
    code: str
    list_code: str = Field(alias="account_list.code")
    filename: str
    status: str = Field(description="mapping, pending, running, done, failed or cancelled")
    is_current: bool
    cancel_requested: bool
    source: str = Field(description="hubspot, salesforce or '' (a column mapping was chosen)")
    encoding: str
    delimiter: str
    rows_total: int = Field(description="Rows in the file (an estimate until it is done)")
    rows_processed: int
    rows_imported: int
    duplicates: int = Field(description="Rows left out: same domain or record ID as before")
    rows_skipped: int = Field(description="Rows left out: no company name and no website")
    percent: int
    message: str = Field(description="Why it failed or was cancelled; '' otherwise")
    rows_pruned: bool = Field(description="The rows of this old upload were deleted")
    created_at: datetime
    finished_at: datetime | None


class PopulationCountOut(Schema):
    key: str
    count: int


class ListOut(Schema):
    code: str
    name: str
    current_upload: UploadOut | None
    uploads_in_progress: list[UploadOut]
    accounts: int = Field(description="Rows of the current upload")
    populations: list[PopulationCountOut] = Field(description="Rows per population key")


class PopulationOut(Schema):
    key: str
    name: str
    is_builtin: bool
    is_default: bool = Field(description="Rows whose status matches no rule go here")
    status_values: list[str] = Field(description="Folded status values (lower case)")


@router.get(
    "/lists",
    response=responses(200, list[ListOut]),
    summary="Your account lists",
    description="Each list with its current upload and its counts per population.",
)
@paginate(LimitOffset)
def list_lists(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": s.account_list.code,
            "name": s.account_list.name,
            "current_upload": s.current,
            "uploads_in_progress": s.open_uploads,
            "accounts": s.total,
            "populations": [{"key": k, "count": n} for k, n in sorted(s.counts.items())],
        }
        for s in selectors.list_summaries(actor=_actor(request))
    ]


@router.get(
    "/lists/{list_code}/uploads",
    response=responses(200, list[UploadOut], 404),
    summary="The uploads of a list",
    description="Newest first: the history of the list, with the current one marked.",
)
@paginate(LimitOffset)
def list_uploads(request: HttpRequest, list_code: str) -> Any:
    account_list = selectors.account_list_for(actor=_actor(request), code=list_code)
    return selectors.uploads_of(account_list=account_list).select_related("account_list")


@router.get(
    "/uploads/{upload_code}",
    response=responses(200, UploadOut, 404),
    summary="An upload and its progress",
)
def upload_get(request: HttpRequest, upload_code: str) -> AccountUpload:
    return selectors.upload_for(actor=_actor(request), code=upload_code)


@router.post(
    "/uploads/{upload_code}/cancel",
    response=responses(200, UploadOut, 403, 404, 422),
    summary="Cancel an upload",
    description=(
        "At once when it waits for its column mapping or a worker; between two batches when "
        "it is running (status stays running with cancel_requested until the worker stops). "
        "A finished upload answers 422. Owners, admins and managers."
    ),
)
def upload_cancel(request: HttpRequest, upload_code: str) -> AccountUpload:
    actor = _actor(request)
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    found = selectors.upload_for(actor=actor, code=upload_code)
    return services.upload_cancel(actor=actor, upload=found)


@router.get(
    "/populations",
    response=responses(200, list[PopulationOut]),
    summary="Your populations and their rules",
)
def population_list(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    services.populations_ensure(organization=actor.organization)
    return [
        {
            "key": p.key,
            "name": p.name,
            "is_builtin": p.is_builtin,
            "is_default": p.is_default,
            "status_values": [r.value for r in p.rules.all()],
        }
        for p in selectors.populations(organization=actor.organization)
    ]
