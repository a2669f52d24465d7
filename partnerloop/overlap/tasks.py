"""Background jobs of account overlap. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_matches(*, partnership_id: int) -> int | None:
    """Recompute one partnership's matches (services.matches_refresh); nothing when they
    are already current."""
    from partnerloop.overlap.services import matches_refresh

    return matches_refresh(partnership_id=partnership_id)
