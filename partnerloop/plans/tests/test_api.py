"""Plans in the JSON API: reading the plan, adding, editing (409), done, split, playbooks."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import time_machine
from django.test import Client

from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.partnerships.models import Visibility
from partnerloop.plans import services
from partnerloop.plans.models import PlanStep

PL = "/api/v1/plans"


def call(world: World, persona: str, method: str, path: str, body: Any = None) -> Any:
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return Client().generic(
        method,
        PL + path,
        "" if body is None else json.dumps(body),
        headers=headers_for(world, persona),
        **kwargs,
    )


def start(world: World) -> str:
    services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    return world.partnership.code


def test_plan_before_start_is_empty(world: World) -> None:
    body = call(world, "partner_user", "GET", f"/partnerships/{world.partnership.code}").json()
    assert body == {"started": False, "playbook_name": "", "steps": [], "milestones": []}


def test_read_the_plan_without_the_other_sides_private_steps(world: World) -> None:
    code = start(world)
    services.step_add(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        title="Internal check",
        phase="start",
        owner_side="host",
        effort="tiny",
        visibility=Visibility.PRIVATE,
    )
    host = call(world, "host_viewer", "GET", f"/partnerships/{code}").json()
    partner = call(world, "partner_member", "GET", f"/partnerships/{code}").json()
    assert len(host["steps"]) == 13 and len(partner["steps"]) == 12
    assert "Internal check" not in json.dumps(partner)
    assert partner["steps"][0]["key"] == "agreement_accepted"


@time_machine.travel("2026-12-03 10:00:00Z", tick=False)
def test_add_edit_conflict_done_milestone_split(world: World) -> None:
    code = start(world)
    added = call(
        world,
        "partner_user",
        "POST",
        f"/partnerships/{code}/steps",
        {"title": "Send logos", "phase": "start", "owner_side": "partner", "effort": "tiny"},
    )
    assert added.status_code == 201
    step = added.json()
    assert step["visibility"] == "shared" and step["version"] == 1
    path = f"/partnerships/{code}/steps/{step['code']}"
    ok = call(world, "host_member", "PATCH", path, {"version": 1, "title": "Send the logo pack"})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = call(world, "partner_user", "PATCH", path, {"version": 1, "title": "Mine"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert PlanStep.objects.get(code=step["code"]).title == "Send the logo pack"
    bad = call(world, "partner_user", "PATCH", path, {"version": 2, "effort": "huge"})
    assert bad.status_code == 422
    unknown = call(world, "partner_user", "PATCH", path, {"version": 2, "status": "done"})
    assert unknown.status_code == 422

    revenue = PlanStep.objects.get(partnership=world.partnership, key="first_revenue")
    done = call(
        world,
        "partner_user",
        "POST",
        f"/partnerships/{code}/steps/{revenue.code}/done",
        {"evidence": "PO 1"},
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = call(
        world, "partner_user", "POST", f"/partnerships/{code}/steps/{revenue.code}/done", {}
    )
    assert again.status_code == 422
    plan = call(world, "host_owner", "GET", f"/partnerships/{code}").json()
    assert plan["milestones"] == [
        {"key": "first_revenue", "title": "First revenue", "reached_on": "2026-12-03"}
    ]

    event = PlanStep.objects.get(partnership=world.partnership, key="joint_event")
    split = call(
        world,
        "host_owner",
        "POST",
        f"/partnerships/{code}/steps/{event.code}/split",
        {"titles": ["Pick a date", "Book a room"], "version": 1},
    )
    assert split.status_code == 201
    parts = split.json()
    assert [p["effort"] for p in parts] == ["medium", "medium"]
    assert {p["split_from"] for p in parts} == {event.code}
    too_few = call(
        world,
        "host_owner",
        "POST",
        f"/partnerships/{code}/steps/{parts[0]['code']}/split",
        {"titles": ["Only one"]},
    )
    assert too_few.status_code == 422
    plan = call(world, "partner_user", "GET", f"/partnerships/{code}").json()
    skipped = next(s for s in plan["steps"] if s["code"] == event.code)
    assert skipped["status"] == "skipped"


def test_other_tenants_and_due_dates(world: World) -> None:
    code = start(world)
    assert call(world, "other_host", "GET", f"/partnerships/{code}").status_code == 404
    step = PlanStep.objects.filter(partnership=world.partnership).first()
    response = call(
        world,
        "other_partner",
        "POST",
        f"/partnerships/{code}/steps/{step.code}/done",
        {},
    )
    assert response.status_code == 404
    patched = call(
        world,
        "host_owner",
        "PATCH",
        f"/partnerships/{code}/steps/{step.code}",
        {"version": 1, "due_on": "2027-02-01"},
    )
    assert patched.json()["due_on"] == "2027-02-01"
    assert PlanStep.objects.get(pk=step.pk).due_on == date(2027, 2, 1)


def test_playbooks(world: World) -> None:
    assert call(world, "host_viewer", "GET", "/playbooks").json() == []
    services.ensure_default_playbook(world.host)
    body = call(world, "host_viewer", "GET", "/playbooks").json()
    assert len(body) == 1 and body[0]["is_default"]
    assert [s["key"] for s in body[0]["steps"]][-1] == "tier_review"
    assert call(world, "partner_user", "GET", "/playbooks").json() == []


def test_plan_read_query_count_is_flat(world: World, django_assert_max_num_queries: Any) -> None:
    code = start(world)
    headers = headers_for(world, "partner_user")
    client = Client()
    client.get(f"{PL}/partnerships/{code}", headers=headers)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(f"{PL}/partnerships/{code}", headers=headers)
    for step in list(PlanStep.objects.filter(partnership=world.partnership))[:5]:
        services.step_split(actor=world.actor("host_owner"), step=step, titles=["a", "b", "c"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"{PL}/partnerships/{code}", headers=headers)
    assert len(response.json()["steps"]) == 27
