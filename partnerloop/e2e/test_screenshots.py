"""Screenshots of the main pages for the README and docs (`make screenshots` writes them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from partnerloop.core.demo import DEMO_PASSWORD, HOST_EMAIL, PARTNER_EMAIL, load_demo
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership
from partnerloop.referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_screenshots(live_server, new_page, tmp_path: Path) -> None:
    out = DOCS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    load_demo()
    acme = Partnership.objects.select_related("host", "partner").get(
        partner__name="Acme Integrations"
    )
    base = live_server.url

    page = new_page()
    page.goto(f"{base}/accounts/login/")
    page.screenshot(path=str(out / "login.png"), full_page=True)
    log_in(page, base, HOST_EMAIL, DEMO_PASSWORD)
    page.goto(f"{base}/o/{acme.host.code}/partners/")
    page.screenshot(path=str(out / "directory.png"), full_page=True)
    page.goto(f"{base}/o/{acme.host.code}/p/{acme.code}/")
    page.screenshot(path=str(out / "workspace-host.png"), full_page=True)

    partner = new_page()
    log_in(partner, base, PARTNER_EMAIL, DEMO_PASSWORD)
    partner.goto(f"{base}/o/{acme.partner.code}/p/{acme.code}/")
    assert "budget for co-marketing" in partner.content()  # the partner's own private note
    assert "Internal: strong technical fit" not in partner.content()  # the host's private note
    partner.screenshot(path=str(out / "workspace-partner.png"), full_page=True)
    partner.goto(f"{base}/o/{acme.partner.code}/prompts/")
    assert "Milestone with Northwind Analytics" in partner.content()  # a celebration
    partner.screenshot(path=str(out / "inbox-partner.png"), full_page=True)

    page.goto(f"{base}/o/{acme.host.code}/prompts/rules/")
    page.screenshot(path=str(out / "prompt-rules.png"), full_page=True)
    page.goto(f"{base}/o/{acme.host.code}/plans/playbooks/")
    page.screenshot(path=str(out / "playbooks.png"), full_page=True)

    globex = Referral.objects.get(partnership=acme, company="Globex")
    page.goto(f"{base}/o/{acme.host.code}/p/{acme.code}/referrals/{globex.code}/decide/")
    assert "Globex Corporation" in page.content()  # the conflict check, for the host only
    page.screenshot(path=str(out / "referral-decide.png"), full_page=True)
    page.goto(f"{base}/o/{acme.host.code}/accountability/fairness/")
    page.screenshot(path=str(out / "fairness.png"), full_page=True)
    page.goto(f"{base}/o/{acme.host.code}/activities/what-works/")
    page.screenshot(path=str(out / "what-works.png"), full_page=True)
    page.goto(f"{base}/o/{acme.host.code}/insights/?days=365")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length")
    page.screenshot(path=str(out / "insights-host.png"), full_page=True)
    page.goto(f"{base}/o/{acme.host.code}/p/{acme.code}/overlap/")
    page.screenshot(path=str(out / "overlap-matrix.png"), full_page=True)
    partner.goto(f"{base}/o/{acme.partner.code}/p/{acme.code}/scorecard/")
    partner.screenshot(path=str(out / "scorecard-partner.png"), full_page=True)
    partner.goto(f"{base}/o/{acme.partner.code}/p/{acme.code}/dashboard/")
    partner.wait_for_function("() => window.Chart && document.querySelector('canvas[data-chart]')")
    partner.screenshot(path=str(out / "partner-dashboard.png"), full_page=True)
    partner.goto(f"{base}/o/{acme.partner.code}/p/{acme.code}/review/")
    assert "Internal: strong technical fit" not in partner.content()
    partner.screenshot(path=str(out / "review-pack.png"), full_page=True)
    partner.goto(f"{base}/o/{acme.partner.code}/p/{acme.code}/referrals/")
    assert "Globex Corporation" not in partner.content()
    partner.screenshot(path=str(out / "referrals-partner.png"), full_page=True)

    for name in (
        "referral-decide",
        "fairness",
        "what-works",
        "insights-host",
        "overlap-matrix",
        "scorecard-partner",
        "partner-dashboard",
        "review-pack",
        "referrals-partner",
        "login",
        "directory",
        "workspace-host",
        "workspace-partner",
        "inbox-partner",
        "prompt-rules",
        "playbooks",
    ):
        assert (out / f"{name}.png").stat().st_size > 10_000
