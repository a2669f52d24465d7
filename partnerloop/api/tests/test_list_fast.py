"""`GET /partnerships` builds its page from plain rows: the answer must stay, byte for byte,
what serializing model instances through `PartnershipOut` gives."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Case, F, Prefetch, When
from django.test import Client
from ninja.responses import NinjaJSONEncoder

from partnerloop.accounts.models import Membership, Organization, Role
from partnerloop.api.schemas import PartnershipOut
from partnerloop.api.selectors import PartnershipFilters, partnerships_matching
from partnerloop.partnerships.models import Partnership, PartnerType, Stage, Tag, Tier

# Token (1) + list stamp (1) + count (1) + page ids (1) + page rows (1) + the page's tags (1).
MAX_QUERIES = 6


@pytest.fixture
def mixed(world: Any) -> Any:
    """Hosted partnerships of every stage, tier, type, owner and tag count, programs the
    host joined as a partner, a name shared by two partners (the id breaks the tie) and an
    owner without an e-mail address."""
    no_email = User.objects.create_user(username="no-email-owner", email="")
    Membership.objects.create(user=no_email, organization=world.host, role=Role.MEMBER)
    owners = [None, world.host_owner, world.host_member, no_email]
    tags = Tag.objects.bulk_create(
        Tag(host=world.host, name=name) for name in ("emea", "Apac", "co-sell", "zeta")
    )
    orgs = Organization.objects.bulk_create(
        Organization(
            name="Twin Labs" if i in (3, 4) else f"Partner {(i * 7) % 30:02}",
            domain=f"partner{i}.test",
            website=f"https://partner{i}.test",
        )
        for i in range(30)
    )
    stages, tiers, types = list(Stage), list(Tier), list(PartnerType)
    hosted = Partnership.objects.bulk_create(
        Partnership(
            host=world.host,
            partner=org,
            stage=stages[i % len(stages)],
            tier=tiers[i % len(tiers)],
            partner_type=types[i % len(types)],
            host_owner=owners[i % len(owners)],
            description=f"Description {i}" + (" with analytics" if i % 3 == 0 else ""),
            version=1 + i % 4,
        )
        for i, org in enumerate(orgs[:24])
    )
    Through = Partnership.tags.through
    Through.objects.bulk_create(
        Through(partnership_id=p.pk, tag_id=tag.pk)
        for i, p in enumerate(hosted)
        for tag in tags[: i % 5]
    )
    # Programs our host joined: the other organization is the host, one with a partner owner.
    Partnership.objects.bulk_create(
        Partnership(
            host=org,
            partner=world.host,
            stage=stages[i % len(stages)],
            partner_owner=world.host_member if i % 2 else None,
            description="The host's private description",
        )
        for i, org in enumerate(orgs[24:])
    )
    return world


def old_answer(world: Any, persona: str, offset: int = 0, limit: int = 50, **query: str) -> str:
    """The answer as ninja's `@paginate` + response validation built it from model instances."""
    actor = world.actor(persona)
    org = actor.organization
    qs = (
        partnerships_matching(
            actor=actor,
            filters=PartnershipFilters(
                q=query.get("q", "").strip(),
                stage=query.get("stage", ""),
                tier=query.get("tier", ""),
                partner_type=query.get("type", ""),
                side=query.get("side", ""),
                tag=query.get("tag", "").strip(),
            ),
        )
        .annotate(other_name=Case(When(host=org, then=F("partner__name")), default=F("host__name")))
        .order_by("other_name", "id")
        .select_related("host", "partner", "host_owner", "partner_owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
    )
    context = {"request": SimpleNamespace(auth=actor)}
    items = [
        PartnershipOut.model_validate(p, context=context).model_dump()
        for p in qs[offset : offset + limit]
    ]
    return json.dumps({"items": items, "count": qs.count()}, cls=NinjaJSONEncoder)


QUERIES: list[dict[str, Any]] = [
    {},
    {"limit": 7},
    {"limit": 7, "offset": 7},
    {"limit": 100, "offset": 25},
    {"offset": 31},
    {"offset": 500},
    {"q": "partner 1"},
    {"q": "  ANALYTICS "},
    {"q": "partner25.test"},
    {"q": "northwind"},
    {"q": "twin"},
    {"stage": "active"},
    {"tier": "none"},
    {"tier": "gold", "type": "reseller"},
    {"type": "technology", "limit": 3, "offset": 1},
    {"side": "host", "limit": 10},
    {"side": "partner"},
    {"tag": "emea"},
    {"tag": " co-sell ", "limit": 2, "offset": 1},
    {"tag": "zeta", "side": "partner"},
    {"tag": "nope"},
    {"q": "partner", "stage": "prospect", "side": "host", "tag": "emea"},
]


@pytest.mark.parametrize("persona", ["host_owner", "partner_user", "other_host"])
@pytest.mark.parametrize("query", QUERIES)
def test_list_answers_exactly_what_the_schema_built(mixed, api, persona, query) -> None:
    response = api("GET", "/partnerships", persona=persona, **query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content.decode() == old_answer(mixed, persona, **query)


def test_list_items_are_the_detail_answers(mixed, api) -> None:
    data = api("GET", "/partnerships", limit=100).json()
    assert data["count"] == 32
    sides = {item["side"] for item in data["items"]}
    owners = {item["host_owner"] for item in data["items"]}
    assert sides == {"host", "partner"}
    assert {None, "owner@northwind.test", "no-email-owner"} <= owners
    assert any(i["host_details"] and len(i["host_details"]["tags"]) == 4 for i in data["items"])
    for item in data["items"]:
        assert item == api("GET", f"/partnerships/{item['code']}").json()


def test_twins_are_sorted_by_id(mixed, api) -> None:
    twins = [i["code"] for i in api("GET", "/partnerships", q="twin").json()["items"]]
    expected = Partnership.objects.filter(partner__name="Twin Labs").order_by("id")
    assert twins == [p.code for p in expected]


@pytest.mark.parametrize("persona", ["host_owner", "partner_user"])
def test_list_page_has_a_fixed_number_of_queries(
    mixed, api, django_assert_max_num_queries, persona: str
) -> None:
    api("GET", "/partnerships", persona=persona)  # the first use of a token records it
    with django_assert_max_num_queries(MAX_QUERIES):
        response = api("GET", "/partnerships", persona=persona, limit=100)
    assert response.status_code == 200
    # Past the end: no page to read.
    with django_assert_max_num_queries(3):
        response = api("GET", "/partnerships", persona=persona, offset=100)
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"stage": "nope"}, "stage"),
        ({"tier": "bronze"}, "tier"),
        ({"type": "nope"}, "type"),
        ({"side": "both"}, "side"),
        ({"q": "x" * 101}, "q"),
        ({"tag": "t" * 61}, "tag"),
    ],
)
def test_list_refuses_bad_queries_as_before(world, api, query, field) -> None:
    response = api("GET", "/partnerships", **query)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


def test_list_without_token_is_401(world) -> None:
    response = Client().get("/api/v1/partnerships")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_openapi_declares_the_paged_schema(db) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/partnerships"]["get"]
    assert [p["name"] for p in operation["parameters"]] == [
        "q",
        "stage",
        "tier",
        "type",
        "side",
        "tag",
        "limit",
        "offset",
    ]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PagedPartnershipOut"}
    paged = schema["components"]["schemas"]["PagedPartnershipOut"]
    assert paged["required"] == ["items", "count"]
    assert paged["properties"]["items"]["items"] == {"$ref": "#/components/schemas/PartnershipOut"}
    assert "description" not in paged
    assert set(operation["responses"]) == {"200", "401", "422"}
