"""The demo ecosystem loads and shows every part of the loop."""

from __future__ import annotations

import pytest

from partnerloop.accountability.models import Commitment
from partnerloop.activities.models import Outcome
from partnerloop.core.demo import load_demo
from partnerloop.partnerships.models import Partnership
from partnerloop.plans.models import Milestone
from partnerloop.referrals.models import Referral


@pytest.mark.django_db
def test_the_demo_holds_the_whole_feedback_loop() -> None:
    logins = load_demo()
    assert logins["host"] and logins["partner"]
    first = Partnership.objects.get(partner__name="Acme Integrations")
    # One activity the two sides see differently.
    views = Outcome.objects.filter(activity__partnership=first, activity__kind="campaign")
    assert sorted(views.values_list("side", "result")) == [("host", "mixed"), ("partner", "didnt")]
    assert Commitment.objects.filter(partnership=first).count() == 2
    stages = dict(Referral.objects.filter(partnership=first).values_list("company", "stage"))
    assert stages == {"Initech": "won", "Umbrella Analytics": "proposal", "Globex": "new"}
    globex = Referral.objects.get(company="Globex")
    assert globex.status == "submitted" and globex.conflicts  # the known account
    keys = set(Milestone.objects.filter(partnership=first).values_list("key", flat=True))
    assert {"first_referral", "first_revenue"} <= keys


@pytest.mark.django_db
def test_the_demo_shows_an_overlap_matrix_and_an_action(settings, tmp_path) -> None:
    from partnerloop.overlap import selectors
    from partnerloop.overlap.models import OverlapAction

    settings.MEDIA_ROOT = tmp_path
    load_demo()
    first = Partnership.objects.get(partner__name="Acme Integrations")
    host = selectors.overlap_matrix(partnership=first, side="host")
    partner = selectors.overlap_matrix(partnership=first, side="partner")
    # Both sides see the same cells; the partner's prospects stay hidden.
    assert {k[::-1]: c.count for k, c in host.cells.items()} == {
        k: c.count for k, c in partner.cells.items()
    }
    assert [p.key for p in host.theirs] == ["customers", "opportunities"]
    assert host.total > 10
    assert host.cells[("customers", "customers")].opens_accounts
    assert not host.cells[("prospects", "opportunities")].opens_accounts
    action = OverlapAction.objects.get(partnership=first)
    assert action.activity.outcomes.get(side="partner").result == "worked"
