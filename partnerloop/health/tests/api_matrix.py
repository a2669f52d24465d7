"""API permission-matrix operations of /api/v1/health (see partnerloop/api/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import PERSONAS, ApiOperation, _in_partnership

H = "/api/v1/health"

OPERATIONS: list[ApiOperation] = [
    # Every organization lists the partnerships it hosts (possibly none).
    ApiOperation(
        "GET",
        H + "/partnerships",
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
    # Host side only: the partner side gets 404, like another tenant.
    ApiOperation(
        "GET",
        H + "/partnerships/{code}",
        side="host",
        role="read",
        expected=_in_partnership(200, 200, 200, 404, 404),
    ),
]


def prepare(world: Any) -> dict[str, str]:
    return {"code": world.partnership.code}
