"""API permission-matrix operations of /api/v1/activities (see partnerloop/api/tests/matrix.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from partnerloop.activities import services
from partnerloop.api.tests.matrix import PERSONAS, ApiOperation, _in_partnership
from partnerloop.partnerships.models import Visibility

A = "/api/v1/activities"
EVERY_ORGANIZATION = {p: 200 for p in PERSONAS} | {"anonymous": 401}

OPERATIONS: list[ApiOperation] = [
    # Every organization lists what it may see (another organization's list is its own).
    ApiOperation("GET", A, side="any", role="read", expected=EVERY_ORGANIZATION),
    # Each organization reads its own report (one that hosts nothing gets zeros).
    ApiOperation("GET", A + "/what-works", side="any", role="read", expected=EVERY_ORGANIZATION),
    ApiOperation(
        "POST",
        A + "/partnerships/{code}",
        side="either",
        role="write",
        body={"kind": "meeting", "title": "Monthly sync", "happened_on": "2026-11-20"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
    ApiOperation(
        "GET",
        A + "/{activity}",
        side="either",
        role="read",
        expected=_in_partnership(200, 200, 200, 200, 200),
    ),
    # Only the side that logged it (the host) edits; the partner side comments instead.
    ApiOperation(
        "PATCH",
        A + "/{activity}",
        side="host",
        role="write",
        body={"version": 1, "title": "Joint newsletter, December"},
        expected=_in_partnership(200, 200, 403, 403, 403),
    ),
    ApiOperation(
        "PUT",
        A + "/{activity}/outcome",
        side="either",
        role="write",
        body={"result": "worked", "leads": 4},
        expected=_in_partnership(200, 200, 403, 200, 200),
    ),
    ApiOperation(
        "POST",
        A + "/{activity}/comments",
        side="either",
        role="write",
        body={"body": "Nice one"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
]


def prepare(world: Any) -> dict[str, str]:
    """A shared activity the host owner logged (`version` 1)."""
    activity = services.activity_log(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        kind="campaign",
        title="Joint newsletter",
        happened_on=date(2026, 11, 2),
        visibility=Visibility.SHARED,
    )
    return {"activity": activity.code}
