"""Account overlap in a real browser: both sides share their customers as accounts, the
host opens the matrix and the cell, marks the account "intro asked", and the partner sees
the action and says it worked."""

from __future__ import annotations

from typing import Any

import pytest

from partnerloop.accounts.models import Role
from partnerloop.conftest import actor_of, make_member, make_org
from partnerloop.e2e.helpers import log_in
from partnerloop.mapping import services as mapping_services
from partnerloop.mapping.tests.lists_support import csv_bytes, upload
from partnerloop.overlap.models import AccountMatch, OverlapAction
from partnerloop.overlap.tests.support import HEADER, HOST_ROWS, PARTNER_ROWS
from partnerloop.partnerships.models import Partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _upload_list(actor: Any, rows: list[list[str]]) -> None:
    """An account list imported inline (the tests' task backend runs the matching too)."""
    waiting = upload(actor, csv_bytes([HEADER, *rows]))
    mapping_services.upload_set_mapping(actor=actor, upload=waiting, mapping=waiting.mapping)
    mapping_services.upload_run(upload_id=waiting.pk)


def _share_customers_as_accounts(page: Any, base: str, org: str, code: str) -> None:
    page.goto(f"{base}/o/{org}/p/{code}/overlap/sharing/")
    customers = page.get_by_role("group", name="Customers", exact=True)
    customers.get_by_label("Accounts", exact=True).check()
    page.get_by_role("button", name="Save what you share").click()
    page.get_by_text("Sharing saved.").wait_for()


def test_both_sides_share_act_and_say_it_worked(
    live_server: Any, new_page: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    owner = make_member(host, "owner@northwind.test", Role.OWNER)
    partner_admin = make_member(partner_org, "partner@acme.test", Role.ADMIN)
    partnership = Partnership.objects.create(host=host, partner=partner_org, stage="active")
    _upload_list(actor_of(owner, host), HOST_ROWS)
    _upload_list(actor_of(partner_admin, partner_org), PARTNER_ROWS)
    assert AccountMatch.objects.filter(partnership=partnership).count() == 3

    page = new_page()
    log_in(page, base, "owner@northwind.test")
    _share_customers_as_accounts(page, base, host.code, partnership.code)
    partner = new_page()
    log_in(partner, base, "partner@acme.test")
    _share_customers_as_accounts(partner, base, partner_org.code, partnership.code)

    # The host finds the overlap from the workspace and opens the one open cell.
    page.goto(f"{base}/o/{host.code}/p/{partnership.code}/")
    page.locator("#overlap").get_by_role("link", name="Account overlap").click()
    matrix = page.get_by_role("table", name="Accounts in common")
    matrix.get_by_role("link", name="1", exact=True).click()
    row = page.locator("tr", has_text="Acme Corporation")
    assert "ACME Corp." in row.inner_text() and "same domain" in row.inner_text()
    # Their opportunities (Globex, Initech) stay hidden from the host.
    assert "Globex" not in page.content() and "Initech Inc" not in page.content()
    row.get_by_text("Act on this account").click()
    row.get_by_label("What you do").select_option(label="Intro asked")
    row.get_by_label("Note (optional, both sides read it)").fill("Pia knows their CFO")
    row.get_by_role("button", name="Mark it").click()
    page.get_by_text("Marked “Intro asked”").wait_for()
    action = OverlapAction.objects.get(partnership=partnership)

    # The partner sees the action on its overlap page and says it worked.
    partner.goto(f"{base}/o/{partner_org.code}/p/{partnership.code}/overlap/")
    acted = partner.locator(f'tr[data-action="{action.code}"]')
    assert "Intro asked" in acted.inner_text() and "Northwind Analytics" in acted.inner_text()
    acted.get_by_role("button", name="Worked", exact=True).click()
    partner.get_by_text("Your side's outcome is recorded.").wait_for()
    assert "Worked" in partner.locator(f'tr[data-action="{action.code}"]').inner_text()

    # Back on the host's cell, both sides' words are there.
    page.reload()
    assert (
        "Acme Integrations: Worked" in page.locator("tr", has_text="Acme Corporation").inner_text()
    )
