"""API permission-matrix operations of /api/v1/accountability (see
partnerloop/api/tests/matrix.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from partnerloop.accountability import services
from partnerloop.api.tests.matrix import PERSONAS, ApiOperation, _in_partnership
from partnerloop.partnerships.models import Partnership, Side

A = "/api/v1/accountability"
READ_BOTH = _in_partnership(200, 200, 200, 200, 200)

OPERATIONS: list[ApiOperation] = [
    ApiOperation(
        "GET",
        A + "/partnerships/{code}/commitments",
        side="either",
        role="read",
        expected=READ_BOTH,
    ),
    ApiOperation(
        "POST",
        A + "/partnerships/{code}/commitments",
        side="either",
        role="write",
        body={"side": "partner", "what": "Intro to their CRO", "due_on": "2026-12-20"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
    ApiOperation(
        "POST",
        A + "/partnerships/{code}/commitments/{commitment}/close",
        side="either",
        role="write",
        body={"status": "kept", "version": 1},
        expected=_in_partnership(200, 200, 403, 200, 200),
    ),
    ApiOperation(
        "GET",
        A + "/partnerships/{code}/responsiveness",
        side="either",
        role="read",
        expected=READ_BOTH,
    ),
    ApiOperation(
        "GET", A + "/partnerships/{code}/scorecard", side="either", role="read", expected=READ_BOTH
    ),
    # Every organization reads the report of the program it hosts (possibly empty).
    ApiOperation(
        "GET",
        A + "/fairness",
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
    # Host managers only; the partner side gets 404, like another tenant.
    ApiOperation(
        "POST",
        A + "/fairness/partnerships/{code}/handled",
        side="host",
        role="manage",
        body={"metric": "touches", "group": "tier:gold", "note": "Booked a review"},
        expected=_in_partnership(201, 403, 403, 404, 404),
    ),
]


def prepare(world: Any) -> dict[str, str]:
    commitment = services.commitment_add(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side=Side.HOST,
        what="Send the co-branded deck",
        due_on=date(2026, 12, 15),
    )
    Partnership.objects.filter(pk=world.partnership.pk).update(tier="gold")
    return {"code": world.partnership.code, "commitment": commitment.code}
