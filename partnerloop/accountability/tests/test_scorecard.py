"""The partner scorecard: its own figures (shared records only) and the anonymised medians
of its tier, which never identify a partner — tiers of 1, 2, 4 and exactly 5 other partners."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import time_machine

from partnerloop.accountability import selectors
from partnerloop.accountability.models import Commitment
from partnerloop.accounts.models import Organization
from partnerloop.activities.models import Activity, Outcome
from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.partnerships.models import Partnership, Side, Stage
from partnerloop.plans.models import Plan, PlanStep
from partnerloop.referrals.models import Referral

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)


def own_world(world: World) -> Partnership:
    """Acme (gold, active), over 12 Sep – 10 Dec:

    - activities: 3 shared in the window (a private one and an older one do not count);
    - views: worked, worked, didn't (a pending view and views on the others do not count);
    - referrals: 3 registered, 2 accepted, 1 won for 5,000 (one won in August does not count);
    - promises of the partner due in the window: 1 kept, 1 missed, 1 open (the host's too);
    - plan steps done: 2 shared (a private one does not count).
    """
    p = world.partnership
    Partnership.objects.filter(pk=p.pk).update(tier="gold", stage=Stage.ACTIVE)
    p.refresh_from_db()

    def act(day: date, visibility: str = "shared") -> Activity:
        return Activity.objects.create(
            partnership=p,
            kind="campaign",
            title="x",
            happened_on=day,
            side=Side.HOST,
            visibility=visibility,
        )

    a1, a2, a3 = (act(date(2026, 11, d)) for d in (1, 2, 3))
    private, old = act(date(2026, 11, 4), "private"), act(date(2026, 9, 1))
    for activity, side, result in (
        (a1, Side.HOST, "worked"),
        (a1, Side.PARTNER, "worked"),
        (a2, Side.HOST, "didnt"),
        (a3, Side.PARTNER, "pending"),
        (private, Side.HOST, "worked"),
        (old, Side.HOST, "didnt"),
    ):
        Outcome.objects.create(activity=activity, side=side, result=result)
    won = datetime(2026, 11, 2, tzinfo=UTC)
    Referral.objects.create(
        host=world.host,
        partnership=p,
        company="Won Co",
        status="accepted",
        decided_at=won,
        stage="won",
        closed_on=date(2026, 11, 20),
        amount=Decimal("5000"),
    )
    Referral.objects.create(
        host=world.host, partnership=p, company="Open Co", status="accepted", decided_at=won
    )
    Referral.objects.create(host=world.host, partnership=p, company="New Co")
    august = Referral.objects.create(
        host=world.host,
        partnership=p,
        company="Old Co",
        status="accepted",
        decided_at=datetime(2026, 7, 1, tzinfo=UTC),
        stage="won",
        closed_on=date(2026, 8, 1),
        amount=Decimal("999"),
    )
    Referral.objects.filter(pk=august.pk).update(submitted_at=datetime(2026, 6, 1, tzinfo=UTC))
    for side, status in (
        (Side.PARTNER, "kept"),
        (Side.PARTNER, "missed"),
        (Side.PARTNER, "open"),
        (Side.HOST, "kept"),
    ):
        Commitment.objects.create(
            partnership=p,
            side=side,
            what="w",
            due_on=date(2026, 11, 15),
            status=status,
            recorded_side=side,
        )
    plan = Plan.objects.create(partnership=p)
    for visibility in ("shared", "shared", "private"):
        PlanStep.objects.create(
            plan=plan,
            partnership=p,
            phase="start",
            title="s",
            owner_side="both",
            side=Side.HOST,
            status="done",
            visibility=visibility,
            done_at=datetime(2026, 11, 5, tzinfo=UTC),
        )
    return p


def peer(world: World, name: str, activities: int = 0, **extra: Any) -> Partnership:
    org = Organization.objects.create(name=name, domain=f"{name.lower()}.test")
    values = {"tier": "gold", "stage": Stage.ACTIVE, **extra}
    p = Partnership.objects.create(host=world.host, partner=org, **values)
    Activity.objects.bulk_create(
        Activity(
            partnership=p, kind="meeting", title="m", happened_on=date(2026, 11, 1), side="host"
        )
        for _ in range(activities)
    )
    return p


def values(card: selectors.Scorecard) -> dict[str, Any]:
    return {line.key: line.value for line in card.lines}


def medians(card: selectors.Scorecard) -> dict[str, Any]:
    return {line.key: line.peer_median for line in card.lines}


@time_machine.travel(NOW, tick=False)
def test_own_figures_count_shared_records_in_the_window(world: World) -> None:
    card = selectors.scorecard(partnership=own_world(world))
    assert values(card) == {
        "activities": 3,
        "worked_share": 0.6667,
        "referrals_registered": 3,
        "referrals_accepted": 2,
        "referrals_won": 1,
        "won_amount": Decimal("5000"),
        "promises_kept": 0.5,
        "steps_done": 2,
    }


@time_machine.travel(NOW, tick=False)
def test_a_tier_of_one_or_two_shows_no_median_and_no_peer(world: World) -> None:
    p = own_world(world)
    # Not peers: another host's gold partner, an ended one, a silver one.
    foreign = Partnership.objects.get(pk=world.foreign_partnership.pk)
    Partnership.objects.filter(pk=foreign.pk).update(tier="gold", stage=Stage.ACTIVE)
    peer(world, "Ended Gold", activities=4, stage=Stage.ENDED)
    peer(world, "Silver One", activities=4, tier="silver")
    alone = selectors.scorecard(partnership=p)
    assert not alone.comparable and all(m is None for m in medians(alone).values())
    assert "too few partners in this tier" in alone.reason
    # A tier of two: the other partner's figures would be the median; none is shown.
    other = peer(world, "Zephyr Labs", activities=7)
    Referral.objects.create(
        host=world.host,
        partnership=other,
        company="Big",
        status="accepted",
        decided_at=datetime(2026, 11, 2, tzinfo=UTC),
        stage="won",
        closed_on=date(2026, 11, 3),
        amount=Decimal("987654"),
    )
    pair = selectors.scorecard(partnership=p)
    assert not pair.comparable and all(m is None for m in medians(pair).values())
    for persona, org in (("partner_user", world.partner), ("host_owner", world.host)):
        page = world.client(persona).get(f"/o/{org.code}/p/{p.code}/scorecard/")
        text = page.content.decode()
        assert page.status_code == 200
        assert "too few partners in this tier to compare without identifying anyone" in text
        assert "Median of the tier" not in text
        assert "Zephyr" not in text and "987654" not in text
    api = world.client("anonymous").get(
        f"/api/v1/accountability/partnerships/{p.code}/scorecard",
        headers=headers_for(world, "partner_user"),
    )
    body = api.json()
    assert body["comparable"] is False and "987654" not in json.dumps(body)
    assert all(line["peer_median"] is None for line in body["lines"])
    assert not {"peers", "size", "count"} & set(body)


@time_machine.travel(NOW, tick=False)
def test_four_other_partners_are_still_too_few(world: World) -> None:
    p = own_world(world)
    for i in range(4):
        peer(world, f"Peer {i}", activities=i)
    assert not selectors.scorecard(partnership=p).comparable


@time_machine.travel(NOW, tick=False)
def test_exactly_five_other_partners_give_medians(world: World) -> None:
    p = own_world(world)
    peers = [peer(world, f"Peer {i}", activities=n) for i, n in enumerate((0, 1, 2, 3, 10))]
    # Views on four of the five peers only: worked, worked, didn't, worked → 1, 1, 0, 1.
    for other, result in zip(peers[1:], ("worked", "worked", "didnt", "worked"), strict=True):
        Outcome.objects.create(activity=other.activities.first(), side=Side.HOST, result=result)
    card = selectors.scorecard(partnership=p)
    assert card.comparable and card.reason == ""
    m = medians(card)
    assert m["activities"] == 2.0  # 0, 1, 2, 3, 10
    assert m["worked_share"] is None  # only four peers have a view
    assert m["won_amount"] == 0.0 and m["referrals_registered"] == 0.0
    assert m["promises_kept"] is None
    page = world.client("partner_user").get(f"/o/{world.partner.code}/p/{p.code}/scorecard/")
    text = page.content.decode()
    assert "Median of the tier" in text and "too few to compare" in text
    assert not any(f"Peer {i}" in text for i in range(5))
    # The API gives the same medians, and the host's page the same figures.
    api = world.client("anonymous").get(
        f"/api/v1/accountability/partnerships/{p.code}/scorecard",
        headers=headers_for(world, "partner_user"),
    )
    lines = {line["key"]: line for line in api.json()["lines"]}
    assert lines["activities"] == {
        "key": "activities",
        "label": "Activities done together",
        "unit": "count",
        "value": 3.0,
        "peer_median": 2.0,
    }
    assert lines["won_amount"]["value"] == 5000.0


def test_no_tier_no_comparison(world: World) -> None:
    card = selectors.scorecard(partnership=world.partnership)
    assert not card.comparable and "no tier yet" in card.reason
