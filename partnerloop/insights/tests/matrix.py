"""Permission-matrix entries of the insights pages (see partnerloop/tests/matrix.py).

The host dashboard reads only the partnerships the persona's own organization hosts: every
member reads its own (a partner-only organization gets a page of links, an organization
hosting nothing an empty state); strangers to an organization get 404. A partnership's
dashboard and review pack are read by both of its sides, like the workspace.
"""

from __future__ import annotations

from typing import Any

from partnerloop.tests.matrix import WS_READ, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    return {}


def _partnership(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


ENTRIES: list[Entry] = [
    Entry("insights_host", "get", ok(200)),
    # A partnership's dashboard (and a panel's CSV) and its review pack: both sides.
    Entry("partnership_dashboard", "get", WS_READ, kwargs=_partnership),
    Entry("partnership_dashboard", "get", WS_READ, kwargs=_partnership, data={"csv": "steps"}),
    Entry("partnership_review", "get", WS_READ, kwargs=_partnership),
    Entry("partnership_review", "get", WS_READ, kwargs=_partnership, data={"quarter": "2026Q3"}),
]
