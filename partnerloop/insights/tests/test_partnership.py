"""The partnership dashboard: figures against a hand-computed partnership, seen from each
side (the other side's private records never counted, shown or exported), quarters at
their boundaries, CSVs equal to the tables, tenancy, and a flat query count."""

from __future__ import annotations

import csv
import io
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
from partnerloop.insights.partnership import Quarter, partnership_dashboard, quarters_ending
from partnerloop.partnerships.models import Note, Partnership, Side
from partnerloop.plans.models import Milestone, Plan, PlanStep
from partnerloop.referrals.models import Referral

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
HOST_SECRET = "Host-only budget review"
PARTNER_SECRET = "Partner-only reseller talks"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def step(p: Partnership, plan: Plan, title: str, **fields: Any) -> PlanStep:
    values = {
        "phase": "start",
        "owner_side": "both",
        "side": Side.HOST,
        "visibility": "shared",
        "status": "open",
        **fields,
    }
    return PlanStep.objects.create(plan=plan, partnership=p, title=title, **values)


def activity(
    p: Partnership, title: str, day: date, side: str = Side.HOST, **fields: Any
) -> Activity:
    return Activity.objects.create(
        partnership=p, kind="campaign", title=title, happened_on=day, side=side, **fields
    )


def build(world: World) -> Partnership:
    """Northwind (host) × Acme (partner), on 10 Dec 2026 (quarters Q1–Q4 2026 shown).

    Plan (skipped steps never count):
      start:  s1 shared, partner's, done · s2 shared, host's, done
              s3 host-private, host's, open · s4 partner-private, partner's, open, overdue
      engage: s5 shared, both, open, due 20 Dec · s6 shared, partner's, open, overdue
              s7 shared, skipped
    Milestones: First meeting 15 Mar 2026, First revenue 20 Nov 2026.
    Activities and views (host / partner):
      a1 shared 5 Nov 2026: worked (3 leads, 1,000 pipeline) / mixed (2 leads, 500 revenue)
      a2 shared 10 Aug 2026: didn't / pending
      a3 host-private 6 Nov 2026: worked (100 leads, 9,999 revenue)
      a4 partner-private 1 Oct 2026: partner worked (7 leads)
      a5 shared 1 Nov 2025 (before the quarters shown): worked
    Referrals: r1 registered 2 Nov, accepted 3 Nov, won 1 Dec for 5,000 · r2 registered
      1 Aug, declined · r3 registered 29 Sep, accepted 2 Oct · r4 registered 2025, won
      10 Feb 2026 for 1,200.
    Commitments: host kept, missed, open due 1 Dec (late) · partner kept, kept, open.
    """
    p = world.partnership
    plan = Plan.objects.create(partnership=p)
    done = {"status": "done", "done_at": at(2026, 11, 3)}
    step(p, plan, "Intro call", owner_side="partner", **done)
    step(p, plan, "Send the deck", owner_side="host", **done)
    step(p, plan, HOST_SECRET, owner_side="host", visibility="private")
    step(
        p,
        plan,
        PARTNER_SECRET,
        owner_side="partner",
        side=Side.PARTNER,
        visibility="private",
        due_on=date(2026, 12, 1),
    )
    step(p, plan, "Joint webinar", phase="engage", due_on=date(2026, 12, 20))
    step(
        p,
        plan,
        "Train the sales team",
        phase="engage",
        owner_side="partner",
        due_on=date(2026, 11, 30),
    )
    step(p, plan, "Too big a step", phase="engage", status="skipped")
    Milestone.objects.create(
        partnership=p, key="first-meeting", title="First meeting", reached_on=date(2026, 3, 15)
    )
    Milestone.objects.create(
        partnership=p, key="first-revenue", title="First revenue", reached_on=date(2026, 11, 20)
    )

    a1 = activity(p, "Webinar", date(2026, 11, 5))
    Outcome.objects.create(
        activity=a1, side=Side.HOST, result="worked", leads=3, pipeline=Decimal("1000")
    )
    Outcome.objects.create(
        activity=a1, side=Side.PARTNER, result="mixed", leads=2, revenue=Decimal("500")
    )
    a2 = activity(p, "Newsletter", date(2026, 8, 10), side=Side.PARTNER)
    Outcome.objects.create(activity=a2, side=Side.HOST, result="didnt")
    Outcome.objects.create(activity=a2, side=Side.PARTNER, result="pending")
    a3 = activity(p, HOST_SECRET, date(2026, 11, 6), visibility="private")
    Outcome.objects.create(
        activity=a3, side=Side.HOST, result="worked", leads=100, revenue=Decimal("9999")
    )
    a4 = activity(p, PARTNER_SECRET, date(2026, 10, 1), side=Side.PARTNER, visibility="private")
    Outcome.objects.create(activity=a4, side=Side.PARTNER, result="worked", leads=7)
    a5 = activity(p, "Old campaign", date(2025, 11, 1))
    Outcome.objects.create(activity=a5, side=Side.HOST, result="worked")

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
    referral("No Co", at(2026, 8, 1), status="declined", decided_at=at(2026, 8, 2))
    referral(
        "Late Co", at(2026, 9, 29), status="accepted", decided_at=at(2026, 10, 2), stage="proposal"
    )
    referral(
        "Old Co",
        at(2025, 6, 1),
        status="accepted",
        decided_at=at(2025, 6, 5),
        stage="won",
        closed_on=date(2026, 2, 10),
        amount=Decimal("1200"),
    )
    for side, status, due in (
        (Side.HOST, "kept", date(2026, 10, 1)),
        (Side.HOST, "missed", date(2026, 10, 15)),
        (Side.HOST, "open", date(2026, 12, 1)),
        (Side.PARTNER, "kept", date(2026, 11, 10)),
        (Side.PARTNER, "kept", date(2026, 10, 1)),
        (Side.PARTNER, "open", date(2027, 1, 15)),
    ):
        Commitment.objects.create(
            partnership=p, side=side, what="w", due_on=due, status=status, recorded_side=side
        )
    for side, body in ((Side.HOST, HOST_SECRET), (Side.PARTNER, PARTNER_SECRET)):
        Note.objects.create(partnership=p, author=None, side=side, visibility="private", body=body)
    return p


