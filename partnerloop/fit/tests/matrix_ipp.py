"""Permission-matrix entries for this part of the fit app (see partnerloop/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

ENTRIES: list[Any] = []


def prepare(world: Any) -> dict[str, Any]:
    return {}
