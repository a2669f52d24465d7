"""The partnership operations of /api/v1/ for each persona."""

from __future__ import annotations

import pytest

from partnerloop.accounts.models import Organization
from partnerloop.partnerships import services
from partnerloop.partnerships.models import (
    AgreementStatus,
    Partnership,
    Stage,
    Tag,
    Visibility,
)


def url(world, suffix: str = "") -> str:
    return f"/partnerships/{world.partnership.code}{suffix}"


# --- list -------------------------------------------------------------------------------


def test_host_lists_its_directory_and_the_programs_it_joined(world, api) -> None:
    elsewhere = Partnership.objects.create(host=world.other_host_org, partner=world.host)
    data = api("GET", "/partnerships").json()
    assert data["count"] == 3
    sides = {item["code"]: item["side"] for item in data["items"]}
    assert sides == {
        world.partnership.code: "host",
        world.other_partnership.code: "host",
        elsewhere.code: "partner",
    }
    # Sorted by the other organization's name.
    assert [i["code"] for i in data["items"]] == [
        world.partnership.code,  # Acme Integrations
        world.other_partnership.code,  # Globex Consulting
        elsewhere.code,  # Initech
    ]
    assert "id" not in data["items"][0]
    assert data["items"][0]["partner"] == {
        "code": world.partner.code,
        "name": "Acme Integrations",
        "website": "https://acme.test",
        "domain": "acme.test",
    }


def test_partner_never_sees_the_hosts_private_fields(world, api) -> None:
    tag = Tag.objects.create(host=world.host, name="top-secret-tag")
    world.partnership.tags.add(tag)
    Partnership.objects.filter(pk=world.partnership.pk).update(description="Plan to replace them")
    host_view = api("GET", url(world)).json()
    assert host_view["host_details"] == {
        "description": "Plan to replace them",
        "tags": ["top-secret-tag"],
        "version": 1,
    }
    for response in (
        api("GET", url(world), persona="partner_user"),
        api("GET", "/partnerships", persona="partner_user"),
    ):
        text = response.content.decode()
        assert "Plan to replace them" not in text and "top-secret-tag" not in text
    partner_view = api("GET", url(world), persona="partner_user").json()
    assert partner_view["side"] == "partner"
    assert partner_view["host_details"] is None
    assert partner_view["host_owner"] == "owner@northwind.test"


def test_list_filters(world, api) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(
        stage=Stage.ACTIVE, tier="gold", partner_type="reseller"
    )
    tag = Tag.objects.create(host=world.host, name="emea")
    world.other_partnership.tags.add(tag)

    def codes(**query: str) -> set[str]:
        return {i["code"] for i in api("GET", "/partnerships", **query).json()["items"]}

    p, other = world.partnership.code, world.other_partnership.code
    assert codes(q="acme") == {p}
    assert codes(q="globex.test") == {other}
    assert codes(q="northwind") == set()  # our own name matches nothing
    assert codes(stage="active") == {p}
    assert codes(tier="gold") == {p}
    assert codes(tier="none") == {other}
    assert codes(type="reseller") == {p}
    assert codes(tag="emea") == {other}
    assert codes(side="partner") == set()
    assert codes(side="host") == {p, other}
    # The partner searches the host's name.
    partner_items = api("GET", "/partnerships", persona="partner_user", q="northwind").json()
    assert [i["code"] for i in partner_items["items"]] == [p]


@pytest.mark.parametrize(
    "query", [{"stage": "nope"}, {"tier": "diamond"}, {"limit": "101"}, {"offset": "-1"}]
)
def test_list_refuses_bad_query(world, api, query) -> None:
    response = api("GET", "/partnerships", **query)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_list_paginates(world, api) -> None:
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Partner {i:03}", domain=f"p{i}.test") for i in range(120)
    )
    Partnership.objects.bulk_create(Partnership(host=world.host, partner=o) for o in orgs)
    first = api("GET", "/partnerships").json()
    assert first["count"] == 122
    assert len(first["items"]) == 50
    last = api("GET", "/partnerships", limit=100, offset=100).json()
    assert len(last["items"]) == 22
    everything = [
        i["code"]
        for offset in range(0, 122, 50)
        for i in api("GET", "/partnerships", offset=offset).json()["items"]
    ]
    assert len(set(everything)) == 122


# --- create -----------------------------------------------------------------------------


