"""Fairness: the rules at their boundaries, the report's figures from the database, handled
flags, privacy, and a query count that does not grow with partners."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from partnerloop.accountability import fairness, selectors, services
from partnerloop.accountability.models import FairnessFlagHandled, PartnerRequest
from partnerloop.accounts.models import Organization
from partnerloop.activities.models import Activity
from partnerloop.conftest import World
from partnerloop.partnerships.models import Partnership, Side, Stage, TimelineEvent, Visibility
from partnerloop.prompts.models import Event
from partnerloop.referrals.models import Referral

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
TODAY = date(2026, 12, 10)
WINDOW_START = datetime(2026, 9, 12, tzinfo=UTC)  # 90 days ending on 10 Dec


# The rules, on plain figures ---------------------------------------------------------------


def group(*figures: dict[str, Any]) -> fairness.PeerGroup:
    members = [
        fairness.PartnerFigures(i, f"c{i}", f"P{i}", "gold", "", **f) for i, f in enumerate(figures)
    ]
    return fairness.PeerGroup("tier:gold", "Gold tier", members)


def flagged(g: fairness.PeerGroup, metric: str) -> list[tuple[str, float, float, int]]:
    return [
        (f.partnership.name, f.figure, f.peer_median, f.group_size)
        for f in fairness.evaluate(g)
        if f.metric == metric
    ]


@pytest.mark.parametrize(
    ("metric", "values", "expected"),
    [
        # Fewer than half the median: exactly half is not flagged.
        ("touches", [4, 4, 4, 2], []),
        ("touches", [4, 4, 4, 1], [("P3", 1.0, 4.0, 4)]),
        # The median must be at least 2 (1 for reviews).
        ("touches", [1, 1, 1, 0], []),
        ("touches", [2, 2, 2, 0], [("P3", 0.0, 2.0, 4)]),
        ("resources", [2, 2, 1], []),
        ("resources", [3, 3, 1], [("P2", 1.0, 3.0, 3)]),
        ("reviews", [1, 1, 0], [("P2", 0.0, 1.0, 3)]),
        ("reviews", [0, 0, 1], []),
        # Groups under 3 never flag.
        ("touches", [10, 0], []),
    ],
)
def test_counting_rules_at_their_boundaries(
    metric: str, values: list[int], expected: list[tuple[str, float, float, int]]
) -> None:
    assert flagged(group(*({metric: v} for v in values)), metric) == expected


def test_response_rule_twice_the_median_and_above_target() -> None:
    def response(*hours: float | None, target: float = 24) -> fairness.PeerGroup:
        return group(*({"response_hours": h, "response_target": target} for h in hours))

    assert flagged(response(10, 10, 21), "response") == []  # > 2× median, within target
    assert flagged(response(10, 10, 25), "response") == [("P2", 25.0, 10.0, 3)]
    assert flagged(response(10, 10, 20, target=12), "response") == []  # exactly twice
    assert flagged(response(10, 10, 20.5, target=12), "response") == [("P2", 20.5, 10.0, 3)]
    # Only two with a figure: too few to compare.
    assert flagged(response(10, None, 99), "response") == []


def test_acceptance_rule_25_points_below_with_3_decided() -> None:
    def rates(*pairs: tuple[int, int]) -> fairness.PeerGroup:
        return group(*({"decided": d, "accepted": a} for d, a in pairs))

    # 75%, 75%, 50%: exactly 25 points below is flagged.
    assert flagged(rates((4, 3), (4, 3), (4, 2)), "acceptance") == [("P2", 0.5, 0.75, 3)]
    # 75%, 75%, 52%: 23 points.
    assert flagged(rates((4, 3), (4, 3), (25, 13)), "acceptance") == []
    # 0 of 2 decided has no rate: the group has two rates only.
    assert flagged(rates((4, 3), (4, 3), (2, 0)), "acceptance") == []


def test_peer_groups_by_tier_and_band_and_their_medians() -> None:
    members = [
        fairness.PartnerFigures(1, "a", "A", "gold", "high", touches=3),
        fairness.PartnerFigures(2, "b", "B", "gold", "", touches=5),
        fairness.PartnerFigures(3, "c", "C", "", "high", touches=1),
        fairness.PartnerFigures(4, "d", "D", "silver", "high", touches=0),
    ]
    groups = fairness.peer_groups(
        members, {"silver": "Silver", "gold": "Gold"}, {"high": "High fit", "low": "Low fit"}
    )
    assert [(g.key, g.label, g.size) for g in groups] == [
        ("tier:silver", "Silver tier", 1),
        ("tier:gold", "Gold tier", 2),
        ("band:high", "High fit", 3),
    ]
    band = groups[2]
    flags = fairness.evaluate(band)
    assert band.medians["touches"] == (3, 1.0)
    assert band.medians["response"] == (0, None)
    assert band.cells[0] == (3, "1")
    assert flags == []  # median 1 < 2


# The report, from the database ---------------------------------------------------------------


def partnership(world: World, name: str, tier: str = "gold", stage: str = Stage.ACTIVE) -> Any:
    org = Organization.objects.create(name=name, domain=f"{name.lower()}.test")
    return Partnership.objects.create(
        host=world.host, partner=org, tier=tier, stage=stage, host_owner=world.host_owner
    )


def touch(p: Partnership, when: datetime, **overrides: Any) -> None:
    values = {
        "partnership": p,
        "actor": overrides.pop("actor", p.host_owner),
        "side": Side.HOST,
        "visibility": Visibility.SHARED,
        "kind": "note",
        "summary": "A note",
        **overrides,
    }
    event = TimelineEvent.objects.create(**values)
    TimelineEvent.objects.filter(pk=event.pk).update(created_at=when)


def activity(p: Partnership, kind: str, on: date, side: str = Side.HOST) -> None:
    Activity.objects.create(
        partnership=p, kind=kind, title=kind, happened_on=on, side=side, visibility="shared"
    )


def review(p: Partnership, starts: datetime, status: str = "confirmed") -> None:
    Event.objects.create(
        partnership=p, kind="review", title="QBR", starts_at=starts, status=status, side=Side.HOST
    )


def referrals(p: Partnership, accepted: int, declined: int) -> None:
    for i in range(accepted + declined):
        Referral.objects.create(
            host=p.host,
            partnership=p,
            company=f"Co {i}",
            status="accepted" if i < accepted else "declined",
            decided_at=datetime(2026, 11, 1 + i, tzinfo=UTC),
            amount=Decimal("100"),
        )


def fair_world(world: World) -> dict[str, Partnership]:
    """Gold (active): A, B, C alike; D neglected on every count. Silver: E busy, F ignored,
    but a group of two is never compared. Ended gold G and the other host's partnerships
    stay out. Window: 12 Sep – 10 Dec 2026."""
    ps = {n: partnership(world, n) for n in "ABCD"}
    ps["E"] = partnership(world, "E", tier="silver")
    ps["F"] = partnership(world, "F", tier="silver")
    ps["G"] = partnership(world, "G", stage=Stage.ENDED)
    for name in "ABC":
        p = ps[name]
        for day in (1, 2, 3, 4):
            touch(p, datetime(2026, 11, day, 9, tzinfo=UTC))
        activity(p, "campaign", date(2026, 11, 5))
        activity(p, "enablement", date(2026, 11, 6))
        review(p, datetime(2026, 11, 20, 15, tzinfo=UTC))
        PartnerRequest.objects.create(
            partnership=p,
            kind="comment",
            subject_code="s",
            asked_at=datetime(2026, 11, 10, 9, tzinfo=UTC),
            answered_at=datetime(2026, 11, 10, 11, tzinfo=UTC),
        )
        referrals(p, accepted=3, declined=1)
    d = ps["D"]
    touch(d, datetime(2026, 11, 1, 9, tzinfo=UTC))
    # None of these is a touch: private, the partner's, bookkeeping, by nobody, too old.
    touch(d, datetime(2026, 11, 2, tzinfo=UTC), visibility=Visibility.PRIVATE)
    touch(d, datetime(2026, 11, 2, tzinfo=UTC), side=Side.PARTNER)
    touch(d, datetime(2026, 11, 2, tzinfo=UTC), kind="stage")
    touch(d, datetime(2026, 11, 2, tzinfo=UTC), actor=None)
    touch(d, datetime(2026, 9, 11, 23, tzinfo=UTC))
    # Not resources: logged by the partner, a meeting, before the window.
    activity(d, "campaign", date(2026, 11, 5), side=Side.PARTNER)
    activity(d, "meeting", date(2026, 11, 5))
    activity(d, "campaign", date(2026, 9, 11))
    # Not held: only proposed, or still to come.
    review(d, datetime(2026, 11, 20, tzinfo=UTC), status="proposed")
    review(d, datetime(2026, 12, 10, 15, tzinfo=UTC))
    PartnerRequest.objects.create(
        partnership=d, kind="comment", subject_code="s", asked_at=datetime(2026, 12, 8, tzinfo=UTC)
    )
    referrals(d, accepted=1, declined=3)
    for day in range(1, 9):
        touch(ps["E"], datetime(2026, 11, day, tzinfo=UTC))
    touch(ps["G"], datetime(2026, 11, 1, tzinfo=UTC))
    return ps


@time_machine.travel(NOW, tick=False)
def test_fairness_report_figures_and_flags(world: World) -> None:
    ps = fair_world(world)
    report = selectors.fairness_report(host=world.host, today=TODAY)
    assert (report.window.first_day, report.window.start) == (date(2026, 9, 12), WINDOW_START)
    by_code = {p.code: p for p in report.partnerships}
    # Only working stages: A–F (Acme and Globex are prospects, G has ended).
    assert {p.name for p in report.partnerships} == {"A", "B", "C", "D", "E", "F"}
    a, d = by_code[ps["A"].code], by_code[ps["D"].code]
    assert (a.touches, a.resources, a.reviews, a.response_hours, a.decided, a.accepted) == (
        4,
        2,
        1,
        2.0,
        4,
        3,
    )
    assert (d.touches, d.resources, d.reviews, d.decided, d.accepted) == (1, 0, 0, 4, 1)
    assert (d.response_hours, d.response_target) == (60.0, 24.0)  # waiting since 8 Dec 00:00
    assert d.acceptance == 0.25 and by_code[ps["E"].code].touches == 8
    flags = [
        (f.partnership.name, f.metric, f.group, f.figure, f.peer_median, f.group_size)
        for f in report.flags
    ]
    assert flags == [
        ("D", "acceptance", "tier:gold", 0.25, 0.75, 4),
        ("D", "resources", "tier:gold", 0.0, 2.0, 4),
        ("D", "response", "tier:gold", 60.0, 2.0, 4),
        ("D", "reviews", "tier:gold", 0.0, 1.0, 4),
        ("D", "touches", "tier:gold", 1.0, 4.0, 4),
    ]
    assert [g.key for g in report.groups] == ["tier:silver", "tier:gold"]
    assert all(f.is_open for f in report.flags)


@time_machine.travel(NOW, tick=False)
def test_handled_flags_and_when_they_reopen(world: World) -> None:
    ps = fair_world(world)
    d = ps["D"]
    owner = world.actor("host_owner")
    services.fairness_flag_handle(
        actor=owner, partnership=d, metric="touches", group="tier:gold", note="QBR booked"
    )
    # Handled on the first day of the window still counts; the day before, it does not.
    FairnessFlagHandled.objects.create(
        host=world.host,
        partnership=d,
        metric="reviews",
        group="tier:gold",
        note="Old news",
        handled_by=world.host_owner,
        handled_at=WINDOW_START - timedelta(seconds=1),
    )
    FairnessFlagHandled.objects.create(
        host=world.host,
        partnership=d,
        metric="resources",
        group="tier:gold",
        note="Sent the kit",
        handled_by=world.host_owner,
        handled_at=WINDOW_START,
    )
    report = selectors.fairness_report(host=world.host, today=TODAY)
    handled = {f.metric: f.handled for f in report.flags if f.handled}
    assert set(handled) == {"touches", "resources"}
    assert handled["touches"].note == "QBR booked"
    assert handled["touches"].handled_by == "owner@northwind.test"
    assert [f.metric for f in report.open_flags] == ["acceptance", "response", "reviews"]
    assert report.open_count_of() == {d.pk: 3}
    # The handling is the host's: a private line in its own timeline.
    line = TimelineEvent.objects.filter(partnership=d, kind="fairness").get()
    assert (line.side, line.visibility) == (Side.HOST, Visibility.PRIVATE)


def test_mark_handled_validation_and_roles(world: World) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(tier="gold")
    world.partnership.refresh_from_db()
    owner = world.actor("host_owner")
    with pytest.raises(ValidationError) as exc:
        services.fairness_flag_handle(
            actor=owner, partnership=world.partnership, metric="mood", group="band:high", note=""
        )
    assert set(exc.value.message_dict) == {"metric", "group", "note"}
    with pytest.raises(PermissionDenied):
        services.fairness_flag_handle(
            actor=world.actor("host_member"),
            partnership=world.partnership,
            metric="touches",
            group="tier:gold",
            note="x",
        )
    with pytest.raises(PermissionDenied):
        services.fairness_flag_handle(
            actor=world.actor("partner_user"),
            partnership=world.partnership,
            metric="touches",
            group="tier:gold",
            note="x",
        )
    assert not FairnessFlagHandled.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_page_csv_and_that_partners_never_reach_it(world: World) -> None:
    ps = fair_world(world)
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/accountability/fairness/"
    body = client.get(url).content.decode()
    assert "Open flags <small>(5)</small>" in body
    assert "<strong>1</strong> against a peer median of 4" in body
    assert (
        "Median response <strong>60 h</strong> against a peer median of 2 h (target 24 h)" in body
    )
    assert (
        "<strong>25%</strong> of referrals accepted (1 of 4) against a peer median of 75%" in body
    )
    response = client.post(
        f"{url}{ps['D'].code}/handled/",
        {"metric": "touches", "group": "tier:gold", "note": "Weekly call from now on"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?days=90")
    body = client.get(url).content.decode()
    assert "Open flags <small>(4)</small>" in body and "Weekly call from now on" in body
    csv = client.get(url + "export.csv").getvalue().decode().lstrip("\ufeff").splitlines()
    assert csv[0].startswith("partner,code,tier,fit band,touches")
    row_d = next(line for line in csv if line.startswith("D,"))
    assert row_d.startswith(f"D,{ps['D'].code},gold,,1,0,0,60.0,4,25,")
    assert "Touches in Gold tier: 1 vs median 4 of 4 (handled: Weekly call from now on)" in row_d
    # The partner side: the host's page is a 404; its own organization's report is its own.
    partner = world.client("partner_user")
    assert partner.get(url).status_code == 404
    assert partner.post(f"{url}{ps['D'].code}/handled/", {"note": "x"}).status_code == 404
    own = partner.get(f"/o/{world.partner.code}/accountability/fairness/").content.decode()
    assert "No partnership in onboarding, active or strategic stage" in own
    assert ps["D"].code not in own
    # In a workspace the partner gets no link to fairness.
    ws = partner.get(f"/o/{world.partner.code}/p/{world.partnership.code}/").content.decode()
    assert "accountability/fairness" not in ws


@time_machine.travel(NOW, tick=False)
def test_the_report_takes_the_same_queries_for_120_partnerships(
    world: World, django_assert_max_num_queries: Any
) -> None:
    def grow(start: int, count: int) -> None:
        orgs = Organization.objects.bulk_create(
            Organization(name=f"Bulk {i}", domain=f"bulk{i}.test")
            for i in range(start, start + count)
        )
        made = Partnership.objects.bulk_create(
            Partnership(
                host=world.host,
                partner=o,
                code=f"b{i:06}",
                stage=Stage.ACTIVE,
                tier=("gold", "silver", "platinum")[i % 3],
            )
            for i, o in zip(range(start, start + count), orgs, strict=True)
        )
        TimelineEvent.objects.bulk_create(
            TimelineEvent(
                partnership=p,
                actor=world.host_owner,
                side=Side.HOST,
                visibility=Visibility.SHARED,
                kind="note",
                summary="n",
            )
            for i, p in enumerate(made)
            for _ in range(i % 5)
        )
        Activity.objects.bulk_create(
            Activity(
                partnership=p,
                kind="campaign",
                title="c",
                happened_on=date(2026, 11, 1),
                side=Side.HOST,
            )
            for p in made
        )
        PartnerRequest.objects.bulk_create(
            PartnerRequest(
                partnership=p, kind="comment", subject_code="s", asked_at=NOW - timedelta(hours=i)
            )
            for i, p in enumerate(made)
        )

    grow(0, 6)
    with django_assert_max_num_queries(8):
        small = selectors.fairness_report(host=world.host, today=TODAY)
    grow(6, 120)
    with django_assert_max_num_queries(8):
        large = selectors.fairness_report(host=world.host, today=TODAY)
    assert (len(small.partnerships), len(large.partnerships)) == (6, 126)
    assert large.flags  # a fifth of them have no touch at all (median 2)
    client = world.client("host_owner")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page:
        assert client.get(f"/o/{world.host.code}/accountability/fairness/").status_code == 200
    grow(126, 60)
    with django_assert_max_num_queries(len(page.captured_queries)):
        client.get(f"/o/{world.host.code}/accountability/fairness/")
