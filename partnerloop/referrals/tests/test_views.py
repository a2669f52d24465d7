"""Referral pages, exports and the workspace section: what each side reads, and what the
partner side never reads (conflict findings, other partners, known accounts)."""

from __future__ import annotations

import csv
import io
from datetime import date

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partnerloop.conftest import World
from partnerloop.referrals import services
from partnerloop.referrals.models import KnownAccount, Referral

NOW = "2026-11-20 10:00:00+00:00"


def ws_url(world: World, persona: str, suffix: str = "", partnership=None) -> str:
    org = world.host if persona.startswith("host") else world.partner
    p = partnership or world.partnership
    return f"/o/{org.code}/p/{p.code}/referrals/{suffix}"


def org_url(org, suffix: str = "") -> str:
    return f"/o/{org.code}/referrals/{suffix}"


def register(world: World, persona: str = "partner_user", partnership=None, **fields) -> Referral:
    defaults = {"company": "Hooli", "website": "hooli.com", "contact_name": "Gavin"}
    return services.referral_register(
        actor=world.actor(persona),
        partnership=partnership or world.partnership,
        **{**defaults, **fields},
    )


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def conflicted(world: World) -> tuple[Referral, Referral]:
    """Globex registered Hooli first; Acme registers it again; Hooli is also a customer."""
    KnownAccount.objects.create(
        host=world.host, name="Hooli Customer Record", domain="hooli.com", name_key="hooli cr"
    )
    first = register(world, "other_partner", partnership=world.other_partnership)
    second = register(world)
    assert len(second.conflicts) == 2
    return first, second