def test_create_partnership(world, api) -> None:
    response = api(
        "POST",
        "/partnerships",
        body={
            "name": "Umbrella Labs",
            "website": "https://www.umbrella-labs.com/about",
            "stage": "evaluating",
            "tier": "silver",
            "partner_type": "technology",
            "tags": ["emea", "fintech"],
            "host_owner": "MEMBER@northwind.test",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["side"] == "host"
    assert data["partner"]["domain"] == "umbrella-labs.com"
    assert (data["stage"], data["tier"], data["partner_type"]) == (
        "evaluating",
        "silver",
        "technology",
    )
    assert data["host_owner"] == "member@northwind.test"
    assert data["host_details"]["tags"] == ["emea", "fintech"]
    assert Partnership.objects.filter(code=data["code"], host=world.host).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme again", "website": "acme.test"}, "website"),
        ({"name": "X", "website": "not a website"}, "website"),
        ({"name": "  ", "website": "https://umbrella-labs.com"}, "name"),
        ({"name": "X", "website": "umbrella-labs.com", "host_owner": "nobody@x.com"}, "host_owner"),
        ({"name": "X", "website": "umbrella-labs.com", "stage": "won"}, "stage"),
        ({"name": "X", "website": "umbrella-labs.com", "colour": "red"}, "colour"),
        ({"website": "umbrella-labs.com"}, "name"),
    ],
)
def test_create_partnership_validation(world, api, body, field) -> None:
    before = Partnership.objects.count()
    response = api("POST", "/partnerships", body=body)
    assert response.status_code == 422, response.content
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field and e["msg"] for e in errors), errors
    assert Partnership.objects.count() == before


def test_create_partnership_refuses_members(world, api) -> None:
    body = {"name": "X", "website": "umbrella-labs.com"}
    response = api("POST", "/partnerships", persona="host_member", body=body)
    assert response.status_code == 403
    assert response.json()["detail"]


# --- get and patch ----------------------------------------------------------------------


def test_other_tenants_get_404(world, api) -> None:
    for persona, partnership in [
        ("other_host", world.partnership),
        ("other_partner", world.partnership),
        ("partner_user", world.other_partnership),
        ("host_owner", world.foreign_partnership),
    ]:
        response = api("GET", f"/partnerships/{partnership.code}", persona=persona)
        assert response.status_code == 404
        assert response.json() == {"detail": "No such partnership."}
        for suffix in ("/notes", "/timeline", "/agreements", "/stage-changes"):
            assert (
                api("GET", f"/partnerships/{partnership.code}{suffix}", persona=persona)
            ).status_code == 404
    assert api("GET", "/partnerships/doesnotexist").status_code == 404


