"""Referrals in the JSON API: register, decide, stage, edit (409), lists, and privacy."""

from __future__ import annotations

import json
from typing import Any

import time_machine
from django.test import Client

from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.plans.models import Milestone
from partnerloop.referrals import services
from partnerloop.referrals.models import KnownAccount, Referral

R = "/api/v1/referrals"


def call(world: World, persona: str, method: str, path: str, body: Any = None, **query: Any):
    client = Client()
    if method == "GET":
        return client.get(R + path, query, headers=headers_for(world, persona))
    return client.generic(
        method,
        R + path,
        json.dumps(body if body is not None else {}),
        content_type="application/json",
        headers=headers_for(world, persona),
    )


def test_register_decide_stage_and_first_revenue(world: World) -> None:
    code = world.partnership.code
    KnownAccount.objects.create(host=world.host, name="Hooli", domain="hooli.com", name_key="hooli")
    response = call(
        world,
        "partner_member",
        "POST",
        f"/partnerships/{code}",
        {"company": "Hooli Inc", "website": "www.hooli.com", "contact_email": "g@hooli.com"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["side"], body["status"], body["domain"], body["version"]) == (
        "partner",
        "submitted",
        "hooli.com",
        1,
    )
    assert body["host_details"] is None and "conflicts" not in json.dumps(body)
    referral = body["code"]

    host_view = call(world, "host_member", "GET", f"/{referral}").json()
    assert host_view["side"] == "host"
    assert [(f["kind"], f["match"], f["name"]) for f in host_view["host_details"]["conflicts"]] == [
        ("known_account", "domain", "Hooli")
    ]

    # Decline needs a reason (422 on the field); a stale version answers 409.
    response = call(
        world, "host_member", "POST", f"/{referral}/decide", {"decision": "declined", "version": 1}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "reason"]
    response = call(
        world, "host_member", "POST", f"/{referral}/decide", {"decision": "accepted", "version": 7}
    )
    assert response.status_code == 409 and response.json()["current_version"] == 1
    response = call(
        world,
        "host_member",
        "POST",
        f"/{referral}/decide",
        {"decision": "accepted", "reason": "Good fit", "version": 1},
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"

    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        response = call(
            world,
            "host_owner",
            "POST",
            f"/{referral}/stage",
            {"stage": "won", "reason": "Signed", "amount": "12500.50", "version": 2},
        )
    assert response.status_code == 200, response.content
    won = response.json()
    assert (won["stage"], won["amount"], won["closed_on"], won["version"]) == (
        "won",
        "12500.50",
        "2026-11-20",
        3,
    )
    assert set(
        Milestone.objects.filter(partnership=world.partnership).values_list("key", flat=True)
    ) == {"first_referral", "first_revenue"}

    partner_view = call(world, "partner_user", "GET", f"/{referral}").json()
    assert partner_view["host_details"] is None
    assert partner_view["decision_reason"] == "Good fit" and partner_view["stage"] == "won"


def test_each_side_is_refused_the_others_actions(world: World) -> None:
    code = world.partnership.code
    response = call(world, "host_owner", "POST", f"/partnerships/{code}", {"company": "Hooli"})
    assert response.status_code == 403
    referral = services.referral_register(
        actor=world.actor("partner_user"), partnership=world.partnership, company="Hooli"
    )
    response = call(
        world,
        "partner_user",
        "POST",
        f"/{referral.code}/decide",
        {"decision": "accepted", "version": 1},
    )
    assert response.status_code == 403
    response = call(world, "host_owner", "PATCH", f"/{referral.code}", {"version": 1, "notes": "x"})
    assert response.status_code == 403
    response = call(
        world, "partner_user", "PATCH", f"/{referral.code}", {"version": 1, "company": "Hooli XYZ"}
    )
    assert response.status_code == 200 and response.json()["company"] == "Hooli XYZ"
    stale = call(world, "partner_user", "PATCH", f"/{referral.code}", {"version": 1, "notes": "x"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    unknown = call(world, "partner_user", "PATCH", f"/{referral.code}", {"version": 2, "amount": 1})
    assert unknown.status_code == 422


def test_other_tenants_get_404(world: World) -> None:
    referral = services.referral_register(
        actor=world.actor("partner_user"), partnership=world.partnership, company="Hooli"
    )
    for persona in ("other_partner", "other_host"):
        assert call(world, persona, "GET", f"/{referral.code}").status_code == 404
        assert (
            call(world, persona, "GET", "", partnership=world.partnership.code).status_code == 404
        )
        listed = call(world, persona, "GET", "").json()
        assert listed == {"items": [], "count": 0}
        response = call(
            world, persona, "POST", f"/partnerships/{world.partnership.code}", {"company": "X"}
        )
        assert response.status_code == 404
        response = call(
            world,
            persona,
            "POST",
            f"/{referral.code}/decide",
            {"decision": "accepted", "version": 1},
        )
        assert response.status_code == 404


def test_lists_filter_by_partnership_status_and_stage_in_flat_queries(
    world: World, django_assert_max_num_queries
) -> None:
    partner = world.partner_user
    Referral.objects.bulk_create(
        Referral(
            host=world.host,
            partnership=world.partnership if i % 2 else world.other_partnership,
            company=f"Company {i}",
            name_key=f"company {i}",
            status="accepted" if i % 4 == 1 else "submitted",
            stage="won" if i % 8 == 1 else "new",
            submitted_by=partner,
            conflicts=[
                {
                    "kind": "known_account",
                    "match": "domain",
                    "score": 100,
                    "code": "abc",
                    "name": "Known",
                    "domain": "known.com",
                    "status": "customer",
                    "owner": "",
                }
            ],
        )
        for i in range(150)
    )
    headers = headers_for(world, "host_owner")
    client = Client()
    with django_assert_max_num_queries(5):
        page = client.get(R, {"limit": 100}, headers=headers).json()
    assert page["count"] == 150 and len(page["items"]) == 100
    assert all(len(item["host_details"]["conflicts"]) == 1 for item in page["items"])
    with django_assert_max_num_queries(6):
        page = client.get(
            R,
            {"partnership": world.partnership.code, "status": "accepted", "stage": "won"},
            headers=headers,
        ).json()
    assert page["count"] == 19  # i = 1, 9, 17, … 145
    # The partner lists only its own partnership's referrals, without findings.
    mine = call(world, "partner_user", "GET", "", limit=100).json()
    assert mine["count"] == 75
    assert all(item["host_details"] is None for item in mine["items"])
    theirs = call(world, "other_partner", "GET", "", limit=100).json()
    assert theirs["count"] == 75
    assert {i["partnership"] for i in theirs["items"]} == {world.other_partnership.code}


def test_known_accounts_through_the_api(world: World) -> None:
    response = call(
        world, "host_owner", "POST", "/known-accounts", {"name": "Hooli", "website": "hooli.com"}
    )
    assert response.status_code == 201 and response.json()["domain"] == "hooli.com"
    duplicate = call(
        world, "host_owner", "POST", "/known-accounts", {"name": "Hooli 2", "website": "hooli.com"}
    )
    assert duplicate.status_code == 422
    response = call(
        world,
        "host_owner",
        "POST",
        "/known-accounts/import",
        {"text": "Raviga, raviga.com, prospect\nHooli, hooli.com, customer"},
    )
    assert response.json() == {
        "added": 1,
        "skipped": ["Line 2: Hooli (hooli.com) is already in the list."],
    }
    bad = call(world, "host_owner", "POST", "/known-accounts/import", {"text": ",x.com,customer"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["msg"] == "Line 1: the company name is missing."
    listed = call(world, "host_member", "GET", "/known-accounts", q="rav").json()
    assert [a["name"] for a in listed["items"]] == ["Raviga"]
    assert call(world, "partner_user", "GET", "/known-accounts").json()["count"] == 0
    code = listed["items"][0]["code"]
    assert call(world, "partner_user", "DELETE", f"/known-accounts/{code}").status_code == 404
    assert call(world, "host_member", "DELETE", f"/known-accounts/{code}").status_code == 403
    assert call(world, "host_owner", "DELETE", f"/known-accounts/{code}").status_code == 200
    assert not KnownAccount.objects.filter(code=code).exists()
