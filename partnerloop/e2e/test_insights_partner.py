"""The partner's dashboard and the review pack in a real browser: the charts render from
the vendored Chart.js, a CSV download equals the table beside its chart, and the review
pack prints without the site's navigation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnerloop.accountability.models import Commitment
from partnerloop.accounts.models import Role
from partnerloop.activities.models import Activity, Outcome
from partnerloop.conftest import make_member, make_org
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.plans.models import Milestone, Plan, PlanStep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_partnership() -> Partnership:
    host = make_org("Northwind Analytics", "northwind.test")
    partner = make_org("Acme Integrations", "acme.test")
    make_member(host, "owner@northwind.test", Role.OWNER)
    make_member(partner, "partner@acme.test", Role.MEMBER)
    p = Partnership.objects.create(host=host, partner=partner)
    today = timezone.localdate()
    plan = Plan.objects.create(partnership=p)
    for title, phase, owner, status in (
        ("Intro call", "start", "partner", "done"),
        ("Send the deck", "start", "host", "done"),
        ("Joint webinar", "engage", "both", "open"),
    ):
        PlanStep.objects.create(
            plan=plan,
            partnership=p,
            title=title,
            phase=phase,
            owner_side=owner,
            side=Side.HOST,
            status=status,
            done_at=timezone.now() if status == "done" else None,
        )
    Milestone.objects.create(partnership=p, key="kick-off", title="Kick-off", reached_on=today)
    webinar = Activity.objects.create(
        partnership=p, kind="campaign", title="Webinar", happened_on=today, side=Side.HOST
    )
    Outcome.objects.create(activity=webinar, side=Side.HOST, result="worked", leads=4)
    Outcome.objects.create(
        activity=webinar, side=Side.PARTNER, result="mixed", revenue=Decimal("800")
    )
    for side, status in ((Side.HOST, "kept"), (Side.PARTNER, "kept"), (Side.PARTNER, "open")):
        Commitment.objects.create(
            partnership=p,
            side=side,
            what=f"A promise of the {side}",
            due_on=today + timedelta(days=7),
            status=status,
            recorded_side=side,
        )
    return p


def test_the_partner_reads_its_dashboard_and_the_review_pack(live_server, new_page) -> None:
    base = live_server.url
    p = make_partnership()
    page = new_page()
    log_in(page, base, "partner@acme.test")
    page.goto(f"{base}/o/{p.partner.code}/p/{p.code}/")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role(
        "heading", name="How Northwind Analytics and Acme Integrations are doing"
    ).wait_for()

    # Every panel with figures draws its chart from the vendored Chart.js.
    for key in ("phases", "steps", "outcomes", "figures", "commitments"):
        canvas = page.locator(f'canvas[data-chart="chart-{key}"]')
        assert canvas.count() == 1, key
        page.wait_for_function(
            "key => window.Chart && Chart.getChart(document.querySelector("
            "`canvas[data-chart='chart-${key}']`)) !== undefined",
            arg=key,
        )
        assert canvas.bounding_box()["height"] > 50, key

    # The table beside the commitments chart, and its CSV download.
    panel = page.locator("#panel-commitments")
    panel.get_by_text("Table", exact=True).click()
    table = [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in panel.locator("tbody tr").all()
    ]
    assert table == [
        ["Acme Integrations", "1", "0", "1", "0", "100"],
        ["Northwind Analytics", "1", "0", "0", "0", "100"],
    ]
    with page.expect_download() as info:
        panel.get_by_role("link", name="Download CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header = [h.inner_text().strip() for h in panel.locator("thead th").all()]
    assert lines[0] == header
    assert lines[1:] == table

    # The review pack, and what is left of the page when printed.
    page.get_by_role("button", name="Quarterly review pack").click()
    page.get_by_role("heading", name="Quarterly business review").wait_for()
    pack = page.locator("#review-pack")
    assert "Kick-off" in pack.inner_text() and "Joint webinar" in pack.inner_text()
    assert page.get_by_role("button", name="Print / save as PDF").is_visible()
    page.emulate_media(media="print")
    # Waits for the print styles to apply (an immediate read could come before them).
    expect(page.locator("body > header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print / save as PDF")).to_be_hidden()
    expect(pack).to_be_visible()
