"""The response clock: a partner's request opens it, the host's first response stops it.

Other apps call `request_opened` when the partner side asks something of the host (a
referral, a shared check-in, a comment) and `request_answered` when the host responds; the
responsiveness report reads the clocks (selectors).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from partnerloop.accountability.models import PartnerRequest
from partnerloop.partnerships.models import Partnership


def request_opened(
    *,
    partnership: Partnership,
    kind: str,
    subject_code: str,
    asked_by: AbstractBaseUser | None,
    summary: str = "",
    at: datetime | None = None,
) -> PartnerRequest:
    """Start a clock; a subject already waiting for an answer keeps its first clock."""
    waiting = PartnerRequest.objects.filter(
        partnership=partnership, kind=kind, subject_code=subject_code, answered_at__isnull=True
    ).first()
    if waiting is not None:
        return waiting
    return PartnerRequest.objects.create(
        partnership=partnership,
        kind=kind,
        subject_code=subject_code,
        summary=summary[:200],
        asked_at=at or timezone.now(),
        asked_by=asked_by,
    )


def request_answered(
    *,
    partnership: Partnership,
    kind: str,
    answered_by: AbstractBaseUser | None,
    subject_code: str | None = None,
    at: datetime | None = None,
) -> int:
    """Stop the waiting clocks of one subject (or, without a subject, every waiting clock of
    that kind in the partnership); returns how many were stopped."""
    waiting = PartnerRequest.objects.filter(
        partnership=partnership, kind=kind, answered_at__isnull=True
    )
    if subject_code is not None:
        waiting = waiting.filter(subject_code=subject_code)
    return waiting.update(answered_at=at or timezone.now(), answered_by=answered_by)
