"""API permission-matrix operations of /api/v1/insights (see partnerloop/api/tests/matrix.py).

The host dashboard answers for the token's own organization: every member reads the
figures of the partnerships it hosts (none for a partner-only organization)."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import PERSONAS, ApiOperation

INSIGHTS = "/api/v1/insights"


def prepare(world: Any) -> dict[str, str]:
    return {}


OPERATIONS: list[ApiOperation] = [
    ApiOperation(
        "GET",
        INSIGHTS + "/host",
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
]
