"""Prompts in a real browser: a milestone's celebration reaches both inboxes, the partner
answers the monthly check-in with the keyboard, and the host reads it in the workspace."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from partnerloop.accounts.models import Role
from partnerloop.conftest import make_member, make_org
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership, Stage
from partnerloop.plans.services import milestone_record
from partnerloop.prompts.scheduler import run_pass
from partnerloop.prompts.services import ensure_default_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_celebration_in_both_inboxes_and_a_check_in_by_keyboard(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    owner = make_member(host, "owner@northwind.test", Role.OWNER)
    partner_user = make_member(partner_org, "partner@acme.test", Role.ADMIN)
    with time_machine.travel(datetime(2026, 1, 5, 10, tzinfo=UTC), tick=False):
        partnership = Partnership.objects.create(
            host=host,
            partner=partner_org,
            stage=Stage.ACTIVE,
            host_owner=owner,
            partner_owner=partner_user,
        )
    ensure_default_rules(host)
    milestone_record(
        partnership=partnership,
        key="first_revenue",
        title="First revenue",
        reached_on=datetime.now(UTC).date(),
    )
    run_pass()

    partner = new_page()
    log_in(partner, base, "partner@acme.test")
    inbox = partner.get_by_role("link", name=re.compile(r"^Inbox"))
    assert "unread" in inbox.inner_html()
    inbox.click()
    celebration = partner.locator(".prompt.celebration").first
    assert "First revenue with Northwind Analytics" in celebration.inner_text()

    host_page = new_page()
    log_in(host_page, base, "owner@northwind.test")
    host_page.goto(f"{base}/o/{host.code}/prompts/")
    assert (
        "First revenue with Acme Integrations"
        in host_page.locator(".prompt.celebration").first.inner_text()
    )

    # The partner checks in, by keyboard alone, from the workspace.
    partner.goto(f"{base}/o/{partner_org.code}/p/{partnership.code}/prompts/check-in/")
    partner.get_by_label("4 — good").focus()
    partner.keyboard.press("Space")
    partner.get_by_label("What worked").focus()
    partner.keyboard.type("The joint case study")
    partner.get_by_label("The next tiny step").focus()
    partner.keyboard.type("Send two customer names")
    partner.keyboard.press("Enter")
    partner.get_by_text("Thank you: your check-in is in the workspace.").wait_for()

    host_page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    check_ins = host_page.locator("#check-in")
    assert "The joint case study" in check_ins.inner_text()
    assert "Send two customer names" in check_ins.inner_text()