def rows(dashboard: Any, key: str) -> list[list[Any]]:
    panel = dashboard.panel(key)
    assert panel is not None, key
    return [list(r) for r in panel.rows]


def test_quarters() -> None:
    q = Quarter.parse("2026q4")
    assert q == Quarter(2026, 4)
    assert (q.first_day, q.last_day) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q.next() == Quarter(2027, 1) and Quarter(2027, 1).previous() == q
    assert Quarter.of(date(2026, 3, 31)) == Quarter(2026, 1)
    assert Quarter.of(date(2026, 4, 1)) == Quarter(2026, 2)
    assert Quarter.parse("2026Q5") is None and Quarter.parse("") is None
    assert [x.key for x in quarters_ending(Quarter(2026, 1), 3)] == ["2025Q3", "2025Q4", "2026Q1"]


@time_machine.travel(NOW, tick=False)
def test_the_partner_sees_its_progress_outcomes_and_commitments(world: World) -> None:
    p = build(world)
    d = partnership_dashboard(partnership=p, side=Side.PARTNER)
    assert [q.key for q in d.quarters] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    # The host's private step is not counted; the partner's own private one is.
    assert rows(d, "phases") == [["Start", 2, 1, 67], ["Engage", 0, 2, 0]]
    assert rows(d, "steps") == [
        ["Acme Integrations", 1, 2, 2],
        ["Northwind Analytics", 1, 0, 0],
        ["Both sides together", 0, 1, 0],
    ]
    assert d.progress.current_phase == "start"
    assert rows(d, "milestones") == [
        ["First meeting", "2026-03-15"],
        ["First revenue", "2026-11-20"],
    ]
    zero = [0, 0, 0, 0]
    assert rows(d, "outcomes") == [
        ["Q1 2026", "Acme Integrations", *zero],
        ["Q1 2026", "Northwind Analytics", *zero],
        ["Q2 2026", "Acme Integrations", *zero],
        ["Q2 2026", "Northwind Analytics", *zero],
        ["Q3 2026", "Acme Integrations", 0, 0, 0, 1],
        ["Q3 2026", "Northwind Analytics", 0, 1, 0, 0],
        # a1 mixed and its own private a4 worked; the host's view of a1 only.
        ["Q4 2026", "Acme Integrations", 1, 0, 1, 0],
        ["Q4 2026", "Northwind Analytics", 1, 0, 0, 0],
    ]
    assert rows(d, "figures")[-2:] == [
        ["Q4 2026", "Acme Integrations", 9, 0, "0.00", "500.00"],
        ["Q4 2026", "Northwind Analytics", 3, 0, "1000.00", "0.00"],
    ]
    assert rows(d, "referrals") == [
        ["Q1 2026", 0, 0, 1, "1200.00"],
        ["Q2 2026", 0, 0, 0, "0.00"],
        ["Q3 2026", 2, 0, 0, "0.00"],
        ["Q4 2026", 1, 2, 1, "5000.00"],
    ]
    assert rows(d, "commitments") == [
        ["Acme Integrations", 2, 0, 1, 0, 100],
        ["Northwind Analytics", 1, 1, 1, 1, 50],
    ]
    score = {r[0]: r[1] for r in rows(d, "scorecard")}
    assert score["Activities done together"] == 1  # a1: a2 is older than 90 days
    assert score["Activities that worked"] == "50%"  # worked and mixed on a1
    assert score["Referrals registered"] == 2 and score["Referrals won"] == 1
    assert score["Amount won"] == "5000.00"
    assert score["Plan steps done"] == 2
    assert all(r[2] == "—" for r in rows(d, "scorecard"))  # no tier: no medians


