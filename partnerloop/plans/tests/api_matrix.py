"""API permission-matrix operations of /api/v1/plans (see partnerloop/api/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import PERSONAS, ApiOperation, _in_partnership
from partnerloop.plans import services

PL = "/api/v1/plans"
WRITE_BOTH = _in_partnership(200, 200, 403, 200, 200)

OPERATIONS: list[ApiOperation] = [
    ApiOperation(
        "GET",
        PL + "/partnerships/{code}",
        side="either",
        role="read",
        expected=_in_partnership(200, 200, 200, 200, 200),
    ),
    ApiOperation(
        "POST",
        PL + "/partnerships/{code}/steps",
        side="either",
        role="write",
        body={"title": "Send the deck", "phase": "engage", "owner_side": "both"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
    ApiOperation(
        "PATCH",
        PL + "/partnerships/{code}/steps/{step}",
        side="either",
        role="write",
        body={"version": 1, "title": "Agreement accepted by both"},
        expected=WRITE_BOTH,
    ),
    ApiOperation(
        "POST",
        PL + "/partnerships/{code}/steps/{step}/done",
        side="either",
        role="write",
        body={"evidence": "Signed today"},
        expected=WRITE_BOTH,
    ),
    ApiOperation(
        "POST",
        PL + "/partnerships/{code}/steps/{step}/split",
        side="either",
        role="write",
        body={"titles": ["Read the terms", "Accept them"]},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
    # Every organization lists its own playbooks (possibly none).
    ApiOperation(
        "GET",
        PL + "/playbooks",
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
]


def prepare(world: Any) -> dict[str, str]:
    """A plan started from the host's default playbook; `step` is its first step."""
    plan = services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    return {"step": plan.steps.order_by("position").first().code}
