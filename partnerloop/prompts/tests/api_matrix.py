"""API permission-matrix operations of /api/v1/prompts: the inbox and check-ins
(see partnerloop/api/tests/matrix.py; events are in api_matrix_delivery.py)."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import OUTSIDERS, PERSONAS, ApiOperation, _in_partnership
from partnerloop.partnerships.models import Side
from partnerloop.prompts.models import Prompt, PromptKind

PR = "/api/v1/prompts"
EVERY_ORGANIZATION = {p: 200 for p in PERSONAS} | {"anonymous": 401}
# A prompt is its recipient's alone: anyone else's code is a 404.
RECIPIENT_ONLY = {p: 404 for p in PERSONAS} | OUTSIDERS | {"host_owner": 200}

OPERATIONS: list[ApiOperation] = [
    ApiOperation("GET", PR + "/inbox", side="any", role="read", expected=EVERY_ORGANIZATION),
    ApiOperation(
        "POST", PR + "/inbox/read-all", side="any", role="read", expected=EVERY_ORGANIZATION
    ),
    ApiOperation(
        "POST", PR + "/inbox/{prompt}/read", side="any", role="read", expected=RECIPIENT_ONLY
    ),
    ApiOperation(
        "POST", PR + "/inbox/{prompt}/acted", side="any", role="read", expected=RECIPIENT_ONLY
    ),
    ApiOperation(
        "GET",
        PR + "/partnerships/{code}/check-ins",
        side="either",
        role="read",
        expected=_in_partnership(200, 200, 200, 200, 200),
    ),
    ApiOperation(
        "POST",
        PR + "/partnerships/{code}/check-ins",
        side="either",
        role="write",
        body={"rating": 4, "next_step": "Send the logo pack"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
]


def prepare(world: Any) -> dict[str, str]:
    """One prompt in the host owner's inbox."""
    prompt = Prompt.objects.create(
        dedupe_key="api-matrix:prompt",
        kind=PromptKind.CADENCE,
        partnership=world.partnership,
        recipient=world.host_owner,
        organization=world.host,
        side=Side.HOST,
        title="Monthly check-in with Acme Integrations",
        action="check_in",
    )
    return {"prompt": prompt.code}
