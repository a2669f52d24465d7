"""Referrals in a real browser: the partner registers one, the host accepts it and marks it
won, and both sides see the first-revenue milestone."""

from __future__ import annotations

import pytest

from partnerloop.accounts.models import Role
from partnerloop.conftest import make_member, make_org
from partnerloop.core.tenancy import Actor
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership
from partnerloop.plans.services import plan_start
from partnerloop.referrals.models import KnownAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_referral_from_registered_to_first_revenue(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    owner = make_member(host, "owner@northwind.test", Role.OWNER)
    make_member(partner_org, "partner@acme.test", Role.MEMBER)
    partnership = Partnership.objects.create(host=host, partner=partner_org, stage="active")
    plan_start(actor=Actor(user=owner, organization=host, role=Role.OWNER), partnership=partnership)
    # The host already knows a look-alike: the check shows it to the host only.
    KnownAccount.objects.create(
        host=host, name="Globex Corporation", domain="globex.com", name_key="globex"
    )

    partner = new_page()
    log_in(partner, base, "partner@acme.test")
    partner.goto(f"{base}/o/{partner_org.code}/p/{partnership.code}/")
    partner.get_by_role("button", name="Register a referral").click()
    partner.get_by_label("Company", exact=True).fill("Globex")
    partner.get_by_label("Website").fill("https://www.globex.com/contact")
    partner.get_by_label("Contact person").fill("Hank Scorpio")
    partner.get_by_label("Notes").fill("Wants dashboards for 40 plants.")
    partner.get_by_role("button", name="Register").click()
    partner.get_by_text("Registered.").wait_for()
    assert "Globex Corporation" not in partner.content()  # the host's account stays the host's

    page = new_page()
    log_in(page, base, "owner@northwind.test")
    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    page.get_by_role("button", name="Decide on Globex").click()
    assert "Globex Corporation" in page.content()  # the conflict check's finding
    page.get_by_label("Accept").check()
    page.get_by_label("Reason (the partner reads it)").fill("New logo for us, let's go.")
    page.get_by_role("button", name="Save the decision").click()
    page.get_by_text("Referral accepted.").wait_for()
    page.get_by_role("button", name="Change the stage").click()
    page.get_by_label("Stage").select_option("won")
    page.get_by_label("Reason (the partner reads it)").fill("Signed a one-year contract.")
    page.get_by_label("Amount").fill("24000")
    page.get_by_role("button", name="Save the stage").click()
    page.get_by_text("Now won.").wait_for()

    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    assert "First revenue: Globex reached on" in page.locator("#plan").inner_text()
    partner.goto(f"{base}/o/{partner_org.code}/p/{partnership.code}/")
    assert "First revenue: Globex reached on" in partner.locator("#plan").inner_text()
    referral_card = partner.locator("#referrals").inner_text()
    assert "1 won" in referral_card
    partner.get_by_role("link", name="All referrals").click()
    partner.get_by_role("link", name="Globex").first.click()
    history = partner.content()
    assert "New logo for us, let's go." in history and "Signed a one-year contract." in history
