"""A partnership's reviews and joint events, and its check-ins, in the JSON API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.partnerships.models import TimelineEvent, Visibility
from partnerloop.prompts import events, services
from partnerloop.prompts.models import CheckIn, Event

PR = "/api/v1/prompts"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        yield


def call(world: World, persona: str, method: str, path: str, body: Any = None, **query: Any) -> Any:
    headers = headers_for(world, persona)
    if method == "GET":
        return Client().get(PR + path, query, headers=headers)
    return Client().generic(
        method, PR + path, json.dumps(body or {}), "application/json", headers=headers
    )


def events_path(world: World) -> str:
    return f"/partnerships/{world.partnership.code}/events"


def propose(world: World, persona: str = "partner_user", **body: Any) -> dict[str, Any]:
    response = call(
        world,
        persona,
        "POST",
        events_path(world),
        {
            "kind": "review",
            "title": "Quarterly review",
            "starts_at": "2026-12-10T15:00:00Z",
            "ends_at": "2026-12-10T16:00:00Z",
            **body,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_propose_confirm_and_list(world: World) -> None:
    proposed = propose(world, place="Video call", host_attendees="Dana")
    assert (proposed["status"], proposed["side"], proposed["version"]) == ("proposed", "partner", 1)
    assert proposed["created_by"] == "admin@acme.test"
    path = f"{events_path(world)}/{proposed['code']}"
    confirmed = call(world, "host_member", "POST", path + "/confirm")
    assert confirmed.status_code == 200
    assert (confirmed.json()["status"], confirmed.json()["confirmed_at"]) == (
        "confirmed",
        "2026-12-01T10:00:00Z",
    )
    again = call(world, "host_member", "POST", path + "/confirm")
    assert again.status_code == 422 and "already confirmed" in again.json()["detail"][0]["msg"]
    assert TimelineEvent.objects.filter(kind="event_confirmed").count() == 1
    listed = call(world, "host_viewer", "GET", events_path(world)).json()
    assert [(e["code"], e["status"]) for e in listed["items"]] == [(proposed["code"], "confirmed")]


def test_bad_events_say_what_to_fix(world: World) -> None:
    base = {"kind": "review", "title": "Review"}
    naive = call(
        world, "host_owner", "POST", events_path(world), {**base, "starts_at": "2026-12-10T15:00"}
    )
    assert naive.status_code == 422  # a time without a time zone is ambiguous
    backwards = call(
        world,
        "host_owner",
        "POST",
        events_path(world),
        {**base, "starts_at": "2026-12-10T15:00:00Z", "ends_at": "2026-12-10T14:00:00Z"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["body", "payload", "ends_at"]
    viewer = call(
        world, "host_viewer", "POST", events_path(world), {**base, "starts_at": "2026-12-10T15:00Z"}
    )
    assert viewer.status_code == 403
    assert not Event.objects.exists()


def test_edit_with_version_moves_a_confirmed_event_back_to_proposed(world: World) -> None:
    proposed = propose(world)
    path = f"{events_path(world)}/{proposed['code']}"
    call(world, "host_owner", "POST", path + "/confirm")
    # Confirming made it version 2; a place change keeps it confirmed.
    placed = call(world, "partner_user", "PATCH", path, {"version": 2, "place": "Berlin"})
    assert placed.status_code == 200, placed.content
    assert (placed.json()["status"], placed.json()["place"], placed.json()["version"]) == (
        "confirmed",
        "Berlin",
        3,
    )
    assert placed.json()["title"] == "Quarterly review"
    moved = call(
        world,
        "partner_user",
        "PATCH",
        path,
        {"version": 3, "starts_at": "2026-12-11T15:00:00Z", "ends_at": None},
    )
    body = moved.json()
    assert (body["status"], body["confirmed_at"], body["ends_at"], body["version"]) == (
        "proposed",
        None,
        None,
        4,
    )
    stale = call(world, "host_owner", "PATCH", path, {"version": 3, "title": "Late"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 4
    assert Event.objects.get(code=proposed["code"]).title == "Quarterly review"


def test_cancel_and_the_upcoming_filter(world: World) -> None:
    kept = propose(world, title="Kept")
    dropped = propose(world, title="Dropped", starts_at="2026-12-05T09:00:00Z", ends_at=None)
    past = events.event_create(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        data=events.EventData(kind="joint_event", title="Past", starts_at=_at("2026-11-01")),
    )
    path = f"{events_path(world)}/{dropped['code']}/cancel"
    assert call(world, "host_owner", "POST", path).json()["status"] == "cancelled"
    assert call(world, "host_owner", "POST", path).status_code == 422
    every = call(world, "partner_member", "GET", events_path(world)).json()["items"]
    assert [e["title"] for e in every] == ["Past", "Dropped", "Kept"]
    upcoming = call(world, "partner_member", "GET", events_path(world), upcoming="true").json()
    assert [e["code"] for e in upcoming["items"]] == [kept["code"]]
    assert past.code not in json.dumps(upcoming)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


def test_another_tenants_events_are_404(world: World) -> None:
    proposed = propose(world)
    foreign = events.event_create(
        actor=world.actor("other_host"),
        partnership=world.foreign_partnership,
        data=events.EventData(kind="review", title="Initech review", starts_at=_at("2026-12-20")),
    )
    path = f"{events_path(world)}/{proposed['code']}"
    for persona in ("other_partner", "other_host"):
        assert call(world, persona, "GET", events_path(world)).status_code == 404
        assert call(world, persona, "POST", path + "/confirm").status_code == 404
        assert call(world, persona, "PATCH", path, {"version": 1, "title": "x"}).status_code == 404
    # An event of another partnership, named under ours, is a 404 too.
    wrong = f"{events_path(world)}/{foreign.code}/confirm"
    assert call(world, "host_owner", "POST", wrong).status_code == 404
    assert call(world, "partner_user", "POST", wrong).status_code == 404
    assert Event.objects.get(pk=foreign.pk).status == "proposed"


# --- check-ins ---------------------------------------------------------------------------


def check_ins_path(world: World) -> str:
    return f"/partnerships/{world.partnership.code}/check-ins"


def test_submit_and_list_what_each_side_may_see(world: World) -> None:
    mine = call(
        world,
        "partner_member",
        "POST",
        check_ins_path(world),
        {"rating": 2, "blockers": "No leads yet", "visibility": "private"},
    )
    assert mine.status_code == 201, mine.content
    assert (mine.json()["side"], mine.json()["visibility"], mine.json()["rating"]) == (
        "partner",
        "private",
        2,
    )
    with time_machine.travel("2026-12-01 11:00:00Z", tick=False):
        shared = call(
            world,
            "host_owner",
            "POST",
            check_ins_path(world),
            {"rating": 4, "worked": "The webinar", "next_step": "Send the deck"},
        )
    assert shared.json()["visibility"] == "shared"
    assert shared.json()["author"] == "owner@northwind.test"
    partner = call(world, "partner_user", "GET", check_ins_path(world)).json()
    assert [c["rating"] for c in partner["items"]] == [4, 2]
    host = call(world, "host_viewer", "GET", check_ins_path(world)).json()
    assert host["count"] == 1 and "No leads yet" not in json.dumps(host)
    assert call(world, "other_partner", "GET", check_ins_path(world)).status_code == 404


def test_a_check_in_says_what_to_fix(world: World) -> None:
    bad = call(world, "host_owner", "POST", check_ins_path(world), {"rating": 7})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "payload", "rating"]
    assert "from 1 (badly) to 5 (great)" in bad.json()["detail"][0]["msg"]
    viewer = call(world, "host_viewer", "POST", check_ins_path(world), {"rating": 3})
    assert viewer.status_code == 403
    assert not CheckIn.objects.exists()


def test_check_ins_are_flat_in_queries(world: World, django_assert_max_num_queries) -> None:
    headers = headers_for(world, "host_owner")
    client = Client()
    url = PR + check_ins_path(world) + "?limit=100"

    def add(count: int) -> None:
        for i in range(count):
            services.check_in_submit(
                actor=world.actor("partner_user" if i % 2 else "host_member"),
                partnership=world.partnership,
                rating=3,
                visibility=Visibility.SHARED,
            )

    add(2)
    client.get(url, headers=headers)
    with django_assert_max_num_queries(4) as few:
        assert client.get(url, headers=headers).json()["count"] == 2
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url, headers=headers).json()["count"] == 32
