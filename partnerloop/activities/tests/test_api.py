"""Activities in the JSON API and the CSV exports: privacy, outcomes, 409s, query counts."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from partnerloop.activities import services
from partnerloop.activities.models import Activity, ActivityComment, Outcome
from partnerloop.api.models import TokenScope
from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Visibility
from partnerloop.plans.services import plan_start, step_add

A = "/api/v1/activities"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        yield


def call(
    world: World,
    persona: str,
    method: str,
    path: str,
    body: Any = None,
    scope: str = TokenScope.READ_WRITE,
    **query: Any,
) -> Any:
    headers = headers_for(world, persona, scope)
    if method == "GET":
        return Client().get(A + path, query, headers=headers)
    return Client().generic(
        method,
        A + path,
        json.dumps(body if body is not None else {}),
        content_type="application/json",
        headers=headers,
    )


def log(
    actor: Actor,
    partnership: Partnership,
    title: str,
    on: date,
    kind: str = "campaign",
    visibility: str = Visibility.SHARED,
    **fields: Any,
) -> Activity:
    return services.activity_log(
        actor=actor,
        partnership=partnership,
        kind=kind,
        title=title,
        happened_on=on,
        visibility=visibility,
        **fields,
    )


@pytest.fixture
def logged(world: World) -> dict[str, Activity]:
    """Activities on both sides of three partnerships.

    world.partnership (Northwind hosts Acme): A shared (host), B private (host),
    C private (partner), D shared (partner). other_partnership (Northwind hosts Globex):
    E shared (host). foreign_partnership (Initech hosts Acme): F shared, G private (host).
    """
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    other_host = world.actor("other_host")
    p = world.partnership
    return {
        "A": log(host, p, "A joint newsletter", date(2026, 11, 2)),
        "B": log(host, p, "B internal review", date(2026, 11, 10), "meeting", "private"),
        "C": log(partner, p, "C our pipeline check", date(2026, 11, 5), "meeting", "private"),
        "D": log(partner, p, "D sales training", date(2026, 10, 1), "enablement"),
        "E": log(host, world.other_partnership, "E Globex webinar", date(2026, 9, 15)),
        "F": log(other_host, world.foreign_partnership, "F Initech event", date(2026, 8, 1)),
        "G": log(
            other_host,
            world.foreign_partnership,
            "G Initech notes",
            date(2026, 7, 1),
            "meeting",
            "private",
        ),
    }


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"][0] for item in response.json()["items"]]


def test_each_organization_lists_what_it_may_see_and_counts_nothing_else(
    world: World, logged: dict[str, Activity]
) -> None:
    host = call(world, "host_owner", "GET", "")
    assert titles(host) == ["B", "A", "D", "E"] and host.json()["count"] == 4
    # Acme is the partner of two hosts: both partnerships, without either host's private ones.
    partner = call(world, "partner_member", "GET", "")
    assert titles(partner) == ["C", "A", "D", "F"] and partner.json()["count"] == 4
    assert titles(call(world, "other_partner", "GET", "")) == ["E"]
    assert titles(call(world, "other_host", "GET", "")) == ["F", "G"]


def test_list_filters(world: World, logged: dict[str, Activity]) -> None:
    code = world.partnership.code
    assert titles(call(world, "partner_user", "GET", "", partnership=code)) == ["C", "A", "D"]
    assert titles(call(world, "host_owner", "GET", "", kind="meeting")) == ["B"]
    assert titles(call(world, "host_owner", "GET", "", since="2026-10-01", until="2026-11-05")) == [
        "A",
        "D",
    ]
    assert call(world, "host_owner", "GET", "", kind="party").status_code == 422
    # Another partner's partnership, or another host's, is a 404 in the filter too.
    other = world.other_partnership.code
    assert call(world, "partner_user", "GET", "", partnership=other).status_code == 404
    foreign = world.foreign_partnership.code
    assert call(world, "host_owner", "GET", "", partnership=foreign).status_code == 404


def test_get_shows_both_outcomes_and_comments(world: World, logged: dict[str, Activity]) -> None:
    a = logged["A"]
    services.outcome_record(
        actor=world.actor("host_owner"), activity=a, result="worked", leads=12, pipeline="25000"
    )
    services.outcome_record(
        actor=world.actor("partner_user"), activity=a, result="didnt", notes="Wrong market."
    )
    services.comment_add(actor=world.actor("partner_user"), activity=a, body="Let's talk.")
    body = call(world, "partner_member", "GET", f"/{a.code}").json()
    assert body["partnership"] == world.partnership.code
    assert body["side"] == "host" and body["version"] == 1
    assert body["created_by"] == "owner@northwind.test"
    host_view, partner_view = body["outcomes"]["host"], body["outcomes"]["partner"]
    assert (host_view["result"], host_view["leads"], host_view["pipeline"]) == (
        "worked",
        12,
        "25000.00",
    )
    assert (partner_view["result"], partner_view["notes"]) == ("didnt", "Wrong market.")
    assert body["disagree"] is True
    assert [(c["side"], c["body"]) for c in body["comments"]] == [("partner", "Let's talk.")]


def test_private_and_foreign_activities_answer_404(
    world: World, logged: dict[str, Activity]
) -> None:
    cases = [
        ("partner_user", "B"),  # the host's private one
        ("host_member", "C"),  # the partner's private one
        ("other_partner", "A"),  # another partner's partnership
        ("other_host", "A"),  # another host
        ("host_owner", "F"),  # Initech's partnership with our partner
        ("partner_user", "G"),  # Initech's private one
    ]
    for persona, name in cases:
        code = logged[name].code
        for method, path, body in [
            ("GET", f"/{code}", None),
            ("PATCH", f"/{code}", {"version": 1, "title": "Mine"}),
            ("PUT", f"/{code}/outcome", {"result": "worked"}),
            ("POST", f"/{code}/comments", {"body": "Hello"}),
        ]:
            response = call(world, persona, method, path, body)
            assert response.status_code == 404, (persona, name, method)
            assert "C our pipeline" not in response.content.decode()
    assert not Outcome.objects.exists() and not ActivityComment.objects.exists()


def test_log_edit_and_a_stale_edit(world: World) -> None:
    code = world.partnership.code
    logged = call(
        world,
        "partner_user",
        "POST",
        f"/partnerships/{code}",
        {
            "kind": "joint_event",
            "title": "Webinar on data quality",
            "happened_on": "2026-11-20",
            "partner_people": "Sam Okafor\nLena Fischer",
        },
    )
    assert logged.status_code == 201, logged.content
    activity = logged.json()
    assert (activity["side"], activity["visibility"], activity["version"]) == (
        "partner",
        "shared",
        1,
    )
    path = f"/{activity['code']}"
    # The host did not log it: it comments instead.
    refused = call(world, "host_owner", "PATCH", path, {"version": 1, "title": "Ours"})
    assert refused.status_code == 403
    saved = call(
        world, "partner_member", "PATCH", path, {"version": 1, "title": "Webinar", "kind": None}
    )
    assert saved.status_code == 200, saved.content
    assert (saved.json()["title"], saved.json()["kind"], saved.json()["version"]) == (
        "Webinar",
        "joint_event",
        2,
    )
    assert saved.json()["partner_people"] == "Sam Okafor\nLena Fischer"
    stale = call(world, "partner_user", "PATCH", path, {"version": 1, "title": "Late"})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert Activity.objects.get(code=activity["code"]).title == "Webinar"
    empty = call(world, "partner_user", "PATCH", path, {"version": 2, "title": "  "})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "payload", "title"]
    assert "Say in a few words" in empty.json()["detail"][0]["msg"]
    typo = call(world, "partner_user", "PATCH", path, {"version": 2, "titel": "x"})
    assert typo.status_code == 422


def test_log_refuses_bad_input_and_viewers(world: World) -> None:
    path = f"/partnerships/{world.partnership.code}"
    bad = call(world, "host_owner", "POST", path, {"kind": "party", "title": "x"})
    assert bad.status_code == 422
    far = call(
        world,
        "host_owner",
        "POST",
        path,
        {"kind": "campaign", "title": "Far away", "happened_on": "2029-01-01"},
    )
    assert far.status_code == 422 and "two years" in far.json()["detail"][0]["msg"]
    body = {"kind": "campaign", "title": "Viewed", "happened_on": "2026-11-01"}
    assert call(world, "host_viewer", "POST", path, body).status_code == 403
    read_only = call(world, "host_owner", "POST", path, body, scope=TokenScope.READ)
    assert read_only.status_code == 403
    assert not Activity.objects.exists()


def test_linked_steps_private_to_the_logging_side_stay_hidden(world: World) -> None:
    host = world.actor("host_owner")
    plan_start(actor=host, partnership=world.partnership)
    shared_step = world.partnership.plan_steps.get(key="first_campaign")
    private_step = step_add(
        actor=host,
        partnership=world.partnership,
        title="Check their sales capacity",
        phase="engage",
        owner_side="host",
        effort="tiny",
        visibility=Visibility.PRIVATE,
    )
    activity = log(
        host,
        world.partnership,
        "Campaign kick-off",
        date(2026, 11, 20),
        plan_steps=[shared_step.code, private_step.code],
    )
    mine = call(world, "host_owner", "GET", f"/{activity.code}").json()
    theirs = call(world, "partner_user", "GET", f"/{activity.code}").json()
    assert {s["code"] for s in mine["plan_steps"]} == {shared_step.code, private_step.code}
    assert [s["code"] for s in theirs["plan_steps"]] == [shared_step.code]
    listed = call(world, "partner_user", "GET", "").json()["items"][0]
    assert [s["code"] for s in listed["plan_steps"]] == [shared_step.code]
    page = world.client("partner_user").get(
        f"/o/{world.partner.code}/p/{world.partnership.code}/activities/{activity.code}/"
    )
    assert page.status_code == 200
    assert "Check their sales capacity" not in page.content.decode()
    csv_text = export(world, "partner_user")
    assert "Check their sales capacity" not in csv_text and shared_step.title in csv_text


def test_record_my_sides_outcome_with_version(world: World, logged: dict[str, Activity]) -> None:
    path = f"/{logged['A'].code}/outcome"
    first = call(world, "partner_user", "PUT", path, {"result": "pending"})
    assert first.status_code == 200, first.content
    assert (first.json()["side"], first.json()["version"]) == ("partner", 1)
    second = call(
        world,
        "partner_member",
        "PUT",
        path,
        {"result": "worked", "leads": 3, "revenue": "1200.50", "version": 1},
    )
    assert second.status_code == 200
    assert (second.json()["version"], second.json()["revenue"]) == (2, "1200.50")
    stale = call(world, "partner_user", "PUT", path, {"result": "didnt", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    negative = call(world, "partner_user", "PUT", path, {"result": "worked", "leads": -1})
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "payload", "leads"]
    unknown = call(world, "partner_user", "PUT", path, {"result": "great"})
    assert unknown.status_code == 422
    # The host's view is its own: recording it leaves the partner's as it was.
    assert call(world, "host_member", "PUT", path, {"result": "mixed"}).json()["version"] == 1
    views = dict(Outcome.objects.filter(activity=logged["A"]).values_list("side", "result"))
    assert views == {"partner": "worked", "host": "mixed"}
    assert call(world, "host_viewer", "PUT", path, {"result": "worked"}).status_code == 403


def test_comment(world: World, logged: dict[str, Activity]) -> None:
    path = f"/{logged['D'].code}/comments"
    created = call(world, "host_member", "POST", path, {"body": " Worth repeating. "})
    assert created.status_code == 201
    assert (created.json()["side"], created.json()["body"]) == ("host", "Worth repeating.")
    assert created.json()["author"] == "member@northwind.test"
    assert call(world, "host_member", "POST", path, {"body": " "}).status_code == 422
    assert call(world, "host_viewer", "POST", path, {"body": "Hi"}).status_code == 403


def test_what_works_for_the_host(world: World) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(tier="gold")
    world.partnership.refresh_from_db()
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    p = world.partnership
    one = log(host, p, "Campaign one", date(2026, 10, 1))
    two = log(host, p, "Campaign two", date(2026, 10, 8))
    sync = log(partner, p, "Sync", date(2026, 10, 9), "meeting")
    hidden = log(partner, p, "Their own test", date(2026, 10, 9), "campaign", "private")
    for actor, activity, result in [
        (host, one, "worked"),
        (partner, one, "didnt"),
        (host, two, "mixed"),
        (partner, two, "pending"),  # pending: not counted
        (partner, sync, "worked"),
        (partner, hidden, "worked"),  # the partner's private activity: not the host's to count
    ]:
        services.outcome_record(actor=actor, activity=activity, result=result)
    body = call(world, "host_viewer", "GET", "/what-works").json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    # Campaigns: worked, didnt, mixed settled; one worked: 1/3.
    assert kinds["campaign"]["overall"] == {"worked": 1, "settled": 3, "rate": 0.3333}
    assert kinds["meeting"]["overall"] == {"worked": 1, "settled": 1, "rate": 1.0}
    assert kinds["enablement"]["overall"] == {"worked": 0, "settled": 0, "rate": None}
    gold = next(t for t in kinds["campaign"]["by_tier"] if t["key"] == "gold")
    assert (gold["worked"], gold["settled"]) == (1, 3)
    no_fit = next(b for b in kinds["campaign"]["by_band"] if b["key"] == "")
    assert (no_fit["label"], no_fit["settled"]) == ("No fit yet", 3)
    # The partner organization hosts nothing: zeros, and nothing of the host's.
    theirs = call(world, "partner_user", "GET", "/what-works").json()
    assert all(k["overall"]["settled"] == 0 for k in theirs["kinds"])


def test_the_list_is_flat_in_queries(world: World, django_assert_max_num_queries) -> None:
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    plan_start(actor=host, partnership=world.partnership)
    steps = [s.code for s in world.partnership.plan_steps.all()[:3]]

    def add(count: int) -> None:
        for i in range(count):
            a = log(host, world.partnership, f"Campaign {i}", date(2026, 11, 1), plan_steps=steps)
            services.outcome_record(actor=host, activity=a, result="worked", leads=i)
            services.outcome_record(actor=partner, activity=a, result="mixed")
            services.comment_add(actor=partner, activity=a, body="Good")

    add(2)
    headers = headers_for(world, "partner_user")
    client = Client()
    url = f"{A}?partnership={world.partnership.code}&limit=100"
    client.get(url, headers=headers)  # the token's first use is recorded once
    with django_assert_max_num_queries(6) as few:
        assert client.get(url, headers=headers).json()["count"] == 2
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url, headers=headers).json()
    assert body["count"] == 42 and len(body["items"][0]["plan_steps"]) == 3


# --- CSV exports -------------------------------------------------------------------------


def export(world: World, persona: str, partnership: Partnership | None = None) -> str:
    org = world.actor(persona).organization
    url = (
        f"/o/{org.code}/p/{partnership.code}/activities/export.csv"
        if partnership is not None
        else f"/o/{org.code}/activities/export.csv"
    )
    response = world.client(persona).get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode("utf-8-sig")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_partnership_export_holds_what_the_side_may_see(
    world: World, logged: dict[str, Activity]
) -> None:
    services.outcome_record(
        actor=world.actor("host_owner"),
        activity=logged["A"],
        result="worked",
        leads=12,
        pipeline="25000",
    )
    services.outcome_record(actor=world.actor("partner_user"), activity=logged["A"], result="didnt")
    host = rows(export(world, "host_viewer", world.partnership))
    assert [r["title"][0] for r in host] == ["B", "A", "D"]
    a = host[1]
    assert (a["host"], a["partner"], a["date"], a["kind"]) == (
        "Northwind Analytics",
        "Acme Integrations",
        "2026-11-02",
        "Co-marketing campaign",
    )
    assert (a["host_result"], a["host_leads"], a["host_pipeline"]) == ("Worked", "12", "25000.00")
    assert (a["partner_result"], a["partner_leads"], a["sides_disagree"]) == (
        "Didn't work",
        "",
        "yes",
    )
    partner = rows(export(world, "partner_user", world.partnership))
    assert [r["title"][0] for r in partner] == ["C", "A", "D"]
    denied = world.client("other_partner").get(
        f"/o/{world.other_partner_org.code}/p/{world.partnership.code}/activities/export.csv"
    )
    assert denied.status_code == 404


def test_organization_export_never_holds_another_partners_records(
    world: World, logged: dict[str, Activity]
) -> None:
    host = rows(export(world, "host_owner"))
    assert [r["title"][0] for r in host] == ["B", "A", "D", "E"]
    partner_text = export(world, "partner_user")
    assert [r["title"][0] for r in rows(partner_text)] == ["C", "A", "D", "F"]
    # Nothing of Northwind's other partner, nor of either host's private records.
    for absent in ("Globex", "E Globex", "B internal", "G Initech"):
        assert absent not in partner_text
    other_text = export(world, "other_partner")
    assert [r["title"][0] for r in rows(other_text)] == ["E"]
    assert "Acme" not in other_text


def test_exports_are_formula_safe_and_linked_from_the_pages(world: World) -> None:
    log(world.actor("partner_user"), world.partnership, '=HYPERLINK("http://x")', date(2026, 11, 3))
    (row,) = rows(export(world, "host_owner", world.partnership))
    assert row["title"] == '\'=HYPERLINK("http://x")'
    base = f"/o/{world.host.code}"
    page = world.client("host_owner").get(f"{base}/p/{world.partnership.code}/activities/")
    html = page.content.decode()
    assert f"{base}/p/{world.partnership.code}/activities/export.csv" in html
    assert f"{base}/activities/export.csv" in html and "Download CSV" in html
    report = world.client("host_owner").get(f"{base}/activities/what-works/").content.decode()
    assert f"{base}/activities/export.csv" in report


def test_the_organization_export_is_flat_in_queries(
    world: World, django_assert_max_num_queries
) -> None:
    host = world.actor("host_owner")
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/activities/export.csv"

    def add(count: int) -> None:
        for i in range(count):
            a = log(host, world.other_partnership, f"Webinar {i}", date(2026, 11, 1))
            services.outcome_record(actor=host, activity=a, result="worked")

    add(2)
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        assert len(rows(b"".join(client.get(url).streaming_content).decode("utf-8-sig"))) == 2
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert len(rows(text)) == 32
