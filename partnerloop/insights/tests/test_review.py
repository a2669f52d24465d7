"""The quarterly review pack: shared records only, the identical pack for both sides, the
quarter chosen and its boundaries, the fit shown as far as the host shared it, the print
page's pieces, tenancy and a flat query count."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerloop.accountability.models import Commitment
from partnerloop.activities.models import Activity, Outcome
from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import GapAction, PartnershipFit
from partnerloop.insights.partnership import Quarter
from partnerloop.insights.review import quarter_for, review_pack
from partnerloop.partnerships.models import Note, Partnership, Side
from partnerloop.plans.models import Milestone, Plan, PlanStep
from partnerloop.referrals.models import Referral

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
Q4 = Quarter(2026, 4)
Q3 = Quarter(2026, 3)
SECRETS = {
    "host": "Host private: budget is tight",
    "partner": "Partner private: talking to a rival",
}


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def build(world: World) -> Partnership:
    """Northwind × Acme with shared records and a private one of each side of every kind.

    Shared steps: start (written 1 Sep) s1 done 30 Sep 23:59 (Q3), s2 done 1 Oct 00:00 (Q4),
      s3 open due 15 Dec (host's); engage (written 10 Dec) s4 open (both), no due date.
      Private steps (one each side, done in Q4) never count.
    Milestones: First meeting 30 Sep, First revenue 20 Nov.
    Activities in Q4: a1 shared — host worked (3 leads, 1,000 pipeline), partner mixed
      (500 revenue); a private one of each side with views that worked (999 leads).
    Commitments due in Q4: host kept, host missed, partner kept, partner open due 20 Dec;
      host open due 5 Jan 2027 (Q1: only in the next commitments). A private gap action
      (not yet a promise) never shows.
    Referrals: Won Co registered 2 Nov, accepted 3 Nov, won 1 Dec for 5,000; Maybe Co
      registered 28 Sep (Q3), accepted 2 Oct.
    """
    p = world.partnership
    plan = Plan.objects.create(partnership=p)

    def step(title: str, **fields: Any) -> None:
        values = {"phase": "start", "owner_side": "both", "side": Side.HOST, "status": "open"}
        PlanStep.objects.create(plan=plan, partnership=p, title=title, **{**values, **fields})

    step("Intro call", status="done", done_at=at(2026, 9, 30, 23, 59), owner_side="partner")
    step("Send the deck", status="done", done_at=at(2026, 10, 1, 0, 0), owner_side="host")
    step("Agree the targets", owner_side="host", due_on=date(2026, 12, 15))
    step("Joint webinar", phase="engage")
    # The start phase was planned in September; the engage step later.
    PlanStep.objects.filter(partnership=p, phase="start").update(created_at=at(2026, 9, 1))
    for side in (Side.HOST, Side.PARTNER):
        step(SECRETS[side], side=side, visibility="private", status="done", done_at=at(2026, 11, 1))
        step(SECRETS[side] + " (open)", side=side, visibility="private", due_on=date(2026, 12, 11))
    Milestone.objects.create(
        partnership=p, key="first-meeting", title="First meeting", reached_on=date(2026, 9, 30)
    )
    Milestone.objects.create(
        partnership=p, key="first-revenue", title="First revenue", reached_on=date(2026, 11, 20)
    )

    a1 = Activity.objects.create(
        partnership=p,
        kind="campaign",
        title="Webinar",
        happened_on=date(2026, 11, 5),
        side=Side.HOST,
    )
    Outcome.objects.create(
        activity=a1, side=Side.HOST, result="worked", leads=3, pipeline=Decimal("1000")
    )
    Outcome.objects.create(activity=a1, side=Side.PARTNER, result="mixed", revenue=Decimal("500"))
    for side in (Side.HOST, Side.PARTNER):
        private = Activity.objects.create(
            partnership=p,
            kind="meeting",
            title=SECRETS[side],
            happened_on=date(2026, 11, 6),
            side=side,
            visibility="private",
        )
        Outcome.objects.create(activity=private, side=side, result="worked", leads=999)
        Note.objects.create(
            partnership=p, author=None, side=side, visibility="private", body=SECRETS[side]
        )
    Note.objects.create(
        partnership=p, author=None, side=Side.HOST, visibility="shared", body="Shared hello"
    )

    for side, status, due in (
        (Side.HOST, "kept", date(2026, 10, 5)),
        (Side.HOST, "missed", date(2026, 11, 5)),
        (Side.PARTNER, "kept", date(2026, 11, 6)),
        (Side.PARTNER, "open", date(2026, 12, 20)),
        (Side.HOST, "open", date(2027, 1, 5)),
    ):
        Commitment.objects.create(
            partnership=p,
            side=side,
            what=f"{side} {status} {due}",
            due_on=due,
            status=status,
            recorded_side=side,
        )
    GapAction.objects.create(
        partnership=p, criterion_key="budget", kind="commitment", title=SECRETS["host"] + " gap"
    )

    def referral(company: str, submitted: datetime, **fields: Any) -> None:
        r = Referral.objects.create(host=world.host, partnership=p, company=company, **fields)
        Referral.objects.filter(pk=r.pk).update(submitted_at=submitted)

    referral(
        "Won Co",
        at(2026, 11, 2),
        status="accepted",
        decided_at=at(2026, 11, 3),
        stage="won",
        closed_on=date(2026, 12, 1),
        amount=Decimal("5000"),
    )
    referral("Maybe Co", at(2026, 9, 28), status="accepted", decided_at=at(2026, 10, 2))
    return p


def rows(pack: Any, key: str) -> list[list[Any]]:
    section = pack.section(key)
    assert section is not None, key
    return [list(r) for r in section.panel.rows]


@time_machine.travel(NOW, tick=False)
def test_the_pack_of_the_quarter(world: World) -> None:
    p = build(world)
    pack = review_pack(partnership=p, quarter=Q4)
    # Shared steps only: s2 done in Q4 (s1 a minute before it began), 2 of 3 by its end.
    assert rows(pack, "plan") == [["Start", 1, 2, 3, 67], ["Engage", 0, 0, 1, 0]]
    assert pack.current_phase == "Start"
    assert rows(pack, "milestones") == [["First revenue", "2026-11-20"]]
    assert rows(pack, "outcomes") == [
        ["Northwind Analytics", 1, 0, 0, 0, 100],
        ["Acme Integrations", 0, 0, 1, 0, 0],
    ]
    assert rows(pack, "figures") == [
        ["Northwind Analytics", 3, 0, "1000.00", "0.00"],
        ["Acme Integrations", 0, 0, "0.00", "500.00"],
    ]
    assert pack.section("outcomes").note.startswith("1 shared activity this quarter")
    assert rows(pack, "commitments") == [
        ["Northwind Analytics", 1, 1, 0, 0, 50],
        ["Acme Integrations", 1, 0, 1, 0, 100],
    ]
    assert rows(pack, "referrals") == [
        ["Registered", 1],
        ["Accepted", 2],
        ["Won", 1],
        ["Revenue won", "5000.00"],
    ]
    assert rows(pack, "referrals_won") == [["Won Co", "2026-12-01", "5000.00"]]
    assert rows(pack, "next_steps") == [
        ["Agree the targets", "Northwind Analytics", "2026-12-15"],
        ["Joint webinar", "Both", "—"],
    ]
    assert rows(pack, "next_commitments") == [
        ["partner open 2026-12-20", "Acme Integrations", "2026-12-20"],
        ["host open 2027-01-05", "Northwind Analytics", "2027-01-05"],
    ]
    # Bars of 0–100 figures, in steps of 5 (67 → 65).
    assert [r.bar for r in pack.section("plan").rows] == [65, 0]


@time_machine.travel(NOW, tick=False)
def test_the_previous_quarter(world: World) -> None:
    p = build(world)
    pack = review_pack(partnership=p, quarter=Q3)
    # s2 was planned but not done yet; the engage step did not exist.
    assert rows(pack, "plan") == [["Start", 1, 1, 3, 33]]
    assert rows(pack, "milestones") == [["First meeting", "2026-09-30"]]
    assert rows(pack, "referrals") == [
        ["Registered", 1],
        ["Accepted", 0],
        ["Won", 0],
        ["Revenue won", "0.00"],
    ]
    assert rows(pack, "outcomes") == [] and rows(pack, "commitments") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "2026Q4"),
        ("2026Q3", "2026Q3"),
        ("2026q2", "2026Q2"),
        ("nonsense", "2026Q4"),
        ("2027Q1", "2026Q4"),
    ],
)
def test_the_quarter_asked_for(text: str, expected: str) -> None:
    assert quarter_for(text, today=date(2026, 12, 10)).key == expected


@pytest.mark.parametrize(
    ("moment", "label"),
    [(at(2026, 12, 31, 23, 59), "Q4 2026"), (at(2027, 1, 1, 0, 0), "Q1 2027")],
)
def test_the_default_quarter_turns_at_midnight(world: World, moment: datetime, label: str) -> None:
    with time_machine.travel(moment, tick=False):
        response = world.client("partner_user").get(pack_url(world, world.partner))
    assert f"Quarterly business review · {label}" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_fit_shows_the_hosts_side_only_when_shared(world: World) -> None:
    p = world.partnership
    version = fit_services.ipp_create_from_template(actor=world.actor("host_owner"))
    fit = PartnershipFit.objects.create(
        partnership=p,
        version=version,
        ours=81,
        theirs=62,
        mutual=71,
        fit_score=71,
        band="medium",
        provisional=False,
        ours_shared=False,
    )
    pack = review_pack(partnership=p, quarter=Q4)
    assert rows(pack, "fit") == [
        ["Why Northwind Analytics fits Acme Integrations (answered by Acme Integrations)", 62]
    ]
    assert "keeps its own evaluation private" in pack.section("fit").note
    PartnershipFit.objects.filter(pk=fit.pk).update(ours_shared=True)
    pack = review_pack(partnership=p, quarter=Q4)
    assert [r[1] for r in rows(pack, "fit")] == [62, 81, 71, "Medium fit"]
    assert pack.section("fit").note == ""


# The page: identical for both sides, shared records only ---------------------------------


def pack_url(world: World, org: Any, code: str | None = None, quarter: str = "") -> str:
    path = reverse(
        "partnership_review", kwargs={"org": org.code, "code": code or world.partnership.code}
    )
    return path + (f"?quarter={quarter}" if quarter else "")


def pack_html(response: Any) -> str:
    match = re.search(r'<article id="review-pack".*?</article>', response.content.decode(), re.S)
    assert match, "no review pack on the page"
    return match.group(0)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("quarter", ["", "2026Q3"])
def test_both_sides_get_the_identical_pack_without_private_records(
    world: World, quarter: str
) -> None:
    build(world)
    host = world.client("host_owner").get(pack_url(world, world.host, quarter=quarter))
    partner = world.client("partner_user").get(pack_url(world, world.partner, quarter=quarter))
    assert host.status_code == partner.status_code == 200
    assert pack_html(host) == pack_html(partner)
    for response in (host, partner):
        page = response.content.decode()
        for secret in SECRETS.values():
            assert secret not in page
        assert "999" not in pack_html(response)  # the private activities' leads
    if not quarter:
        assert "Won Co" in pack_html(host) and "Agree the targets" in pack_html(host)


@time_machine.travel(NOW, tick=False)
def test_the_print_page(world: World) -> None:
    build(world)
    page = world.client("partner_user").get(pack_url(world, world.partner)).content.decode()
    assert "insights/review.css" in page and "insights/review.js" in page
    assert "data-print" in page and "Print / save as PDF" in page
    assert "<script>" not in page and "onclick" not in page  # the CSP allows no inline script
    assert 'value="2026Q4" selected' in page
    assert "bar-fill w-65" in page  # the Start phase, drawn without scripts


def test_another_partnership_is_a_404(world: World) -> None:
    assert (
        world.client("partner_user")
        .get(pack_url(world, world.partner, world.other_partnership.code))
        .status_code
        == 404
    )
    assert world.client("other_host").get(pack_url(world, world.other_host_org)).status_code == 404
    assert (
        world.client("other_partner").get(pack_url(world, world.other_partner_org)).status_code
        == 404
    )


def more(world: World, times: int) -> None:
    p = world.partnership
    plan = Plan.objects.get(partnership=p)
    for i in range(times):
        for side in (Side.HOST, Side.PARTNER):
            PlanStep.objects.create(
                plan=plan, partnership=p, title=f"s{i}", phase="prove", owner_side=side, side=side
            )
            a = Activity.objects.create(
                partnership=p,
                kind="meeting",
                title=f"a{i}",
                happened_on=date(2026, 11, 1),
                side=side,
            )
            Outcome.objects.create(activity=a, side=side, result="worked")
            Commitment.objects.create(
                partnership=p, side=side, what="w", due_on=date(2026, 12, 1), recorded_side=side
            )
        Referral.objects.create(
            host=world.host,
            partnership=p,
            company=f"C{i}",
            stage="won",
            closed_on=date(2026, 11, 1),
        )


@time_machine.travel(NOW, tick=False)
def test_the_query_count_stays_flat(world: World, django_assert_max_num_queries: Any) -> None:
    build(world)
    client = world.client("partner_user")
    client.get(pack_url(world, world.partner))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(pack_url(world, world.partner)).status_code == 200
        return len(queries)

    small = count()
    more(world, 30)
    assert count() == small
    with django_assert_max_num_queries(18):
        client.get(pack_url(world, world.partner))


@time_machine.travel(NOW, tick=False)
def test_the_api_answers_the_same_pack_to_both_sides(world: World) -> None:
    p = build(world)

    def get(persona: str, quarter: str = "") -> Any:
        return Client().get(
            f"/api/v1/insights/partnerships/{p.code}/review",
            {"quarter": quarter} if quarter else {},
            headers=headers_for(world, persona),
        )

    host, partner = get("host_owner"), get("partner_user")
    assert host.status_code == partner.status_code == 200
    assert host.json() == partner.json()
    body = partner.json()
    assert body["quarter"] == "2026Q4" and body["first_day"] == "2026-10-01"
    pack = review_pack(partnership=p, quarter=Q4)
    assert [s["rows"] for s in body["sections"]] == [
        [list(row) for row in panel.rows] for panel in pack.panels
    ]
    for secret in SECRETS.values():
        assert secret not in host.content.decode()
    assert get("partner_user", "2026Q3").json()["quarter"] == "2026Q3"
    assert get("other_host").status_code == 404
