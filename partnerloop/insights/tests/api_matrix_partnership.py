"""API permission-matrix operations of /api/v1/insights/partnerships (see
partnerloop/api/tests/matrix.py): both sides of the partnership read its dashboard and
its review pack; other organizations get 404."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import ApiOperation, _in_partnership

P = "/api/v1/insights/partnerships"
READ_BOTH = _in_partnership(200, 200, 200, 200, 200)


def prepare(world: Any) -> dict[str, str]:
    return {"code": world.partnership.code}


OPERATIONS: list[ApiOperation] = [
    ApiOperation("GET", P + "/{code}/dashboard", side="either", role="read", expected=READ_BOTH),
    ApiOperation("GET", P + "/{code}/review", side="either", role="read", expected=READ_BOTH),
]
