"""Background jobs of the mapping app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django_tasks import task


@task()
def run_upload(*, upload_id: int) -> str:
    """Import one pending upload (see services.upload_run); a second run does nothing."""
    from partnerloop.mapping.services import upload_run

    return upload_run(upload_id=upload_id)
