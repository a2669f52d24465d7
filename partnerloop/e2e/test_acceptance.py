"""The foundation's acceptance journey, in a real browser, for both sides."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from partnerloop.accounts.models import Role
from partnerloop.conftest import make_member, make_org, make_user
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_host_invites_partner_who_accepts_the_agreement(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    partner_org = make_org("Acme Integrations", "acme.test")
    make_member(host, "owner@northwind.test", Role.OWNER)
    partner_user = make_user("partner@acme.test")
    partnership = Partnership.objects.create(host=host, partner=partner_org)
    workspace = f"{base}/o/{host.code}/p/{partnership.code}/"

    # The host invites the partner user, proposes the agreement, writes two notes.
    host_page = new_page()
    log_in(host_page, base, "owner@northwind.test")
    host_page.goto(workspace)
    host_page.get_by_label("E-mail address").fill("partner@acme.test")
    host_page.get_by_role("button", name="Send invitation").click()
    host_page.get_by_text("Invitation sent to partner@acme.test").wait_for()
    host_page.get_by_role("button", name="Propose agreement").click()
    host_page.get_by_text("Agreement proposed").wait_for()
    for text, visibility in (
        ("Shared kick-off plan", "Shared with both sides"),
        ("PRIVATE-HOST-NOTE", "Private to my side"),
    ):
        note_form = host_page.locator("#notes > form")
        note_form.get_by_label("Note", exact=True).fill(text)
        note_form.get_by_label(visibility).check()
        note_form.get_by_role("button", name="Add note").click()
        host_page.get_by_text(text).first.wait_for()

    invitation = next(m for m in mail.outbox if "partner@acme.test" in m.to)
    link = re.search(r"https?://\S+(/invitations/\S+/)", invitation.body).group(1)

    # The partner opens the link, logs in with a one-time code and accepts the invitation.
    partner_page = new_page()
    partner_page.goto(base + link)
    partner_page.get_by_role("button", name="E-mail me a login code").click()
    partner_page.get_by_label("Email").fill("partner@acme.test")
    partner_page.get_by_role("button", name="Request Code").click()
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.MULTILINE)
    assert code, mail.outbox[-1].body
    partner_page.get_by_label("Code").fill(code.group(1))
    partner_page.get_by_role("button", name=re.compile("Sign In|Confirm|Verify")).click()
    # After the code, the partner is back on the invitation they came from.
    partner_page.wait_for_url(re.compile(r".*/invitations/.*"))
    partner_page.get_by_role("button", name="Accept and continue").click()
    partner_page.wait_for_url(re.compile(rf".*/p/{partnership.code}/"))

    # The partner accepts the agreement; sees the shared note, never the private one.
    partner_page.get_by_role("button", name="Accept the agreement").click()
    partner_page.get_by_text("Agreement accepted").wait_for()
    assert partner_page.get_by_text("Shared kick-off plan").count() >= 1
    assert "PRIVATE-HOST-NOTE" not in partner_page.content()
    assert partner_user.pk

    # The host sees the acceptance in the timeline, by the partner user.
    host_page.reload()
    accepted = host_page.locator(".timeline li", has_text="Accepted “Open partnership agreement”")
    accepted.wait_for()
    assert "partner@acme.test" in accepted.inner_text()


def test_directory_search_filter_and_stage_change(live_server, new_page) -> None:
    base = live_server.url
    host = make_org("Northwind Analytics", "northwind.test")
    make_member(host, "owner@northwind.test", Role.OWNER)
    for name, stage in (("Hooli", "prospect"), ("Globex", "active"), ("Initech", "prospect")):
        Partnership.objects.create(
            host=host, partner=make_org(name, f"{name.lower()}.test"), stage=stage
        )
    page = new_page()
    log_in(page, base, "owner@northwind.test")
    page.goto(f"{base}/o/{host.code}/partners/")

    # Keyboard: the skip link, into the main content, Tab to the search field, then Enter.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(4):  # Add a partner, Import CSV, Export CSV, Search
        page.keyboard.press("Tab")
    expect(page.get_by_label("Search")).to_be_focused()
    page.keyboard.type("Glo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=Glo.*"))
    results = page.locator("#directory-results")
    assert "Globex" in results.inner_text() and "Hooli" not in results.inner_text()

    page.goto(f"{base}/o/{host.code}/partners/")
    # The stage filter by its label, changed with the arrow key (htmx applies it).
    # (The label wraps the select, so its option texts are part of the name: match the start.)
    stage_filter = page.get_by_role("combobox", name=re.compile(r"^Stage"))
    stage_filter.focus()
    page.keyboard.press("ArrowDown")  # Any -> Prospect
    # (expect polls without eval, which the page's Content-Security-Policy forbids)
    expect(results).not_to_contain_text("Globex")
    assert "2 partnerships" in results.inner_text()

    page.get_by_role("link", name="Hooli").click()
    page.get_by_role("button", name="Change stage").click()
    page.get_by_label("New stage").select_option("evaluating")
    page.get_by_label("Reason").fill("Good first call")
    page.get_by_role("button", name="Change stage").click()
    page.locator(".timeline li", has_text="Stage changed from Prospect to Evaluating").wait_for()

    # The note form by keyboard: type, arrow to "Private to my side", Tab to the button, Enter.
    note_form = page.locator("#notes > form")
    note_form.get_by_label("Note", exact=True).focus()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")
    expect(note_form.get_by_label("Shared with both sides")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(note_form.get_by_label("Private to my side")).to_be_checked()
    page.keyboard.press("Tab")
    expect(note_form.get_by_role("button", name="Add note")).to_be_focused()
    page.keyboard.press("Enter")
    note = page.locator("#notes article", has_text="Typed without a mouse")
    expect(note).to_contain_text("Private to host side")
