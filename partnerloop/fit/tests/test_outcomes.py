"""The milestone and referral signals of the outcome score (hand-computed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from partnerloop.conftest import World
from partnerloop.fit.outcomes import outcome_scores
from partnerloop.partnerships.models import Partnership, Stage
from partnerloop.plans.services import milestone_record
from partnerloop.referrals.models import Referral, ReferralStage, ReferralStatus


def _referral(world: World, status: str, stage: str = ReferralStage.NEW, **extra) -> Referral:
    return Referral.objects.create(
        host=world.host,
        partnership=world.partnership,
        company=f"Acme {Referral.objects.count()}",
        status=status,
        stage=stage,
        decided_at=None if status == ReferralStatus.SUBMITTED else timezone.now(),
        **extra,
    )


def _score(world: World, now: datetime | None = None) -> float | None:
    p = Partnership.objects.get(pk=world.partnership.pk)
    return outcome_scores([p], now=now).get(p.pk)


def test_milestones_count_the_furthest_one_reached(world: World) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(stage=Stage.ACTIVE)
    # Active alone: 0.7.
    assert _score(world) == 0.7
    today = timezone.localdate()
    milestone_record(
        partnership=world.partnership, key="agreement_accepted", title="Agreed", reached_on=today
    )
    # (0.7 + 0.5 × 0.2) / 1.5 = 0.5333
    assert _score(world) == 0.5333
    milestone_record(
        partnership=world.partnership, key="first_revenue", title="First revenue", reached_on=today
    )
    # (0.7 + 0.5 × 1.0) / 1.5 = 0.8
    assert _score(world) == 0.8
    # As of yesterday, neither milestone had been reached.
    assert _score(world, now=timezone.now() - timedelta(days=1)) == 0.7


def test_a_milestone_of_the_hosts_own_playbook_counts_0_4(world: World) -> None:
    milestone_record(
        partnership=world.partnership, key="pilot_live", title="Pilot live", reached_on=date.today()
    )
    # Prospect 0 and 0.5 × 0.4: 0.2 / 1.5 = 0.1333
    assert _score(world) == 0.1333


def test_referrals_count_won_accepted_and_declined(world: World) -> None:
    # Waiting referrals say nothing: the prospect's stage alone.
    _referral(world, ReferralStatus.SUBMITTED)
    assert _score(world) == 0.0
    _referral(world, ReferralStatus.DECLINED)
    assert _score(world) == 0.0  # (0 + 0.5 × 0) / 1.5
    _referral(world, ReferralStatus.ACCEPTED, ReferralStage.LOST)
    # (0 + 0.5 × 0.5) / 1.5 = 0.1667
    assert _score(world) == 0.1667
    _referral(world, ReferralStatus.ACCEPTED, ReferralStage.WON, amount=1000)
    # (0 + 0.5 × 1) / 1.5 = 0.3333
    assert _score(world) == 0.3333
