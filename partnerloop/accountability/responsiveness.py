"""The response clock: a partner's request opens it, the host's first response stops it.

Other apps call `request_opened` when the partner side asks something of the host (a
referral, a shared check-in, a comment) and `request_answered` when the host responds; the
responsiveness report reads the clocks (selectors).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from partnerloop.accountability.models import PartnerRequest, RequestKind
from partnerloop.partnerships.models import Partnership, Side, Visibility

# Timeline lines that are bookkeeping, not a response to the partner: the partnership's
# creation and edits, stage changes, invitations and joins, prompt settings.
AUTOMATIC_KINDS = frozenset(
    {"created", "edited", "stage", "invitation", "joined", "prompt_override"}
)


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
    stopped = waiting.update(answered_at=at or timezone.now(), answered_by=answered_by)
    if stopped:
        # The reminders about these requests were followed (prompt effectiveness).
        from partnerloop.prompts.models import PromptKind
        from partnerloop.prompts.services import mark_acted

        mark_acted(
            partnership=partnership,
            kinds=[PromptKind.REQUEST_WAITING],
            subject_code=subject_code,
            action=f"answer_{kind}",
        )
    return stopped


def answers_check_ins(*, kind: str, side: str, visibility: str, by_someone: bool) -> bool:
    """Whether a timeline line is the host's response to the partner: shared, written by
    someone of the host side, and not bookkeeping."""
    return (
        by_someone
        and side == Side.HOST
        and visibility == Visibility.SHARED
        and kind not in AUTOMATIC_KINDS
    )


def host_responded(
    *,
    partnership: Partnership,
    answered_by: AbstractBaseUser | None,
    kind: str,
    side: str,
    visibility: str,
) -> None:
    """Called for every timeline line (partnerships.services.timeline_record): a shared line
    of the host stops every waiting check-in clock of the partnership, in one UPDATE."""
    if answers_check_ins(
        kind=kind, side=side, visibility=visibility, by_someone=answered_by is not None
    ):
        request_answered(
            partnership=partnership, kind=RequestKind.CHECK_IN, answered_by=answered_by
        )


def comment_clock(
    *,
    partnership: Partnership,
    side: str,
    subject_code: str,
    actor: AbstractBaseUser | None,
    summary: str = "",
) -> None:
    """A shared comment in a thread (an activity, a note): the partner's starts the thread's
    clock, the host's stops it. Callers pass shared comments only."""
    if side == Side.PARTNER:
        request_opened(
            partnership=partnership,
            kind=RequestKind.COMMENT,
            subject_code=subject_code,
            asked_by=actor,
            summary=summary or "Comment",
        )
    else:
        request_answered(
            partnership=partnership,
            kind=RequestKind.COMMENT,
            subject_code=subject_code,
            answered_by=actor,
        )
