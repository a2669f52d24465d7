"""The host dashboard against a hand-computed fixture.

Today is Monday 15 June 2026 (frozen); the default period is 90 days (from 17 March).

| partner | stage (since)       | tier   | type     | owner       | created | fit     | health   |
|---------|---------------------|--------|----------|-------------|---------|---------|----------|
| Acme    | active (20 May)     | gold   | referral | host_owner  | 1 Jan   | 80 high | 60       |
| Globex  | onboarding (10 Jan) | silver | reseller | —           | 1 Mar   | 50 med. | 30       |
| Hooli   | prospect (1 Apr)    | —      | referral | host_member | 1 Apr   | —       | —        |

Health (motivation/ability/prompt): Acme 70/60/65, Globex 30/50/40.

Plans (default playbook milestones: agreement_accepted [start], first_campaign [engage],
first_referral [prove]):

- Acme: steps done start 10 Jan, engage 1 Feb, prove 25 May (shared), and a grow step
  done 10 Jun that is the partner's private one (never counted); milestones agreement
  11 Jan, campaign 10 Feb, referral 25 May.
- Globex: step done start 5 Mar; milestone agreement 10 Mar.
- The other host's partnership has a milestone and a won referral: never counted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerloop.accounts.models import Organization
from partnerloop.activities.models import Activity, Outcome
from partnerloop.conftest import World
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import Evaluation, EvaluationStatus, PartnershipFit
from partnerloop.fit.tests.test_services import small_version
from partnerloop.health.models import PartnershipHealth
from partnerloop.insights import host, snapshots
from partnerloop.partnerships.models import Partnership, StageChange
from partnerloop.plans.models import Milestone, Plan, PlanStep, Playbook, PlaybookStep
from partnerloop.prompts.models import Prompt, PromptRule
from partnerloop.prompts.selectors import FOLLOWED_BY
from partnerloop.referrals.models import Referral

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
# The whole dashboard, nine panels, whatever the number of partnerships.
QUERY_BUDGET = 30
# A view served from a snapshot: the session, the membership, the owner filter's choices.
SNAPSHOT_QUERY_BUDGET = 6


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _fit(p: Partnership, version: Any, score: float, band: str) -> None:
    PartnershipFit.objects.update_or_create(
        partnership=p, defaults={"version": version, "fit_score": score, "band": band}
    )


def _health(p: Partnership, m: int, a: int, pr: int) -> None:
    PartnershipHealth.objects.create(
        partnership=p,
        motivation=m,
        ability=a,
        prompt=pr,
        overall=min(m, a, pr),
        diagnosis="",
        recommendation="keep_going",
        recommendation_text="",
        computed_at=NOW,
    )


def _step(p: Partnership, phase: str, done: date, *, side: str = "host", vis: str = "shared"):
    plan, _ = Plan.objects.get_or_create(partnership=p)
    return PlanStep.objects.create(
        plan=plan,
        partnership=p,
        phase=phase,
        title=f"{phase} step",
        owner_side="both",
        status="done",
        done_at=at(done),
        side=side,
        visibility=vis,
    )


def _referral(p: Partnership, submitted: date, status: str, stage: str = "new", **kw: Any):
    r = Referral.objects.create(
        host=p.host, partnership=p, company=f"Co {submitted}", status=status, stage=stage, **kw
    )
    Referral.objects.filter(pk=r.pk).update(submitted_at=at(submitted))
    return r


@pytest.fixture
def dash(world: World, frozen: None) -> World:
    acme, globex = world.partnership, world.other_partnership
    hooli = Partnership.objects.create(
        host=world.host,
        partner=Organization.objects.create(name="Hooli", domain="hooli.test"),
        host_owner=world.host_member,
    )
    for p, stage, since, tier, ptype, created in (
        (acme, "active", date(2026, 5, 20), "gold", "referral", date(2026, 1, 1)),
        (globex, "onboarding", date(2026, 1, 10), "silver", "reseller", date(2026, 3, 1)),
        (hooli, "prospect", date(2026, 4, 1), "", "referral", date(2026, 4, 1)),
    ):
        StageChange.objects.create(partnership=p, to_stage=stage, reason="r")
        Partnership.objects.filter(pk=p.pk).update(
            stage=stage,
            stage_changed_at=at(since),
            tier=tier,
            partner_type=ptype,
            created_at=at(created),
        )
    # Fit: version 1, then version 2 active (the previous one is 1); host checklists.
    v1 = small_version(world)
    signature = {c.key: c.signature() for c in v1.criteria.all()}
    for p, offer in ((acme, 5), (globex, 1)):
        Evaluation.objects.create(
            partnership=p,
            version=v1,
            side="host",
            status=EvaluationStatus.SUBMITTED,
            submitted_at=NOW,
            answers={
                "sponsor": {"value": "yes", "signature": signature["sponsor"]},
                "offer": {"value": offer, "signature": signature["offer"]},
            },
        )
    owner = world.actor("host_owner")
    v2 = fit_services.ipp_version_new_draft(actor=owner, based_on=v1)
    fit_services.ipp_version_activate(actor=owner, version=v2, change_note="Second")
    _fit(acme, v2, 80.0, "high")
    _fit(globex, v2, 50.0, "medium")
    PartnershipFit.objects.filter(partnership=hooli).delete()
    _health(acme, 70, 60, 65)
    _health(globex, 30, 50, 40)
    # The other host's partnership: fit, health, a milestone, a won referral, an activity.
    foreign = world.foreign_partnership
    _health(foreign, 90, 90, 90)
    Milestone.objects.create(
        partnership=foreign, key="agreement_accepted", title="x", reached_on=date(2026, 6, 1)
    )
    _referral(
        foreign,
        date(2026, 6, 1),
        "accepted",
        "won",
        amount=Decimal("9999"),
        closed_on=date(2026, 6, 2),
    )
    # Plans.
    playbook = Playbook.objects.create(host=world.host, name="Default", is_default=True)
    for key, phase, position, title in (
        ("agreement_accepted", "start", 0, "Agreement accepted"),
        ("first_campaign", "engage", 5, "First campaign"),
        ("first_referral", "prove", 7, "First referral"),
    ):
        PlaybookStep.objects.create(
            playbook=playbook,
            key=key,
            phase=phase,
            position=position,
            title=title,
            owner_side="both",
            is_milestone=True,
        )
    _step(acme, "start", date(2026, 1, 10))
    _step(acme, "engage", date(2026, 2, 1))
    _step(acme, "prove", date(2026, 5, 25))
    _step(acme, "grow", date(2026, 6, 10), side="partner", vis="private")
    _step(globex, "start", date(2026, 3, 5))
    for p, key, day in (
        (acme, "agreement_accepted", date(2026, 1, 11)),
        (acme, "first_campaign", date(2026, 2, 10)),
        (acme, "first_referral", date(2026, 5, 25)),
        (globex, "agreement_accepted", date(2026, 3, 10)),
    ):
        Milestone.objects.create(partnership=p, key=key, title=key, reached_on=day)
    # Activities: Acme's shared campaign (host worked, partner didn't), the partner's
    # private campaign (worked: never counted), Globex's old event (outside 90 days).
    shared = Activity.objects.create(
        partnership=acme, kind="campaign", title="c", happened_on=date(2026, 5, 1), side="host"
    )
    Outcome.objects.create(activity=shared, side="host", result="worked")
    Outcome.objects.create(activity=shared, side="partner", result="didnt")
    private = Activity.objects.create(
        partnership=acme,
        kind="campaign",
        title="p",
        happened_on=date(2026, 5, 2),
        side="partner",
        visibility="private",
    )
    Outcome.objects.create(activity=private, side="partner", result="worked")
    old = Activity.objects.create(
        partnership=globex,
        kind="joint_event",
        title="e",
        happened_on=date(2026, 1, 5),
        side="host",
    )
    Outcome.objects.create(activity=old, side="host", result="worked")
    # Referrals.
    _referral(
        acme,
        date(2026, 5, 2),
        "accepted",
        "won",
        amount=Decimal("1000"),
        closed_on=date(2026, 6, 5),
    )
    _referral(acme, date(2026, 6, 3), "accepted", "qualified", amount=Decimal("500"))
    _referral(
        acme,
        date(2025, 5, 10),
        "accepted",
        "won",
        amount=Decimal("300"),
        closed_on=date(2025, 12, 20),
    )
    _referral(globex, date(2026, 4, 15), "submitted")
    _referral(globex, date(2026, 2, 10), "declined")
    # Prompts: one cadence rule; two prompts in the period (one acted on), one before it.
    rule = PromptRule.objects.create(host=world.host, kind="cadence", name="Monthly", follow_days=7)
    for n, day, acted in (
        (1, date(2026, 5, 1), True),
        (2, date(2026, 6, 1), False),
        (3, date(2026, 1, 1), True),
    ):
        prompt = Prompt.objects.create(
            dedupe_key=f"k{n}",
            kind="cadence",
            rule=rule,
            partnership=acme,
            recipient=world.host_owner,
            organization=world.host,
            side="host",
            title="Check in",
        )
        Prompt.objects.filter(pk=prompt.pk).update(
            created_at=at(day), acted_at=at(day) + timedelta(days=1) if acted else None
        )
    world.hooli = hooli  # type: ignore[attr-defined]
    return world


def _panels(world: World, persona: str = "host_owner", **filters: Any) -> dict[str, Any]:
    dashboard = host.host_dashboard(
        actor=world.actor(persona), filters=host.HostFilters.from_query(filters)
    )
    return {p.key: p for p in dashboard.panels}


def test_stage_by_fit_band(dash: World) -> None:
    # columns: stage, high, medium, low, no fit, total, moved to it since 17 March
    assert _panels(dash)["stages"].rows == [
        ["Prospect", 0, 0, 0, 1, 1, 1],
        ["Onboarding", 0, 1, 0, 0, 1, 0],
        ["Active", 1, 0, 0, 0, 1, 1],
    ]


def test_fit_health_quadrant(dash: World) -> None:
    panel = _panels(dash)["quadrant"]
    assert panel.rows == [
        ["Acme Integrations", "Active", 80.0, "High fit", 60, "ability", "Fits and moves: grow it"],
        [
            "Globex Consulting",
            "Onboarding",
            50.0,
            "Medium fit",
            30,
            "motivation",
            "Weak fit, stuck: reconsider",
        ],
    ]
    acme_url = f"/o/{dash.host.code}/p/{dash.partnership.code}/"
    assert panel.links[0] == acme_url
    assert "1 without a fit score or a health score" in panel.description
    points = [pt for ds in panel.chart["data"]["datasets"] for pt in ds["data"] if "url" in pt]
    assert {"x": 80.0, "y": 60, "url": acme_url, "label": "Acme Integrations"} in points
    lines = [ds["label"] for ds in panel.chart["data"]["datasets"] if ds.get("showLine")]
    assert lines == ["High fit from 70", "Medium fit from 40", "Needs attention below 40"]


def test_funnel(dash: World) -> None:
    assert _panels(dash)["funnel"].rows == [
        ["Phase: Start", 2, 0, None],
        # from the start: Acme 10 days, Globex 9 days
        ["Milestone: Agreement accepted", 2, 0, 9.5],
        ["Phase: Engage", 1, 0, None],
        ["Milestone: First campaign", 1, 0, 30.0],  # 11 Jan → 10 Feb
        ["Phase: Prove", 1, 1, None],
        ["Milestone: First referral", 1, 1, 104.0],  # 10 Feb → 25 May
        ["Phase: Grow", 0, 0, None],  # the partner's private grow step does not count
    ]
    year = _panels(dash, days="365")["funnel"].rows
    assert year[0] == ["Phase: Start", 2, 2, None]


def test_stalls(dash: World) -> None:
    # Hooli: nothing done since it started on 1 April (75 days); Globex: last moved on
    # 10 March (97 days); Acme moved on 25 May (21 days): not stalled.
    assert _panels(dash)["stalls"].rows == [
        ["Nothing done yet", 1, 1, 75.0],
        ["Milestone: Agreement accepted", 1, 1, 97.0],
    ]


def test_prompt_effectiveness(dash: World) -> None:
    assert _panels(dash)["prompts"].rows == [
        ["Check-in or review cadence", 2, 1, 50.0, 7, FOLLOWED_BY["cadence"]]
    ]
    assert _panels(dash, days="365")["prompts"].rows[0][1:4] == [3, 2, 66.7]


def test_what_works(dash: World) -> None:
    assert _panels(dash)["what-works"].rows == [["Co-marketing campaign", 2, 1, 50.0]]
    assert _panels(dash, days="365")["what-works"].rows == [
        ["Joint event", 1, 1, 100.0],
        ["Co-marketing campaign", 2, 1, 50.0],
    ]


def test_referrals_by_month(dash: World) -> None:
    rows = {row[0]: row[1:] for row in _panels(dash)["referrals"].rows}
    assert sorted(rows) == list(rows) and len(rows) == 12
    assert min(rows) == "2025-07" and max(rows) == "2026-06"
    # waiting, new, qualified, proposal, won, lost, declined, revenue won
    zero = Decimal("0.00")
    assert rows["2025-12"] == [0, 0, 0, 0, 0, 0, 0, Decimal("300.00")]
    assert rows["2026-02"] == [0, 0, 0, 0, 0, 0, 1, zero]
    assert rows["2026-04"] == [1, 0, 0, 0, 0, 0, 0, zero]
    assert rows["2026-05"] == [0, 0, 0, 0, 1, 0, 0, zero]
    assert rows["2026-06"] == [0, 0, 1, 0, 0, 0, 0, Decimal("1000.00")]
    assert rows["2026-01"] == [0, 0, 0, 0, 0, 0, 0, zero]


def test_top_partners(dash: World) -> None:
    panel = _panels(dash)["top-partners"]
    assert panel.rows == [
        ["Acme Integrations", 2, 1, Decimal("1000.00"), Decimal("500.00")],
        ["Globex Consulting", 1, 0, Decimal("0.00"), Decimal("0.00")],
    ]


def test_ipp_test_active_against_previous(dash: World) -> None:
    rows = _panels(dash)["ipp-test"].rows
    assert [row[0] for row in rows] == [
        "Version 2 (active), all",
        "Version 2 (active), recent",
        "Version 2 (active), older",
        "Version 1 (previous), all",
        "Version 1 (previous), recent",
        "Version 1 (previous), older",
    ]
    # Acme (100) and Globex (75) are scored, both in the high band; both older than 90 days.
    assert [(row[1], row[4]) for row in rows] == [(2, 2), (0, 0), (2, 2)] * 2
    gold = _panels(dash, tier="gold")["ipp-test"].rows
    assert gold[0][1] == 1
    # Members do not run the IPP test.
    assert _panels(dash, persona="host_member")["ipp-test"].rows == []


def test_filters_narrow_every_panel(dash: World) -> None:
    gold = _panels(dash, tier="gold")
    assert gold["stages"].rows == [["Active", 1, 0, 0, 0, 1, 1]]
    assert [row[0] for row in gold["quadrant"].rows] == ["Acme Integrations"]
    assert gold["stalls"].rows == []
    assert [row[0] for row in gold["top-partners"].rows] == ["Acme Integrations"]
    assert gold["what-works"].rows == [["Co-marketing campaign", 2, 1, 50.0]]
    # The prompts are all Acme's (gold): the gold filter keeps them, another drops them.
    assert gold["prompts"].rows == _panels(dash)["prompts"].rows != []
    assert _panels(dash, tier="silver")["prompts"].rows == []
    no_tier = _panels(dash, tier="none")
    assert no_tier["stages"].rows == [["Prospect", 0, 0, 0, 1, 1, 1]]
    assert no_tier["funnel"].rows == []
    assert no_tier["what-works"].rows == []
    owner = _panels(dash, owner=str(dash.host_member.pk))
    assert [row[0] for row in owner["stages"].rows] == ["Prospect"]
    nobody = _panels(dash, owner="none")
    assert [row[0] for row in nobody["quadrant"].rows] == ["Globex Consulting"]
    resellers = _panels(dash, partner_type="reseller")
    assert [row[0] for row in resellers["top-partners"].rows] == ["Globex Consulting"]
    assert resellers["referrals"].rows[-1][1:] == [0] * 7 + [Decimal("0.00")]


def test_unknown_filter_values_fall_back_to_defaults() -> None:
    filters = host.HostFilters.from_query(
        {"tier": "diamond", "owner": "x", "partner_type": "?", "days": "7"}
    )
    assert filters == host.HostFilters()
    assert host.HostFilters.from_query({"tier": "gold", "days": "30"}).query() == (
        "tier=gold&days=30"
    )


def _csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_page_renders_every_panel_and_csv_equals_the_table(dash: World) -> None:
    client = dash.client("host_owner")
    url = reverse("insights_host", kwargs={"org": dash.host.code})
    page = client.get(url, {"tier": "gold"}).content.decode()
    assert [
        p.key
        for p in host.host_dashboard(
            actor=dash.actor("host_owner"), filters=host.HostFilters()
        ).panels
    ] == list(host.PANEL_KEYS)
    for key in host.PANEL_KEYS:
        assert f'id="panel-{key}"' in page
    assert 'href="?tier=gold&amp;csv=stages"' in page
    assert "Insights</a>" in page  # the navigation link
    response = client.get(url, {"tier": "gold", "csv": "stages"})
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    panel = _panels(dash, tier="gold")["stages"]
    assert rows[0] == list(panel.columns)
    assert rows[1:] == [[str(cell) for cell in row] for row in panel.rows]
    money = _csv(client.get(url, {"csv": "top-partners"}))
    assert money[1] == ["Acme Integrations", "2", "1", "1000.00", "500.00"]
    assert client.get(url, {"csv": "nope"}).status_code == 404


def test_a_partner_org_and_another_host_see_no_foreign_data(dash: World) -> None:
    # The partner organization hosts nothing: no panel, links to its partnerships.
    partner = host.host_dashboard(actor=dash.actor("partner_user"), filters=host.HostFilters())
    assert partner.hosts is False and partner.panels == []
    page = dash.client("partner_user").get(
        reverse("insights_host", kwargs={"org": dash.partner.code})
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Northwind Analytics" in html and "Acme Integrations</a>" not in html
    assert "Hooli" not in html
    # The other host sees its own partnership only (Acme there, with its own figures).
    other = _panels(dash, persona="other_host")
    assert [row[0] for row in other["stages"].rows] == ["Prospect"]
    assert other["quadrant"].rows == []  # health alone, no fit: not placed
    assert [row[0] for row in other["top-partners"].rows] == ["Acme Integrations"]
    assert other["top-partners"].rows[0][3] == Decimal("9999.00")
    # Non-members: 404, on the page and on a CSV.
    url = reverse("insights_host", kwargs={"org": dash.host.code})
    assert dash.client("other_host").get(url).status_code == 404
    assert dash.client("partner_user").get(url, {"csv": "stages"}).status_code == 404


def test_an_organization_hosting_nothing_gets_an_empty_state(world: World) -> None:
    response = world.client("other_partner").get(
        reverse("insights_host", kwargs={"org": world.other_partner_org.code})
    )
    # Globex partners with the host: a link to that partnership's dashboard.
    assert "Northwind Analytics" in response.content.decode()
    lonely = Organization.objects.create(name="Lonely", domain="lonely.test")
    from partnerloop.accounts.models import Membership

    Membership.objects.create(user=world.other_partner, organization=lonely, role="owner")
    html = (
        world.client("other_partner")
        .get(reverse("insights_host", kwargs={"org": lonely.code}))
        .content.decode()
    )
    assert "hosts no partnership" in html and "Add a partner" in html


def test_the_api_returns_the_panels_rows(dash: World) -> None:
    from partnerloop.api.tests.matrix import headers_for

    response = dash.client("anonymous").get(
        "/api/v1/insights/host", {"tier": "gold"}, headers=headers_for(dash, "host_owner")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["hosts"] is True and body["filters"]["tier"] == "gold"
    panels = {p["key"]: p for p in body["panels"]}
    assert panels["stages"]["rows"] == [["Active", 1, 0, 0, 0, 1, 1]]
    assert panels["top-partners"]["rows"][0][3] in ("1000.00", 1000.0)
    partner = dash.client("anonymous").get(
        "/api/v1/insights/host", headers=headers_for(dash, "partner_user")
    )
    assert partner.json()["panels"] == [] and partner.json()["hosts"] is False


def _grow(world: World, count: int) -> None:
    """`count` more partnerships of the host, each with fit, health, a plan step, a
    milestone, an activity with an outcome and a referral."""
    version = PartnershipFit.objects.filter(partnership=world.partnership).first().version
    for i in range(count):
        org = Organization.objects.create(name=f"Extra {i}", domain=f"extra{i}.test")
        p = Partnership.objects.create(host=world.host, partner=org, tier="gold")
        _fit(p, version, 60.0 + i % 30, "medium")
        _health(p, 50, 50, 50)
        _step(p, "start", date(2026, 5, 1))
        Milestone.objects.create(
            partnership=p, key="agreement_accepted", title="a", reached_on=date(2026, 5, 2)
        )
        a = Activity.objects.create(
            partnership=p, kind="meeting", title="m", happened_on=date(2026, 5, 3), side="host"
        )
        Outcome.objects.create(activity=a, side="host", result="worked")
        _referral(
            p, date(2026, 5, 4), "accepted", "won", amount=Decimal(100), closed_on=date(2026, 5, 20)
        )


def _count(world: World) -> int:
    """The queries of one view of the page when it computes its figures (no snapshot)."""
    cache.clear()
    client = world.client("host_owner")
    url = reverse("insights_host", kwargs={"org": world.host.code})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_is_flat(dash: World) -> None:
    """3 partnerships, then 30: exactly the same number of queries."""
    small = _count(dash)
    _grow(dash, 27)
    assert Partnership.objects.filter(host=dash.host).count() == 30
    assert _count(dash) == small


@pytest.mark.parametrize("extra", [0, 27])
def test_the_query_budget(dash: World, extra: int, django_assert_max_num_queries) -> None:
    _grow(dash, extra)
    with django_assert_max_num_queries(QUERY_BUDGET):
        host.host_dashboard(actor=dash.actor("host_owner"), filters=host.HostFilters())


def test_the_page_serves_a_snapshot_until_refreshed(dash: World) -> None:
    client = dash.client("host_owner")
    url = reverse("insights_host", kwargs={"org": dash.host.code})
    first = client.get(url).content.decode()
    assert "Figures as of" in first and "refresh=1" in first
    stages = _csv(client.get(url, {"csv": "stages"}))
    _grow(dash, 2)
    # Within the snapshot's life: the same figures, on the page and in the CSV.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).content.decode().count("Extra 0") == 0
    assert len(queries) <= SNAPSHOT_QUERY_BUDGET
    assert _csv(client.get(url, {"csv": "stages"})) == stages
    # Refresh now: recomputed, then back at the plain address.
    response = client.get(url, {"tier": "gold", "refresh": "1"})
    assert response.status_code == 302 and response["Location"] == f"{url}?tier=gold"
    assert "Extra 0" in client.get(url, {"tier": "gold"}).content.decode()
    assert "Extra 0" not in client.get(url).content.decode()  # other filters: own snapshot
    assert "Extra 0" in client.get(url, {"refresh": "1"}, follow=True).content.decode()


def test_a_view_reads_the_rendered_page_not_the_figures(dash: World, monkeypatch) -> None:
    client = dash.client("host_owner")
    url = reverse("insights_host", kwargs={"org": dash.host.code})
    first = client.get(url).content.decode()

    def no_figures(**kwargs: Any) -> None:
        raise AssertionError("a view of a rendered snapshot unpickled its figures")

    monkeypatch.setattr(snapshots, "host_snapshot", no_figures)
    # The same page but for the CSRF token, masked anew on every response.
    masked = re.compile(r'CSRFToken": "[^"]+"')
    assert masked.sub("", client.get(url).content.decode()) == masked.sub("", first)


def test_a_page_rendered_from_a_replaced_snapshot_is_never_shown(dash: World) -> None:
    actor, filters = dash.actor("host_owner"), host.HostFilters()
    late = snapshots.host_snapshot(actor=actor, filters=filters)
    fresh = snapshots.host_snapshot(actor=actor, filters=filters, refresh=True)
    # A slow view of the old snapshot stores its page after the refresh.
    snapshots.keep_page(actor=actor, filters=filters, snapshot=late, html="old figures")
    assert snapshots.cached_page(actor=actor, filters=filters) is None
    snapshots.keep_page(actor=actor, filters=filters, snapshot=fresh, html="new figures")
    page = snapshots.cached_page(actor=actor, filters=filters)
    assert page is not None and page.html == "new figures"


def test_snapshots_are_kept_apart_by_organization_and_role(dash: World) -> None:
    url = reverse("insights_host", kwargs={"org": dash.host.code})
    owner = dash.client("host_owner").get(url).content.decode()
    member = dash.client("host_member").get(url).content.decode()
    assert "Owners, admins and managers see the IPP test." not in owner
    assert "Owners, admins and managers see the IPP test." in member
    other = dash.client("other_host")
    other_url = reverse("insights_host", kwargs={"org": dash.other_host_org.code})
    # Both hosts partner with Acme; each sees only its own referral revenue from it.
    assert "1000.00" in owner and "9999.00" not in owner
    theirs = other.get(other_url).content.decode()
    assert "9999.00" in theirs and "1000.00" not in theirs


@override_settings(INSIGHTS_SNAPSHOT_SECONDS=0)
def test_without_snapshot_life_every_view_computes(dash: World) -> None:
    client = dash.client("host_owner")
    url = reverse("insights_host", kwargs={"org": dash.host.code})
    client.get(url)
    _grow(dash, 1)
    assert "Extra 0" in client.get(url).content.decode()
