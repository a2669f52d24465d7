"""Permission-matrix entries for the health pages (loaded by partnerloop/tests/matrix.py).

Health is the host's: its team reads and recomputes it; the partner side gets 404."""

from __future__ import annotations

from typing import Any

from partnerloop.health.services import refresh_partnership_health
from partnerloop.tests.matrix import Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    refresh_partnership_health(world.partnership)
    return {}


def _partnership(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


HOST_ONLY_READ = ok(200, partner_user=404, other_partner=404, other_host=404)
HOST_ONLY_REFRESH = ok(302, partner_user=404, other_partner=404, other_host=404)

ENTRIES: list[Entry] = [
    Entry("health_history_csv", "get", HOST_ONLY_READ, kwargs=_partnership),
    Entry("health_refresh", "post", HOST_ONLY_REFRESH, kwargs=_partnership),
]
