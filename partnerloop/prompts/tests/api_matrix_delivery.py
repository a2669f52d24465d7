"""API permission-matrix operations of /api/v1/prompts for reviews and joint events
(see partnerloop/api/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from partnerloop.api.tests.matrix import ApiOperation, _in_partnership
from partnerloop.partnerships.models import Side
from partnerloop.prompts.models import Event, EventKind

EV = "/api/v1/prompts/partnerships/{code}/events"
WRITE_BOTH = _in_partnership(200, 200, 403, 200, 200)

OPERATIONS: list[ApiOperation] = [
    ApiOperation(
        "GET", EV, side="either", role="read", expected=_in_partnership(200, 200, 200, 200, 200)
    ),
    ApiOperation(
        "POST",
        EV,
        side="either",
        role="write",
        body={"kind": "joint_event", "title": "Webinar", "starts_at": "2027-01-12T15:00:00Z"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
    ApiOperation(
        "PATCH",
        EV + "/{event}",
        side="either",
        role="write",
        body={"version": 1, "place": "Video call"},
        expected=WRITE_BOTH,
    ),
    ApiOperation("POST", EV + "/{event}/confirm", side="either", role="write", expected=WRITE_BOTH),
    ApiOperation("POST", EV + "/{event}/cancel", side="either", role="write", expected=WRITE_BOTH),
]


def prepare(world: Any) -> dict[str, str]:
    """A review the host proposed, a week ahead (`version` 1)."""
    event = Event.objects.create(
        partnership=world.partnership,
        kind=EventKind.REVIEW,
        title="Quarterly review",
        starts_at=timezone.now() + dt.timedelta(days=7),
        side=Side.HOST,
    )
    return {"event": event.code}