@time_machine.travel(NOW, tick=False)
def test_the_host_sees_its_own_private_records_never_the_partners(world: World) -> None:
    p = build(world)
    d = partnership_dashboard(partnership=p, side=Side.HOST)
    assert rows(d, "phases") == [["Start", 2, 1, 67], ["Engage", 0, 2, 0]]
    assert rows(d, "steps") == [
        ["Northwind Analytics", 1, 1, 0],
        ["Acme Integrations", 1, 1, 1],
        ["Both sides together", 0, 1, 0],
    ]
    assert rows(d, "outcomes")[-2:] == [
        ["Q4 2026", "Northwind Analytics", 2, 0, 0, 0],
        ["Q4 2026", "Acme Integrations", 0, 0, 1, 0],
    ]
    assert rows(d, "figures")[-2:] == [
        ["Q4 2026", "Northwind Analytics", 103, 0, "1000.00", "9999.00"],
        ["Q4 2026", "Acme Integrations", 2, 0, "0.00", "500.00"],
    ]


def test_empty_partnership_has_empty_panels(world: World) -> None:
    d = partnership_dashboard(partnership=world.partnership, side=Side.PARTNER)
    for key in ("phases", "steps", "milestones", "outcomes", "figures", "referrals", "commitments"):
        assert rows(d, key) == [], key
    assert d.progress.current_phase == ""


@pytest.mark.parametrize(
    ("moment", "current"),
    [
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "2026Q4"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "2027Q1"),
    ],
)
def test_the_quarters_turn_at_midnight(world: World, moment: datetime, current: str) -> None:
    p = world.partnership
    a = activity(p, "New year", date(2027, 1, 1))
    Outcome.objects.create(activity=a, side=Side.HOST, result="worked")
    with time_machine.travel(moment, tick=False):
        d = partnership_dashboard(partnership=p, side=Side.PARTNER)
    assert d.quarters[-1].key == current
    # An activity of 1 Jan 2027 belongs to Q1 2027: not shown before that quarter starts.
    worked = [r for r in rows(d, "outcomes") if r[2]]
    assert worked == (
        [["Q1 2027", "Northwind Analytics", 1, 0, 0, 0]] if current == "2027Q1" else []
    )


# Pages, CSV and privacy ------------------------------------------------------------------


