"""The private mode page: consents per side, the command to run, and the audit log."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from partnerloop.psi.models import PsiConsent, PsiRun


def _url(world: Any, org: Any, name: str = "psi_consent") -> str:
    return reverse(name, kwargs={"org": org.code, "code": world.partnership.code})


def test_private_mode_is_off_by_default(world) -> None:
    page = world.client("host_owner").get(_url(world, world.host))
    assert page.status_code == 200
    html = page.content.decode()
    assert "cannot run private mode against your lists" in html
    assert "has not turned private mode on" in html
    assert "No run yet" in html
    assert not PsiConsent.objects.exists()


def test_host_turns_it_on_and_the_partner_sees_what_it_may_run(world) -> None:
    response = world.client("host_owner").post(_url(world, world.host), {"population": "customers"})
    assert response.status_code == 302
    consent = PsiConsent.objects.get()
    assert (consent.side, consent.population_key, consent.allow_reveal) == (
        "host",
        "customers",
        False,
    )
    html = world.client("partner_user").get(_url(world, world.partner)).content.decode()
    assert 'data-population="customers"' in html
    assert "counts only" in html
    assert f"--partnership {world.partnership.code} --population customers" in html
    # The partner has opened nothing of its own.
    assert "cannot run private mode against your lists" in html

    world.client("host_owner").post(
        _url(world, world.host), {"population": "customers", "allow_reveal": "on"}
    )
    assert PsiConsent.objects.get().allow_reveal is True
    world.client("host_owner").post(
        _url(world, world.host, "psi_consent_remove"), {"population": "customers"}
    )
    assert not PsiConsent.objects.exists()


def test_invalid_population_is_shown_on_the_form(world) -> None:
    response = world.client("host_owner").post(_url(world, world.host), {"population": "a b!"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_members_read_but_cannot_change(world) -> None:
    member = world.client("host_member")
    assert member.get(_url(world, world.host)).status_code == 200
    assert member.post(_url(world, world.host), {"population": "customers"}).status_code == 403
    assert not PsiConsent.objects.exists()


def test_both_sides_see_the_audit_log(world, django_assert_max_num_queries) -> None:
    for i in range(3):
        PsiRun.objects.create(
            partnership=world.partnership,
            requested_by=world.partner_user,
            requesting_org=world.partner,
            requesting_side="partner",
            population_key="customers",
            mode="count",
            client_set_size=100 + i,
            server_set_size=400,
            result_count=7 if i == 0 else None,
        )
    PsiRun.objects.create(  # another partnership's run stays there
        partnership=world.other_partnership,
        requested_by=world.other_partner,
        requesting_org=world.other_partner_org,
        requesting_side="partner",
        population_key="customers",
        mode="count",
        client_set_size=999,
        server_set_size=400,
    )
    client = world.client("host_viewer")
    with django_assert_max_num_queries(12):
        html = client.get(_url(world, world.host)).content.decode()
    assert html.count("data-run=") == 3
    assert "admin@acme.test" in html and "<td>102</td>" in html and "<td>7</td>" in html
    assert "999" not in html
    partner_html = world.client("partner_member").get(_url(world, world.partner)).content.decode()
    assert partner_html.count("data-run=") == 3
    other = world.client("other_host").get(_url(world, world.other_host_org))
    assert other.status_code == 404
