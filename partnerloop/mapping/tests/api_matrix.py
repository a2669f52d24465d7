"""API permission-matrix operations of /api/v1/mapping (see partnerloop/api/tests/matrix.py).

Lists belong to one organization: every organization reads its own (possibly none); the
host's list and upload are a 404 to anyone else, its partners included."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import PERSONAS, ApiOperation, _in_partnership
from partnerloop.mapping.models import AccountList, AccountUpload, UploadStatus

M = "/api/v1/mapping"
EVERYONE = {p: 200 for p in PERSONAS} | {"anonymous": 401}

OPERATIONS: list[ApiOperation] = [
    ApiOperation("GET", M + "/lists", side="any", role="read", expected=EVERYONE),
    ApiOperation(
        "GET",
        M + "/lists/{list_code}/uploads",
        side="any",
        role="read",
        expected=_in_partnership(200, 200, 200, 404, 404),
    ),
    ApiOperation(
        "GET",
        M + "/uploads/{upload_code}",
        side="any",
        role="read",
        expected=_in_partnership(200, 200, 200, 404, 404),
    ),
    ApiOperation(
        "POST",
        M + "/uploads/{upload_code}/cancel",
        side="any",
        role="manage",
        body={},
        expected=_in_partnership(200, 403, 403, 404, 404),
    ),
    ApiOperation("GET", M + "/populations", side="any", role="read", expected=EVERYONE),
]


def prepare(world: Any) -> dict[str, str]:
    account_list = AccountList.objects.create(organization=world.host, name="CRM accounts")
    upload = AccountUpload.objects.create(
        account_list=account_list,
        filename="accounts.csv",
        encoding="utf-8",
        header=["Firma"],
        status=UploadStatus.PENDING,
        uploaded_by=world.host_owner,
    )
    return {"list_code": account_list.code, "upload_code": upload.code}
