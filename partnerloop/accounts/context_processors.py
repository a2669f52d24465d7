from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def organizations(request: HttpRequest) -> dict[str, Any]:
    """The organizations of the signed-in user, for the switcher in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships() -> list[Any]:
        return list(user.memberships.select_related("organization").order_by("organization__name"))

    # Lazy: pages that never render the header pay no query.
    return {"my_memberships": memberships}
