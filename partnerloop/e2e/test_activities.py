"""Activities in a real browser: the host logs one and says it worked, the partner says it
didn't, and the host sees the disagreement."""

from __future__ import annotations

import pytest

from partnerloop.accounts.models import Role
from partnerloop.conftest import make_member, make_org
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_partner_says_it_did_not_work_and_the_host_sees_it(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    make_member(host, "owner@northwind.test", Role.OWNER)
    make_member(partner_org, "partner@acme.test", Role.MEMBER)
    partnership = Partnership.objects.create(host=host, partner=partner_org)

    page = new_page()
    log_in(page, base, "owner@northwind.test")
    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    page.get_by_role("button", name="Log an activity").click()
    page.get_by_label("What kind").select_option("account_mapping")
    page.get_by_label("Title").fill("First account mapping")
    page.get_by_label("When").fill("2026-11-10")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Logged. Record what it gave once you know.").wait_for()
    page.get_by_label("Worked").check()
    page.get_by_label("Leads").fill("12")
    page.get_by_role("button", name="Save your side's view").click()
    page.get_by_text("Your side's outcome is recorded.").wait_for()
    activity_url = page.url

    partner = new_page()
    log_in(partner, base, "partner@acme.test")
    partner.goto(f"{base}/o/{partner_org.code}/p/{partnership.code}/")
    partner.get_by_role("link", name="First account mapping").click()
    partner.get_by_label("Didn't work").check()
    partner.get_by_label("What happened").fill("None of the accounts were in our market.")
    partner.get_by_role("button", name="Save your side's view").click()
    partner.get_by_text("Your side's outcome is recorded.").wait_for()

    page.goto(activity_url)
    assert "The two sides see it differently" in page.content()
    assert "None of the accounts were in our market." in page.content()
    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    activities = page.locator("#activities")
    assert "The two sides see it differently" in activities.inner_text()
