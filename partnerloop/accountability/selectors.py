"""Reads of commitments for one partnership (already resolved for the actor). Commitments
are always shared, so both sides read the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerloop.accountability.models import Commitment, CommitmentStatus
from partnerloop.partnerships.models import Partnership, Side


def commitments_for(*, partnership: Partnership) -> QuerySet[Commitment]:
    return Commitment.objects.filter(partnership=partnership)


def commitment_for(*, partnership: Partnership, code: str) -> Commitment:
    found = commitments_for(partnership=partnership).filter(code=code).first()
    if found is None:
        raise Http404("No such commitment.")
    return found


@dataclass
class PromisesKept:
    """One side's record: kept of those due and closed, and the open ones past their date."""

    kept: int = 0
    missed: int = 0
    open: int = 0
    late: int = 0

    @property
    def rate(self) -> float | None:
        closed = self.kept + self.missed
        return round(self.kept / closed, 4) if closed else None


def promises_kept(commitments: list[Commitment], *, today: date) -> dict[str, PromisesKept]:
    record = {Side.HOST: PromisesKept(), Side.PARTNER: PromisesKept()}
    for c in commitments:
        tally = record[Side(c.side)]
        if c.status == CommitmentStatus.KEPT:
            tally.kept += 1
        elif c.status == CommitmentStatus.MISSED:
            tally.missed += 1
        else:
            tally.open += 1
            if c.due_on < today:
                tally.late += 1
    return record


def workspace_commitments(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The commitments section: every promise of both sides and each side's record."""
    today = timezone.localdate()
    commitments = list(commitments_for(partnership=partnership))
    record = promises_kept(commitments, today=today)
    return {
        "commitments": commitments,
        "promises": [
            (partnership.host.name, record[Side.HOST]),
            (partnership.partner.name, record[Side.PARTNER]),
        ],
        "today": today,
    }
