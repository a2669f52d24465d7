"""My inbox in the JSON API: only my own prompts, unread filter, read, acted, read-all."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.partnerships.models import Side
from partnerloop.prompts.models import Prompt, PromptKind

PR = "/api/v1/prompts"


def call(world: World, persona: str, method: str, path: str, **query: Any) -> Any:
    headers = headers_for(world, persona)
    if method == "GET":
        return Client().get(PR + path, query, headers=headers)
    return Client().generic(method, PR + path, json.dumps({}), "application/json", headers=headers)


def prompt(world: World, persona: str, key: str, **fields: Any) -> Prompt:
    user = getattr(world, persona)
    host_side = persona.startswith("host")
    return Prompt.objects.create(
        dedupe_key=f"test:{key}",
        kind=fields.pop("kind", PromptKind.CADENCE),
        partnership=world.partnership,
        recipient=user,
        organization=world.host if host_side else world.partner,
        side=Side.HOST if host_side else Side.PARTNER,
        title=fields.pop("title", f"Prompt {key}"),
        action=fields.pop("action", "check_in"),
        **fields,
    )


@pytest.fixture
def inbox(world: World) -> dict[str, Prompt]:
    with time_machine.travel("2026-12-01 08:00:00Z", tick=False) as clock:
        made = {}
        for key, persona, extra in [
            ("one", "host_owner", {}),
            ("two", "host_owner", {"kind": PromptKind.MILESTONE, "celebration": True}),
            ("three", "host_owner", {}),
            ("member", "host_member", {}),
            ("partner", "partner_user", {"title": "Review with Northwind"}),
        ]:
            clock.shift(60)
            made[key] = prompt(world, persona, key, **extra)
        Prompt.objects.filter(pk=made["three"].pk).update(read_at="2026-12-01T09:00:00Z")
    return made


def test_my_inbox_holds_my_own_prompts_newest_first(world: World, inbox: dict[str, Prompt]) -> None:
    body = call(world, "host_owner", "GET", "/inbox").json()
    assert body["count"] == 3
    assert [p["code"] for p in body["items"]] == [inbox[k].code for k in ("three", "two", "one")]
    first = body["items"][2]
    assert (first["partnership"], first["with_organization"], first["side"]) == (
        world.partnership.code,
        "Acme Integrations",
        "host",
    )
    assert first["web_url"] == f"/o/{world.host.code}/prompts/{inbox['one'].code}/"
    unread = call(world, "host_owner", "GET", "/inbox", unread="true").json()
    assert [p["code"] for p in unread["items"]] == [inbox["two"].code, inbox["one"].code]
    theirs = call(world, "partner_user", "GET", "/inbox").json()["items"]
    assert [(p["title"], p["with_organization"]) for p in theirs] == [
        ("Review with Northwind", "Northwind Analytics")
    ]
    assert call(world, "other_host", "GET", "/inbox").json() == {"items": [], "count": 0}


@time_machine.travel("2026-12-02 10:00:00Z", tick=False)
def test_read_and_acted(world: World, inbox: dict[str, Prompt]) -> None:
    read = call(world, "host_owner", "POST", f"/inbox/{inbox['one'].code}/read").json()
    assert (read["read_at"], read["acted_at"]) == ("2026-12-02T10:00:00Z", None)
    # A celebration read counts as followed.
    party = call(world, "host_owner", "POST", f"/inbox/{inbox['two'].code}/read").json()
    assert party["acted_at"] == "2026-12-02T10:00:00Z"
    acted = call(world, "host_owner", "POST", f"/inbox/{inbox['one'].code}/acted").json()
    assert (acted["read_at"], acted["acted_at"]) == ("2026-12-02T10:00:00Z", "2026-12-02T10:00:00Z")
    with time_machine.travel("2026-12-03 10:00:00Z", tick=False):
        again = call(world, "host_owner", "POST", f"/inbox/{inbox['one'].code}/acted").json()
    assert again["acted_at"] == "2026-12-02T10:00:00Z"
    # Someone else's prompt is a 404, whoever asks.
    for persona in ("host_member", "partner_user", "other_host"):
        for action in ("read", "acted"):
            response = call(world, persona, "POST", f"/inbox/{inbox['three'].code}/{action}")
            assert response.status_code == 404
    assert Prompt.objects.get(pk=inbox["member"].pk).read_at is None


def test_read_all_marks_only_mine(world: World, inbox: dict[str, Prompt]) -> None:
    assert call(world, "host_owner", "POST", "/inbox/read-all").json() == {"marked": 2}
    assert call(world, "host_owner", "POST", "/inbox/read-all").json() == {"marked": 0}
    assert Prompt.objects.filter(read_at__isnull=True).count() == 2  # member's, partner's


def test_the_inbox_is_flat_in_queries(world: World, django_assert_max_num_queries) -> None:
    for i in range(3):
        prompt(world, "host_owner", f"few{i}")
    headers = headers_for(world, "host_owner")
    client = Client()
    client.get(PR + "/inbox", headers=headers)
    with django_assert_max_num_queries(3) as few:
        assert client.get(PR + "/inbox", headers=headers).json()["count"] == 3
    for i in range(60):
        prompt(world, "host_owner", f"many{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(PR + "/inbox?limit=100", headers=headers).json()
    assert body["count"] == 63 and len(body["items"]) == 63
