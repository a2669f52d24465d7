"""Writes of accountability: record a promise of either side, mark it kept or missed; set
the host's response targets; mark a fairness flag handled."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from partnerloop.accountability.models import (
    DEFAULT_TARGET_HOURS,
    MAX_TARGET_HOURS,
    MIN_TARGET_HOURS,
    Commitment,
    CommitmentStatus,
    FairnessFlagHandled,
    FairnessMetric,
    ResponseTarget,
)
from partnerloop.core.tenancy import Actor
from partnerloop.fit.models import PartnershipFit
from partnerloop.partnerships.models import Partnership, Side, Visibility
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


@transaction.atomic
def response_targets_set(*, actor: Actor, hours: dict[str, int | None]) -> dict[str, int]:
    """A host manager sets the hours to first response per kind of request (1–720); a
    kind left out keeps its target. Returns the targets now in force."""
    actor.require_manage()
    errors: dict[str, str] = {}
    for kind, value in hours.items():
        if kind not in DEFAULT_TARGET_HOURS:
            errors[kind] = "Choose a kind of request: referral, check_in or comment."
        elif value is None or not MIN_TARGET_HOURS <= value <= MAX_TARGET_HOURS:
            errors[kind] = (
                f"Give a whole number of hours from {MIN_TARGET_HOURS} to {MAX_TARGET_HOURS} "
                f"(30 days)."
            )
    if errors:
        raise ValidationError(errors)
    for kind, value in hours.items():
        ResponseTarget.objects.update_or_create(
            host=actor.organization, kind=kind, defaults={"hours": value, "updated_by": actor.user}
        )
    current = {str(k): v for k, v in DEFAULT_TARGET_HOURS.items()}
    current.update(
        ResponseTarget.objects.filter(host=actor.organization).values_list("kind", "hours")
    )
    return current


def _groups_of(partnership: Partnership) -> set[str]:
    groups = {f"tier:{partnership.tier}"} if partnership.tier else set()
    band = (
        PartnershipFit.objects.filter(partnership=partnership)
        .values_list("band", flat=True)
        .first()
    )
    if band:
        groups.add(f"band:{band}")
    return groups


@transaction.atomic
def fairness_flag_handle(
    *, actor: Actor, partnership: Partnership, metric: str, group: str, note: str
) -> FairnessFlagHandled:
    """A host manager says a fairness flag was looked at and what was done: the flag shows
    as handled with the note while the handling is younger than the report's window. Only
    the host's team ever sees it (a private line in the host's timeline)."""
    actor.require_manage()
    if partnership.host_id != actor.organization.pk:
        raise PermissionDenied("Only the host's team handles fairness flags.")
    errors: dict[str, str] = {}
    if metric not in FairnessMetric.values:
        errors["metric"] = "Choose a metric of the fairness report."
    if group not in _groups_of(partnership):
        errors["group"] = "Choose a peer group this partnership is in: its tier or its fit band."
    note = (note or "").strip()
    if not note:
        errors["note"] = "Say what was done about it, so the team knows why it is handled."
    if errors:
        raise ValidationError(errors)
    handled = FairnessFlagHandled.objects.create(
        host=actor.organization,
        partnership=partnership,
        metric=metric,
        group=group,
        note=note[:2000],
        handled_by=actor.user,
        handled_at=timezone.now(),
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="fairness",
        visibility=Visibility.PRIVATE,
        summary=f"Fairness flag handled ({FairnessMetric(metric).label.lower()}): {note}",
    )
    return handled
