"""Plans in a real browser: the partner marks steps done, the host sees them, and a
milestone done shows the celebration to both sides."""

from __future__ import annotations

import pytest

from partnerloop.accounts.models import Role
from partnerloop.conftest import make_member, make_org
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership
from partnerloop.plans.models import Milestone, PlanStep, StepStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_works_the_plan_and_both_sides_celebrate(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    make_member(host, "owner@northwind.test", Role.OWNER)
    make_member(partner_org, "partner@acme.test", Role.MEMBER)
    partnership = Partnership.objects.create(host=host, partner=partner_org)

    # The host starts the plan from its workspace.
    page = new_page()
    log_in(page, base, "owner@northwind.test")
    host_ws = f"{base}/o/{host.code}/p/{partnership.code}/"
    page.goto(host_ws)
    page.get_by_role("button", name="Start the plan").click()
    page.get_by_text("0 of 12 steps done").wait_for()
    # MAP health as the host sees it before the partner does anything.
    motivation_before = int(page.locator("#health-motivation").get_attribute("value"))

    # The partner marks the intro call done, with evidence.
    partner = new_page()
    log_in(partner, base, "partner@acme.test")
    partner_ws = f"{base}/o/{partner_org.code}/p/{partnership.code}/"
    partner.goto(partner_ws)
    intro = PlanStep.objects.get(partnership=partnership, key="intro_call")
    item = partner.locator(f"#step-{intro.code}")
    item.get_by_label("Evidence for “Intro call” (optional)").fill("Call notes in the drive")
    item.get_by_role("button", name="Mark “Intro call” done").click()
    partner.get_by_text("Done: Intro call", exact=True).wait_for()
    assert partner.locator(f"#step-{intro.code}").get_attribute("data-status") == "done"

    # The host sees it done, by the partner, with the evidence.
    page.reload()
    host_item = page.locator(f"#step-{intro.code}")
    assert host_item.get_attribute("data-status") == "done"
    assert "by Acme Integrations" in host_item.inner_text()
    assert "Call notes in the drive" in host_item.inner_text()
    page.get_by_text("1 of 12 steps done").wait_for()
    # ...and the health change: the partner's activity lifts motivation.
    motivation_after = int(page.locator("#health-motivation").get_attribute("value"))
    assert motivation_after > motivation_before, (motivation_before, motivation_after)

    # A milestone step done: both sides see the celebration.
    agreement = PlanStep.objects.get(partnership=partnership, key="agreement_accepted")
    partner.locator(f"#step-{agreement.code}").get_by_role(
        "button", name="Mark “Agreement accepted” done"
    ).click()
    banner = partner.locator(".celebration")
    banner.wait_for()
    assert "Agreement accepted reached on" in banner.inner_text()
    assert "celebrate it together" in banner.inner_text()
    page.reload()
    assert "Agreement accepted reached on" in page.locator(".celebration").inner_text()
    assert Milestone.objects.filter(partnership=partnership, key="agreement_accepted").exists()
    intro.refresh_from_db()
    assert intro.status == StepStatus.DONE

    # Make it tinier: the partner splits the first campaign into two smaller steps.
    campaign = PlanStep.objects.get(partnership=partnership, key="first_campaign")
    partner.goto(partner_ws)
    partner.locator(f"#step-{campaign.code}").get_by_role("link", name="Make it tinier").click()
    partner.get_by_label("Smaller step 1").fill("Pick the audience")
    partner.get_by_label("Smaller step 2").fill("Write the post")
    partner.get_by_role("button", name="Make it tinier").click()
    partner.get_by_text("Made tinier: 2 smaller steps.", exact=True).wait_for()
    assert partner.locator("#plan").get_by_text("Pick the audience", exact=True).count() == 1
    assert PlanStep.objects.filter(split_from=campaign).count() == 2