def test_the_partner_registers_from_the_page(world: World) -> None:
    client = world.client("partner_user")
    page = client.get(ws_url(world, "partner_user", "new/"))
    assert page.status_code == 200
    assert b'name="company"' in page.content and b'for="id_company"' in page.content
    bad = client.post(ws_url(world, "partner_user", "new/"), {"company": "", "website": "x"})
    assert bad.status_code == 400
    assert "Give the name" in bad.content.decode() or "required" in bad.content.decode()
    response = client.post(
        ws_url(world, "partner_user", "new/"),
        {"company": "Hooli", "website": "not a site", "attribution": "sourced"},
    )
    assert response.status_code == 400
    assert "is not a website with a public domain" in response.content.decode()
    response = client.post(
        ws_url(world, "partner_user", "new/"),
        {"company": "Hooli", "website": "https://hooli.com", "attribution": "influenced"},
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/referrals/{referral.code}/")
    assert referral.attribution == "influenced"
    # The host's users open the referral but do not register for the partner.
    assert world.client("host_owner").get(ws_url(world, "host_owner", "new/")).status_code == 403


def test_the_host_decides_with_the_findings_the_partner_never_sees(world: World) -> None:
    first, second = conflicted(world)
    host = world.client("host_owner")
    page = host.get(ws_url(world, "host_owner", f"{second.code}/decide/")).content.decode()
    assert "Globex Consulting" in page and "Hooli Customer Record" in page
    link = f"/o/{world.host.code}/p/{world.other_partnership.code}/referrals/{first.code}/"
    assert link in page
    # Declining without a reason: the form says what to fix.
    response = host.post(
        ws_url(world, "host_owner", f"{second.code}/decide/"),
        {"decision": "declined", "reason": "", "version": 1},
    )
    assert response.status_code == 400 and "Say why you decline" in response.content.decode()
    response = host.post(
        ws_url(world, "host_owner", f"{second.code}/decide/"),
        {"decision": "declined", "reason": "Another partner brought them first.", "version": 1},
    )
    assert response.status_code == 302

    partner = world.client("partner_user")
    for url in (
        ws_url(world, "partner_user"),
        ws_url(world, "partner_user", f"{second.code}/"),
        f"/o/{world.partner.code}/p/{world.partnership.code}/",
        org_url(world.partner),
    ):
        text = partner.get(url).content.decode()
        assert "Hooli" in text
        assert "Globex" not in text and "Customer Record" not in text, url
        assert "conflict" not in text.lower(), url
    detail = partner.get(ws_url(world, "partner_user", f"{second.code}/")).content.decode()
    assert "Another partner brought them first." in detail
    # The host's pages do not exist for the partner side.
    assert partner.get(ws_url(world, "partner_user", f"{second.code}/decide/")).status_code == 404
    assert partner.get(ws_url(world, "partner_user", f"{second.code}/stage/")).status_code == 404
    assert (
        partner.get(org_url(world.partner, "known-accounts/")).content.count(b"data-account") == 0
    )


def test_a_stale_decision_page_answers_409(world: World) -> None:
    referral = register(world)
    services.referral_edit(
        actor=world.actor("partner_user"), referral=referral, version=1, notes="+"
    )
    response = world.client("host_owner").post(
        ws_url(world, "host_owner", f"{referral.code}/decide/"),
        {"decision": "accepted", "reason": "", "version": 1},
    )
    assert response.status_code == 409
    assert "Someone changed this referral" in response.content.decode()
    assert Referral.objects.get().status == "submitted"


@time_machine.travel(NOW, tick=False)
def test_the_host_moves_it_to_won_from_the_stage_page(world: World) -> None:
    referral = register(world)
    services.referral_decide(
        actor=world.actor("host_owner"), referral=referral, decision="accepted", version=1
    )
    host = world.client("host_member")
    url = ws_url(world, "host_member", f"{referral.code}/stage/")
    response = host.post(
        url, {"stage": "won", "reason": "Signed", "attribution": "sourced", "version": 2}
    )
    assert response.status_code == 400 and "Give the amount won" in response.content.decode()
    response = host.post(
        url,
        {
            "stage": "won",
            "reason": "Signed",
            "amount": "12500",
            "attribution": "sourced",
            "version": 2,
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.stage, referral.closed_on) == ("won", date(2026, 11, 20))
    detail = world.client("partner_user").get(ws_url(world, "partner_user", f"{referral.code}/"))
    text = detail.content.decode()
    assert "Signed" in text and "12,500.00" in text and "Won" in text
    workspace = world.client("partner_user").get(
        f"/o/{world.partner.code}/p/{world.partnership.code}/"
    )
    assert "First revenue: Hooli" in workspace.content.decode()


def test_the_partner_edits_while_it_waits(world: World) -> None:
    referral = register(world)
    client = world.client("partner_member")
    url = ws_url(world, "partner_user", f"{referral.code}/edit/")
    assert client.get(url).status_code == 200
    response = client.post(url, {"company": "Hooli XYZ", "website": "hooli.xyz", "version": 1})
    assert response.status_code == 302
    assert Referral.objects.get().company == "Hooli XYZ"
    stale = client.post(url, {"company": "Hooli Old", "website": "hooli.com", "version": 1})
    assert stale.status_code == 409
    assert (
        world.client("host_owner")
        .get(ws_url(world, "host_owner", f"{referral.code}/edit/"))
        .status_code
        == 403
    )


def test_another_partner_reaches_nothing(world: World) -> None:
    referral = register(world)
    other = world.client("other_partner")
    own = world.other_partner_org
    base = f"/o/{own.code}/p/{world.partnership.code}/referrals/"
    for suffix in ("", "export.csv", f"{referral.code}/", f"{referral.code}/edit/", "new/"):
        assert other.get(base + suffix).status_code == 404, suffix
    # Through its own partnership, the other partner's referral code is no referral.
    own_base = f"/o/{own.code}/p/{world.other_partnership.code}/referrals/"
    assert other.get(own_base + f"{referral.code}/").status_code == 404
    assert "Hooli" not in other.get(org_url(own)).content.decode()
    rows = csv_rows(other.get(org_url(own, "export.csv")))
    assert rows == [rows[0]]  # the header only
    # The same partner's referrals with another host are not this host's.
    foreign = register(world, partnership=world.foreign_partnership, company="Raviga")
    host_rows = csv_rows(world.client("host_owner").get(org_url(world.host, "export.csv")))
    assert foreign.code not in {r[4] for r in host_rows[1:]}
    assert [r[4] for r in host_rows[1:]] == [referral.code]


def test_csv_exports_are_formula_safe_and_the_partners_lack_findings(world: World) -> None:
    conflicted(world)
    register(world, company='=HYPERLINK("http://evil")', website="", notes="+1 call")
    host_rows = csv_rows(world.client("host_owner").get(ws_url(world, "host_owner", "export.csv")))
    assert host_rows[0][-1] == "conflicts"
    by_company = {r[1]: r for r in host_rows[1:]}
    assert "'=HYPERLINK" in "".join(by_company)
    assert "Globex Consulting" in by_company["Hooli"][-1]
    assert "Hooli Customer Record" in by_company["Hooli"][-1]
    partner_response = world.client("partner_user").get(ws_url(world, "partner_user", "export.csv"))
    partner_body = b"".join(partner_response.streaming_content).decode("utf-8-sig")
    assert "conflicts" not in partner_body
    assert "Globex" not in partner_body and "Customer Record" not in partner_body
    assert "'+1 call" in partner_body
    # The org-level export of the partner: its own registrations, no findings.
    rows = csv_rows(world.client("partner_user").get(org_url(world.partner, "export.csv")))
    assert {r[3] for r in rows[1:]} == {"partner"} and all(r[-1] == "" for r in rows[1:])
    assert "Globex" not in str(rows)


def test_lists_filter_and_answer_in_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:
    actor = world.actor("partner_user")
    Referral.objects.bulk_create(
        Referral(
            host=world.host,
            partnership=world.partnership,
            company=f"Company {i}",
            domain=f"company{i}.com",
            name_key=f"company {i}",
            status="accepted" if i % 3 else "submitted",
            stage="won" if i % 6 == 1 else "new",
            amount=100 if i % 6 == 1 else None,
            submitted_by=actor.user,
            conflicts=[{"kind": "known_account"}] if i % 5 == 0 else [],
        )
        for i in range(120)
    )
    host = world.client("host_owner")
    with django_assert_max_num_queries(12):
        page = host.get(ws_url(world, "host_owner"))
    assert page.content.count(b"data-referral=") == 120
    with django_assert_max_num_queries(12):
        page = host.get(ws_url(world, "host_owner") + "?status=accepted&stage=won")
    assert page.content.count(b"data-referral=") == 20
    with django_assert_max_num_queries(12):
        page = host.get(org_url(world.host) + "?side=host&status=submitted")
    assert page.content.count(b"data-referral=") == 40
    with django_assert_max_num_queries(12):
        response = host.get(org_url(world.host, "export.csv"))
        assert len(csv_rows(response)) == 121
    # The workspace section is two queries (test_services.test_workspace_figures).
    workspace = world.client("partner_user").get(
        f"/o/{world.partner.code}/p/{world.partnership.code}/"
    )
    assert b"120</strong> registered" in workspace.content
    assert b"40 waiting for a decision" in workspace.content


def test_the_workspace_card_invites_each_side(world: World) -> None:
    partner = world.client("partner_user").get(
        f"/o/{world.partner.code}/p/{world.partnership.code}/"
    )
    assert b"Register a referral" in partner.content
    host = world.client("host_owner").get(f"/o/{world.host.code}/p/{world.partnership.code}/")
    assert b"Register a referral" not in host.content
    assert b"No referral yet" in host.content
    referral = register(world)
    host = world.client("host_owner").get(f"/o/{world.host.code}/p/{world.partnership.code}/")
    assert f"/referrals/{referral.code}/decide/".encode() in host.content


def test_known_accounts_page_add_paste_upload_and_delete(world: World) -> None:
    client: Client = world.client("host_owner")
    url = org_url(world.host, "known-accounts/")
    assert b"No known account yet" in client.get(url).content
    response = client.post(
        url + "add/", {"name": "Hooli", "website": "hooli.com", "status": "customer", "owner": ""}
    )
    assert response.status_code == 302
    duplicate = client.post(
        url + "add/", {"name": "Hooli 2", "website": "www.hooli.com", "status": "customer"}
    )
    assert duplicate.status_code == 400 and "already in your list" in duplicate.content.decode()
    bad = client.post(url + "import/", {"text": "Raviga, raviga.com, customer\n, x.com, prospect"})
    assert bad.status_code == 400
    assert "Nothing was imported" in bad.content.decode() and "Line 2" in bad.content.decode()
    assert KnownAccount.objects.count() == 1
    pasted = client.post(
        url + "import/", {"text": "Raviga\traviga.com\tprospect\nHooli\thooli.com\tcustomer"}
    )
    assert pasted.status_code == 302
    upload = SimpleUploadedFile(
        "accounts.csv",
        "\ufeffname;website;status\nEndframe;endframe.com;opportunity\n".encode(),
        content_type="text/csv",
    )
    assert client.post(url + "import/", {"file": upload}).status_code == 302
    names = set(KnownAccount.objects.values_list("name", flat=True))
    assert names == {"Hooli", "Raviga", "Endframe"}
    latin1 = SimpleUploadedFile("a.csv", "Société,societe.fr,customer\n".encode("latin-1"))
    refused = client.post(url + "import/", {"file": latin1})
    assert refused.status_code == 400 and "UTF-8" in refused.content.decode()
    account = KnownAccount.objects.get(name="Raviga")
    assert client.post(url + f"{account.code}/delete/").status_code == 302
    assert not KnownAccount.objects.filter(name="Raviga").exists()
    # Nobody else's list holds it: 404 for another organization's account.
    other = world.client("other_host")
    hooli = KnownAccount.objects.get(name="Hooli")
    assert (
        other.post(
            org_url(world.other_host_org, f"known-accounts/{hooli.code}/delete/")
        ).status_code
        == 404
    )
    assert (
        b"data-account" not in other.get(org_url(world.other_host_org, "known-accounts/")).content
    )
