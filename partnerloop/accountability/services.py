"""Writes of commitments: record a promise of either side, mark it kept or missed."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partnerloop.accountability.models import Commitment, CommitmentStatus
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record


def _org_name(partnership: Partnership, side: str) -> str:
    return partnership.host.name if side == Side.HOST else partnership.partner.name


@transaction.atomic
def commitment_add(
    *,
    actor: Actor,
    partnership: Partnership,
    side: str,
    what: str,
    due_on: date | None,
    promised_by: str = "",
) -> Commitment:
    """Either side records a promise — its own, or one the other side made to it."""
    actor.require_write()
    recorded_side = partnership.side_of(actor.organization.pk)
    errors: dict[str, str] = {}
    if side not in Side.values:
        errors["side"] = "Say whose promise it is: ours or theirs."
    what = (what or "").strip()
    if not what:
        errors["what"] = "Say what was promised."
    if due_on is None:
        errors["due_on"] = "Give the date it was promised for."
    if errors:
        raise ValidationError(errors)
    commitment = Commitment.objects.create(
        partnership=partnership,
        side=side,
        promised_by=promised_by.strip()[:200],
        what=what[:300],
        due_on=due_on,
        recorded_side=recorded_side,
        created_by=actor.user,
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=recorded_side,
        kind="commitment",
        summary=f"{_org_name(partnership, side)} promised: {commitment.what} "
        f"(by {due_on:%d %b %Y})",
    )
    return commitment


@transaction.atomic
def commitment_close(
    *, actor: Actor, commitment: Commitment, status: str, version: int | None = None
) -> Commitment:
    """Kept or missed — either side may say so (in the timeline, with who said it); a
    closed promise can be reopened with status "open"."""
    actor.require_write()
    side = commitment.partnership.side_of(actor.organization.pk)
    if status not in CommitmentStatus.values:
        raise ValidationError({"status": "Choose kept, missed or open."})
    expected = commitment.version if version is None else version
    closing = status != CommitmentStatus.OPEN
    updated = Commitment.objects.filter(pk=commitment.pk, version=expected).update(
        status=status,
        closed_at=timezone.now() if closing else None,
        closed_by=actor.user if closing else None,
        closed_side=side if closing else "",
        version=expected + 1,
    )
    if not updated:
        raise ConcurrentEdit(
            "Someone changed this commitment after you opened the page. Nothing was saved: "
            "here it is as it is now."
        )
    commitment.refresh_from_db()
    timeline_record(
        partnership=commitment.partnership,
        actor=actor.user,
        side=side,
        kind="commitment",
        summary=f"Promise {CommitmentStatus(status).label.lower()}: {commitment.what}",
    )
    return commitment
