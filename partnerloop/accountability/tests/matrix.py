"""Permission-matrix entries for commitments."""

from __future__ import annotations

from datetime import date
from typing import Any

from partnerloop.accountability import services
from partnerloop.partnerships.models import Side
from partnerloop.tests.matrix import WS_WRITE, Entry


def prepare(world: Any) -> dict[str, Any]:
    commitment = services.commitment_add(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side=Side.HOST,
        what="Send the co-branded deck",
        due_on=date(2026, 12, 15),
    )
    return {"commitment": commitment.code}


ENTRIES: list[Entry] = [
    Entry(
        "commitment_add",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code},
        data={"whose": "theirs", "what": "Intro to their CRO", "due_on": "2026-12-20"},
    ),
    Entry(
        "commitment_close",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code, "commitment": o.extra["commitment"]},
        data={"status": "kept", "version": 1},
    ),
]