def test_patch_partnership(world, api) -> None:
    world.partnership.tags.add(Tag.objects.create(host=world.host, name="keep-me"))
    response = api(
        "PATCH",
        url(world),
        body={
            "version": 1,
            "tier": "gold",
            "reason": "Two referrals won",
            "description": "Strong in DACH",
            "host_owner": None,
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["tier"] == "gold"
    assert data["host_owner"] is None
    assert data["host_details"] == {
        "description": "Strong in DACH",
        "tags": ["keep-me"],
        "version": 2,
    }
    assert data["partner_type"] == "referral"
    timeline = api("GET", url(world, "/timeline")).json()["items"]
    assert timeline[0]["summary"] == "Tier changed from No tier to Gold: Two referrals won"
    no_reason = api("PATCH", url(world), body={"version": 2, "tier": "silver"})
    assert no_reason.status_code == 422
    assert "Say why the tier changes" in no_reason.content.decode()


def test_patch_with_a_stale_version_is_409_and_writes_nothing(world, api) -> None:
    body = {"version": 1, "tier": "gold", "reason": "Won a deal"}
    assert api("PATCH", url(world), body=body).status_code == 200
    response = api("PATCH", url(world), body={**body, "tier": "silver"})
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert "version 2" in response.json()["detail"]
    world.partnership.refresh_from_db()
    assert world.partnership.tier == "gold"


def test_patch_needs_a_version_and_refuses_the_stage(world, api) -> None:
    assert api("PATCH", url(world), body={"tier": "gold"}).status_code == 422
    response = api("PATCH", url(world), body={"version": 1, "stage": "active"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "stage"


def test_partner_cannot_patch(world, api) -> None:
    response = api("PATCH", url(world), persona="partner_user", body={"version": 1})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the host edits these fields."}


# --- stage ------------------------------------------------------------------------------


def test_stage_change_and_history(world, api) -> None:
    response = api(
        "POST", url(world, "/stage"), body={"to_stage": "onboarding", "reason": "Signed up"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["from_stage"] == "prospect"
    assert response.json()["changed_by"] == "owner@northwind.test"
    history = api("GET", url(world, "/stage-changes"), persona="partner_user").json()
    assert history["count"] == 1
    assert history["items"][0]["to_stage"] == "onboarding"
    assert history["items"][0]["reason"] == "Signed up"
    assert api("GET", url(world)).json()["stage"] == "onboarding"


def test_stage_errors_name_the_body_fields(world, api) -> None:
    same = api("POST", url(world, "/stage"), body={"to_stage": "prospect", "reason": "x"})
    assert same.status_code == 422
    assert same.json()["detail"] == [
        {
            "loc": ["body", "payload", "to_stage"],
            "msg": "The partnership is already at that stage.",
            "type": "value_error",
        }
    ]
    blank = api("POST", url(world, "/stage"), body={"to_stage": "active", "reason": " "})
    assert blank.json()["detail"][0]["loc"] == ["body", "payload", "reason"]


# --- notes ------------------------------------------------------------------------------


def test_private_notes_stay_on_their_side(world, api) -> None:
    host_private = api(
        "POST", url(world, "/notes"), body={"body": "HOST-SECRET margin", "visibility": "private"}
    )
    assert host_private.status_code == 201
    shared = api(
        "POST", url(world, "/notes"), body={"body": "Shared agenda", "visibility": "shared"}
    ).json()
    partner_private = api(
        "POST",
        url(world, "/notes"),
        persona="partner_user",
        body={"body": "PARTNER-SECRET doubts", "visibility": "private"},
    )
    assert partner_private.status_code == 201
    note = world.partnership.notes.get(code=shared["code"])
    services.comment_create(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        note=note,
        body="HOST-SECRET comment",
        visibility=Visibility.PRIVATE,
    )

    partner_notes = api("GET", url(world, "/notes"), persona="partner_user")
    partner_timeline = api("GET", url(world, "/timeline"), persona="partner_user")
    for response in (partner_notes, partner_timeline):
        assert "HOST-SECRET" not in response.content.decode()
    assert {n["body"] for n in partner_notes.json()["items"]} == {
        "Shared agenda",
        "PARTNER-SECRET doubts",
    }
    assert partner_notes.json()["count"] == 2
    assert all(
        e["side"] == "partner" or e["visibility"] == "shared"
        for e in partner_timeline.json()["items"]
    )

    host_notes = api("GET", url(world, "/notes"))
    assert "PARTNER-SECRET" not in host_notes.content.decode()
    shared_for_host = next(n for n in host_notes.json()["items"] if n["code"] == shared["code"])
    assert [c["body"] for c in shared_for_host["comments"]] == ["HOST-SECRET comment"]
    # The partner cannot even address the host's private note.
    response = api(
        "PATCH",
        url(world, f"/notes/{host_private.json()['code']}"),
        persona="partner_user",
        body={"visibility": "shared"},
    )
    assert response.status_code == 404


def test_sharing_a_private_note(world, api) -> None:
    note = api(
        "POST", url(world, "/notes"), body={"body": "Now you see it", "visibility": "private"}
    ).json()
    response = api("PATCH", url(world, f"/notes/{note['code']}"), body={"visibility": "shared"})
    assert response.status_code == 200
    assert response.json()["visibility"] == "shared"
    partner_notes = api("GET", url(world, "/notes"), persona="partner_user").json()["items"]
    assert [n["code"] for n in partner_notes] == [note["code"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "   ", "visibility": "shared"}, "body"),
        ({"body": "Hi"}, "visibility"),
        ({"body": "Hi", "visibility": "public"}, "visibility"),
    ],
)
def test_note_validation(world, api, body, field) -> None:
    response = api("POST", url(world, "/notes"), body=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


# --- agreements -------------------------------------------------------------------------


def test_agreement_propose_accept_end(world, api) -> None:
    proposed = api("POST", url(world, "/agreements"), body={"notice_days": 14})
    assert proposed.status_code == 201, proposed.content
    agreement = proposed.json()
    assert agreement["status"] == "proposed"
    assert agreement["text_version"] == 1
    assert agreement["proposed_by"] == "owner@northwind.test"
    base = f"/agreements/{agreement['code']}"

    stale = api(
        "POST", url(world, base + "/accept"), persona="partner_user", body={"text_version": 2}
    )
    assert stale.status_code == 422
    accepted = api(
        "POST", url(world, base + "/accept"), persona="partner_user", body={"text_version": 1}
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_by"] == "admin@acme.test"

    listed = api("GET", url(world, "/agreements"), persona="partner_user").json()
    assert [a["status"] for a in listed["items"]] == ["accepted"]

    no_reason = api("POST", url(world, base + "/end"), persona="partner_user", body={"reason": ""})
    assert no_reason.status_code == 422
    ended = api(
        "POST", url(world, base + "/end"), persona="partner_user", body={"reason": "Budget cut"}
    )
    assert ended.status_code == 200
    assert ended.json()["status"] == AgreementStatus.ENDED
    assert ended.json()["ended_side"] == "partner"
    assert api("GET", url(world)).json()["stage"] == "ended"


def test_agreement_of_another_partnership_is_404(world, api) -> None:
    other = services.agreement_propose(
        actor=world.actor("host_owner"),
        partnership=world.other_partnership,
        title="",
        terms="Terms",
        notice_days=30,
    )
    response = api(
        "POST",
        url(world, f"/agreements/{other.code}/accept"),
        persona="partner_user",
        body={"text_version": 1},
    )
    assert response.status_code == 404


# --- timeline ---------------------------------------------------------------------------


def test_timeline_is_paginated_newest_first(world, api) -> None:
    for i in range(7):
        api("POST", url(world, "/notes"), body={"body": f"note {i}", "visibility": "shared"})
    page = api("GET", url(world, "/timeline"), limit=5).json()
    assert page["count"] == 7
    assert len(page["items"]) == 5
    rest = api("GET", url(world, "/timeline"), limit=5, offset=5).json()
    assert len(rest["items"]) == 2
    assert page["items"][0]["created_at"] >= rest["items"][-1]["created_at"]
    assert page["items"][0]["actor"] == "owner@northwind.test"
