"""What one side hides never reaches the other side's e-mail or timeline: the prompts and
digests the worker sends after sharing changes and an overlap action."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from partnerloop.mapping import services as mapping_services
from partnerloop.overlap import selectors, services
from partnerloop.overlap.models import AccountMatch
from partnerloop.overlap.tests.support import HOST_ROWS, PARTNER_ROWS, share, upload_rows
from partnerloop.partnerships.models import Partnership, Stage, TimelineEvent
from partnerloop.partnerships.selectors import visible_to
from partnerloop.prompts.services import tick

pytestmark = pytest.mark.django_db

SECRET_POPULATION = "Strategic whales"
# A host row only in the hidden population, overlapping a partner customer.
WHALE = ["Moby Dick Shipping", "mobydick.com", "US", "Strategic", "Hana Host"]
PARTNER_WHALE = ["Moby Dick Shipping Ltd", "mobydick.com", "US", "Customer", "Pia Partner"]


def _hidden_setup(world: Any) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(stage=Stage.ACTIVE)
    mapping_services.population_create(
        actor=world.actor("host_owner"), name=SECRET_POPULATION, values="Strategic"
    )
    upload_rows(world, "host_owner", [*HOST_ROWS, WHALE])
    upload_rows(world, "partner_user", [*PARTNER_ROWS, PARTNER_WHALE])
    services.matches_refresh(partnership_id=world.partnership.pk)
    # The host shares its customers by domain only and keeps the whales hidden.
    share(world, "host_owner", "customers", "accounts", fields=["domain"])
    share(world, "partner_user", "customers", "accounts", fields=["name", "domain", "owner"])
    match = AccountMatch.objects.get(partnership=world.partnership, host_key="acme.com")
    services.overlap_act(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        match_id=match.pk,
        kind="co_sell",
        note="Joint pitch next week",
    )


def test_hidden_population_and_unshared_fields_stay_out_of_mail_and_timeline(
    world: Any,
) -> None:
    _hidden_setup(world)
    assert AccountMatch.objects.filter(host_population="strategic-whales").count() == 1
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        tick()
    partner_emails = {"admin@acme.test", "member@acme.test"}
    to_partner = [m for m in mail.outbox if set(m.to) & partner_emails]
    texts = [
        m.subject + m.body + "".join(str(a[0]) for a in getattr(m, "alternatives", []))
        for m in to_partner
    ]
    texts += [
        e.summary
        for e in TimelineEvent.objects.filter(visible_to("partner"), partnership=world.partnership)
    ]
    # The partner hears of the host's sharing and of its action through the timeline
    # (the action is named with the partner's own shared name).
    assert any("shares Customers" in text for text in texts)
    assert any("Co-selling: ACME Corp." in text for text in texts)
    for text in texts:
        for secret in (
            SECRET_POPULATION,
            "strategic-whales",
            "Moby",  # only in the hidden population on the host's side
            "Acme Corporation",  # the host shares domains, not names
            "Hana Host",  # nor owners
        ):
            assert secret not in text


def test_hidden_population_is_absent_from_the_partner_matrix(world: Any) -> None:
    _hidden_setup(world)
    partner = selectors.overlap_matrix(partnership=world.partnership, side="partner")
    assert [p.key for p in partner.theirs] == ["customers"]
    assert partner.total == 1
    host = selectors.overlap_matrix(partnership=world.partnership, side="host")
    # The host sees its own hidden population as a row, without a cell.
    assert "strategic-whales" in [p.key for p in host.ours]
    assert not any(ours == "strategic-whales" for ours, _ in host.cells)
