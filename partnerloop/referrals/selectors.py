"""Reads of referrals and known accounts.

Inside a partnership (already resolved for the actor by `partnership_for`) both sides read
the same referrals; the conflict findings and the known accounts are the host's alone, so
they are never part of what these functions hand to the partner side (`conflicts_for`
answers an empty list to the partner). Across partnerships, an organization reads the
referrals of the partnerships it hosts and those it registered as a partner — never
another partner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.referrals.models import (
    KnownAccount,
    Referral,
    ReferralChange,
    ReferralStage,
    ReferralStatus,
)

WORKSPACE_LATEST = 5
OPEN_STAGES = (ReferralStage.NEW, ReferralStage.QUALIFIED, ReferralStage.PROPOSAL)


@dataclass
class ReferralFilters:
    status: str = ""
    stage: str = ""
    q: str = ""
    partnership: str = ""
    attribution: str = ""
    side: str = ""

    @classmethod
    def from_query(cls, query: Any) -> ReferralFilters:
        return cls(
            status=query.get("status", "").strip(),
            stage=query.get("stage", "").strip(),
            q=query.get("q", "").strip()[:100],
            partnership=query.get("partnership", "").strip(),
            attribution=query.get("attribution", "").strip(),
            side=query.get("side", "").strip(),
        )


def _filtered(qs: QuerySet[Referral], filters: ReferralFilters) -> QuerySet[Referral]:
    if filters.status in ReferralStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.stage in ReferralStage.values:
        qs = qs.filter(status=ReferralStatus.ACCEPTED, stage=filters.stage)
    if filters.q:
        qs = qs.filter(Q(company__icontains=filters.q) | Q(domain__icontains=filters.q))
    if filters.partnership:
        qs = qs.filter(partnership__code=filters.partnership)
    if filters.attribution:
        qs = qs.filter(attribution=filters.attribution)
    return qs


def referrals_for(
    *, partnership: Partnership, filters: ReferralFilters | None = None
) -> QuerySet[Referral]:
    """The referrals of one partnership (both sides see them all), newest first."""
    qs = Referral.objects.filter(partnership=partnership).select_related(
        "submitted_by", "decided_by"
    )
    return _filtered(qs, filters) if filters else qs


def referral_for(*, partnership: Partnership, code: str) -> Referral:
    referral = referrals_for(partnership=partnership).filter(code=code).first()
    if referral is None:
        raise Http404("No such referral.")
    referral.partnership = partnership
    return referral


def changes_for(*, referral: Referral) -> list[ReferralChange]:
    """The referral's history, oldest first: each decision and stage with its reason."""
    return list(referral.changes.select_related("changed_by"))


def conflicts_for(*, referral: Referral, side: str) -> list[dict[str, Any]]:
    """The conflict check's findings: the host's; the partner side gets none."""
    return list(referral.conflicts or []) if side == Side.HOST else []


@dataclass
class ReferralCard:
    """The workspace's referrals section: counts, the latest ones and the won amount."""

    total: int
    submitted: int
    accepted: int
    declined: int
    by_stage: dict[str, int]
    won_amount: Decimal
    latest: list[Referral]

    @property
    def open(self) -> int:
        return sum(self.by_stage.get(s, 0) for s in OPEN_STAGES)

    @property
    def stages(self) -> list[tuple[str, str, int]]:
        return [(s, label, self.by_stage.get(s, 0)) for s, label in ReferralStage.choices]


def workspace_referrals(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """Two queries whatever the number of referrals: one aggregate, one short list (the
    waiting ones first, then those still open, newest first)."""
    accepted = Q(status=ReferralStatus.ACCEPTED)
    figures = Referral.objects.filter(partnership=partnership).aggregate(
        total=Count("id"),
        submitted=Count("id", filter=Q(status=ReferralStatus.SUBMITTED)),
        accepted=Count("id", filter=accepted),
        declined=Count("id", filter=Q(status=ReferralStatus.DECLINED)),
        won_amount=Sum("amount", filter=accepted & Q(stage=ReferralStage.WON)),
        **{
            f"stage_{stage}": Count("id", filter=accepted & Q(stage=stage))
            for stage in ReferralStage.values
        },
    )
    latest = list(
        Referral.objects.filter(partnership=partnership)
        .filter(
            Q(status=ReferralStatus.SUBMITTED)
            | Q(status=ReferralStatus.ACCEPTED, stage__in=OPEN_STAGES)
        )
        .order_by("-submitted_at", "-id")[:WORKSPACE_LATEST]
    )
    latest.sort(key=lambda r: r.status != ReferralStatus.SUBMITTED)
    return {
        "referral_card": ReferralCard(
            total=figures["total"],
            submitted=figures["submitted"],
            accepted=figures["accepted"],
            declined=figures["declined"],
            by_stage={s: figures[f"stage_{s}"] for s in ReferralStage.values},
            won_amount=figures["won_amount"] or Decimal("0"),
            latest=latest,
        )
    }


# --- across partnerships ----------------------------------------------------------------


def visible_referrals(*, actor: Actor) -> QuerySet[Referral]:
    """Every referral the actor's organization may read: those of the partnerships it
    hosts, and those of the partnerships where it is the partner."""
    org = actor.organization
    return Referral.objects.filter(
        Q(partnership__host=org) | Q(partnership__partner=org)
    ).select_related("partnership__host", "partnership__partner", "submitted_by", "decided_by")


def org_referrals(*, actor: Actor, filters: ReferralFilters) -> QuerySet[Referral]:
    """The organization's list across partnerships (`filters.side` narrows to `host`, the
    partnerships it hosts, or `partner`, the referrals it registered)."""
    org = actor.organization
    qs = visible_referrals(actor=actor)
    if filters.side == Side.HOST:
        qs = qs.filter(partnership__host=org)
    elif filters.side == Side.PARTNER:
        qs = qs.filter(partnership__partner=org)
    return _filtered(qs, filters)


def host_referrals(*, actor: Actor, filters: ReferralFilters) -> QuerySet[Referral]:
    """The referrals of every partnership the actor's organization hosts."""
    return org_referrals(actor=actor, filters=ReferralFilters(**{**vars(filters), "side": "host"}))


def visible_referral(*, actor: Actor, code: str) -> tuple[Referral, str]:
    """One referral the organization may read and the side it reads it from; 404 otherwise."""
    referral = visible_referrals(actor=actor).filter(code=code).first()
    if referral is None:
        raise Http404("No such referral.")
    return referral, referral.partnership.side_of(actor.organization.pk)


def side_of(referral: Referral, actor: Actor) -> str:
    return referral.partnership.side_of(actor.organization.pk)


def known_accounts_for(*, actor: Actor, q: str = "") -> QuerySet[KnownAccount]:
    """The organization's own list of known accounts (every organization has its own)."""
    qs = KnownAccount.objects.filter(host=actor.organization).select_related("added_by")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q))
    return qs


def known_account_for(*, actor: Actor, code: str) -> KnownAccount:
    account = known_accounts_for(actor=actor).filter(code=code).first()
    if account is None:
        raise Http404("No such account.")
    return account