def url(world: World, org: Any, code: str | None = None, **query: str) -> str:
    path = reverse(
        "partnership_dashboard", kwargs={"org": org.code, "code": code or world.partnership.code}
    )
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def read_csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@time_machine.travel(NOW, tick=False)
def test_the_page_csv_and_privacy_for_the_partner(world: World) -> None:
    p = build(world)
    client = world.client("partner_user")
    response = client.get(url(world, world.partner))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("phases", "steps", "outcomes", "figures", "referrals", "commitments"):
        assert f'data-chart="chart-{key}"' in html, key
        assert f'id="chart-{key}"' in html, key  # its json_script configuration
    assert "First revenue" in html
    d = partnership_dashboard(partnership=p, side=Side.PARTNER)
    contents = [html]
    for panel in d.panels:
        response = client.get(url(world, world.partner, csv=panel.key))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        lines = read_csv(response)
        assert lines[0] == list(panel.columns)
        assert lines[1:] == [[str(c) for c in row] for row in panel.rows]
        contents.append("\n".join(",".join(line) for line in lines))
    everything = "\n".join(contents)
    assert HOST_SECRET not in everything
    assert "9999" not in everything and "103" not in everything  # the host's private activity
    assert client.get(url(world, world.partner, csv="nope")).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_host_page_never_counts_the_partners_private_records(world: World) -> None:
    build(world)
    client = world.client("host_owner")
    html = client.get(url(world, world.host)).content.decode()
    assert PARTNER_SECRET not in html
    figures = read_csv(client.get(url(world, world.host, csv="figures")))
    assert ["Q4 2026", "Acme Integrations", "2", "0", "0.00", "500.00"] in figures  # not 9 leads


def test_another_partnership_is_a_404(world: World) -> None:
    # Acme is not in Northwind's partnership with Globex; Initech is in none of Northwind's.
    partner = world.client("partner_user")
    assert partner.get(url(world, world.partner, world.other_partnership.code)).status_code == 404
    other_host = world.client("other_host")
    assert other_host.get(url(world, world.other_host_org)).status_code == 404
    csv_url = url(world, world.other_host_org, csv="phases")
    assert other_host.get(csv_url).status_code == 404


def grow(world: World, times: int) -> None:
    """More of everything the dashboard reads, on both sides."""
    p = world.partnership
    plan = Plan.objects.get_or_create(partnership=p)[0]
    for i in range(times):
        for side in (Side.HOST, Side.PARTNER):
            step(
                p,
                plan,
                f"step {i}",
                side=side,
                phase="prove",
                status="done",
                done_at=at(2026, 11, 1),
            )
            a = activity(p, f"a {i}", date(2026, 5 + i % 6, 1), side=side)
            Outcome.objects.create(activity=a, side=side, result="worked", leads=1)
            Commitment.objects.create(
                partnership=p,
                side=side,
                what="w",
                due_on=date(2026, 11, 1),
                status="kept",
                recorded_side=side,
            )
        Referral.objects.create(host=world.host, partnership=p, company=f"Co {i}")
        Milestone.objects.create(
            partnership=p, key=f"m{i}", title=f"M {i}", reached_on=date(2026, 6, 1)
        )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("persona", ["partner_user", "host_owner"])
def test_the_query_count_stays_flat(
    world: World, persona: str, django_assert_max_num_queries: Any
) -> None:
    build(world)
    client = world.client(persona)
    org = world.partner if persona == "partner_user" else world.host
    client.get(url(world, org))  # warm the session and the caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(world, org)).status_code == 200
        return len(queries)

    small = count()
    grow(world, 30)
    assert count() == small
    with django_assert_max_num_queries(18):
        client.get(url(world, org))
    with django_assert_max_num_queries(18):
        client.get(url(world, org, csv="outcomes"))


@time_machine.travel(NOW, tick=False)
def test_the_api_answers_the_same_rows(world: World) -> None:
    p = build(world)
    response = Client().get(
        f"/api/v1/insights/partnerships/{p.code}/dashboard",
        headers=headers_for(world, "partner_user"),
    )
    assert response.status_code == 200
    body = response.json()
    d = partnership_dashboard(partnership=p, side=Side.PARTNER)
    assert body["side"] == "partner" and body["current_phase"] == "start"
    assert [panel["key"] for panel in body["panels"]] == [panel.key for panel in d.panels]
    assert [panel["rows"] for panel in body["panels"]] == [
        [list(row) for row in panel.rows] for panel in d.panels
    ]
    assert "9999" not in response.content.decode()
    foreign = Client().get(
        f"/api/v1/insights/partnerships/{p.code}/dashboard",
        headers=headers_for(world, "other_partner"),
    )
    assert foreign.status_code == 404
