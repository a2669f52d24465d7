"""Fit in a real browser: a new IPP version, the partner's reverse checklist, the mutual score."""

from __future__ import annotations

import re

import pytest

from partnerloop.accounts.models import Role
from partnerloop.conftest import make_member, make_org
from partnerloop.core.tenancy import Actor
from partnerloop.e2e.helpers import log_in
from partnerloop.fit import services
from partnerloop.fit.models import PartnershipFit
from partnerloop.partnerships.models import Partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_version_partner_checklist_and_mutual_score(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    owner = make_member(host, "owner@northwind.test", Role.OWNER)
    make_member(partner_org, "partner@acme.test", Role.ADMIN)
    partnership = Partnership.objects.create(host=host, partner=partner_org)
    actor = Actor(user=owner, organization=host, role=Role.OWNER)
    first = services.ipp_create_from_template(actor=actor)
    services.ipp_version_activate(actor=actor, version=first, change_note="First profile")

    # The host answers its side of the checklist.
    page = new_page()
    log_in(page, base, "owner@northwind.test")
    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/fit/checklist/")
    for question in page.locator("fieldset.question").all():
        radios = question.get_by_role("radio")
        if radios.count():
            radios.first.check()  # the strongest option or "Yes" comes first
        else:
            question.get_by_role("spinbutton").fill("6")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted: the fit is updated.").wait_for()

    # The host starts a new draft and activates it with a note.
    page.goto(f"{base}/o/{host.code}/fit/")
    page.get_by_role("button", name="New draft from this").first.click()
    page.get_by_label("Why we changed it").fill("Sharper focus on motivation")
    page.get_by_role("button", name=re.compile("Activate version 2")).click()
    page.get_by_role("heading", name="Version 2 is active").wait_for()
    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    assert "waiting for both sides" in page.locator("#fit").inner_text()
    mutual_before = PartnershipFit.objects.get(partnership=partnership).mutual
    assert mutual_before is None

    # The partner answers the reverse checklist: why Northwind fits them.
    partner = new_page()
    log_in(partner, base, "partner@acme.test")
    partner.goto(f"{base}/o/{partner_org.code}/p/{partnership.code}/")
    partner.get_by_role("button", name="Answer the fit checklist").click()
    partner.get_by_role("heading", name="Why Northwind Analytics fits you").wait_for()
    assert partner.locator("fieldset.question").count() == 5  # only the "theirs" questions
    for question in partner.locator("fieldset.question").all():
        question.get_by_role("radio").nth(1).check()  # good, not perfect
    partner.get_by_label("Other dimensions of fit").fill("Great people to work with")
    partner.get_by_role("button", name="Submit").click()
    partner.get_by_text("Submitted: the fit is updated.").wait_for()
    assert "Mutual fit" not in partner.locator("#fit").inner_text()  # not shared with them

    # The host sees the mutual score appear, and the partner's other dimensions.
    page.reload()
    fit = PartnershipFit.objects.get(partnership=partnership)
    assert fit.mutual is not None and not fit.provisional
    section = page.locator("#fit")
    assert f"{fit.mutual:.0f}" in section.inner_text()
    section.get_by_text("The overview").click()
    section.get_by_text("Great people to work with").wait_for()
