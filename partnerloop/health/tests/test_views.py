"""The health section, the history download, the directory column and the API."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.health.models import HealthSnapshot, PartnershipHealth
from partnerloop.health.selectors import workspace_health
from partnerloop.health.services import compute_health, refresh_partnership_health
from partnerloop.partnerships.models import Partnership
from partnerloop.plans.models import Plan, PlanStep


def ws_url(world: World, persona_org: str = "host") -> str:
    org = getattr(world, persona_org)
    return f"/o/{org.code}/p/{world.partnership.code}/"


def with_big_step(world: World) -> None:
    plan = Plan.objects.create(partnership=world.partnership)
    PlanStep.objects.create(
        plan=plan,
        partnership=world.partnership,
        title="First co-marketing campaign",
        phase="engage",
        owner_side="both",
        side="host",
        effort="large",
    )


def test_first_view_asks_for_a_computation_then_shows_the_scores(world: World) -> None:
    with_big_step(world)
    client = world.client("host_owner")
    body = client.get(ws_url(world)).content.decode()
    assert 'id="health"' in body and "Health is not computed yet" in body
    refresh = f"/o/{world.host.code}/p/{world.partnership.code}/health/refresh/"
    assert f'hx-post="{refresh}"' in body and 'hx-trigger="load, submit"' in body
    # htmx gets the section back; without JavaScript the button redirects to it.
    fragment = client.post(refresh, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and '<meter id="health-ability"' in fragment
    assert "Make “First co-marketing campaign” tinier" in fragment
    assert f'href="/o/{world.host.code}/p/{world.partnership.code}/#step-' in fragment
    response = client.post(refresh)
    assert response.status_code == 302 and response["Location"].endswith("#health")
    body = client.get(ws_url(world)).content.decode()
    assert "Health is not computed yet" not in body
    assert 'data-chart="health-trend"' in body and 'id="health-trend"' in body
    assert '<th scope="col">Motivation</th>' in body
    assert "health/history.csv" in body


def test_recommendation_links_to_where_it_is_done(world: World) -> None:
    client = world.client("host_owner")
    client.post(f"/o/{world.host.code}/p/{world.partnership.code}/health/refresh/")
    body = client.get(ws_url(world)).content.decode()
    # No plan: add the next tiny step, in the plan section.
    assert "Add the next tiny step" in body and f"/p/{world.partnership.code}/#plan" in body


def test_the_workspace_section_costs_two_queries_once_computed(world: World) -> None:
    refresh_partnership_health(world.partnership)
    with CaptureQueriesContext(connection) as ctx:
        context = workspace_health(partnership=world.partnership, side="host")
    assert len(ctx.captured_queries) == 2 and context["health"] is not None
    with CaptureQueriesContext(connection) as ctx:
        context = workspace_health(partnership=world.partnership, side="partner")
    assert len(ctx.captured_queries) == 0 and context["health"] is None


def test_the_partner_never_sees_health(world: World) -> None:
    with_big_step(world)
    refresh_partnership_health(world.partnership)
    health = PartnershipHealth.objects.get(partnership=world.partnership)
    for persona in ("partner_user", "partner_member"):
        client = world.client(persona)
        body = client.get(ws_url(world, "partner")).content.decode()
        assert 'id="health"' not in body and health.diagnosis not in body
        assert "health-trend" not in body and "health/refresh" not in body
        base = f"/o/{world.partner.code}/p/{world.partnership.code}/health/"
        assert client.get(base + "history.csv").status_code == 404
        assert client.post(base + "refresh/").status_code == 404
        api = client.get(
            f"/api/v1/health/partnerships/{world.partnership.code}",
            headers=headers_for(world, persona),
        )
        assert api.status_code == 404
        listed = client.get("/api/v1/health/partnerships", headers=headers_for(world, persona))
        assert listed.status_code == 200 and listed.json()["count"] == 0


def test_history_csv_has_one_row_per_day(world: World) -> None:
    for day in (1, 2, 3):
        with time_machine.travel(datetime(2026, 3, day, 9, tzinfo=UTC), tick=False):
            refresh_partnership_health(world.partnership)
    HealthSnapshot.objects.filter(partnership=world.partnership).update(diagnosis="=HYPERLINK()")
    response = world.client("host_viewer").get(
        f"/o/{world.host.code}/p/{world.partnership.code}/health/history.csv"
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["day", "motivation", "ability", "prompt", "overall"]
    assert [r[0] for r in rows[1:]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert rows[1][6] == "'=HYPERLINK()"  # formula-safe


def test_directory_health_column_filter_and_sort(world: World) -> None:
    with_big_step(world)
    compute_health(host=world.host)
    weak = PartnershipHealth.objects.get(partnership=world.other_partnership)
    assert weak.overall < 40  # no plan: ability 0
    strong = PartnershipHealth.objects.get(partnership=world.partnership)
    PartnershipHealth.objects.filter(pk=strong.pk).update(
        motivation=80, ability=75, prompt=90, overall=75
    )
    client = world.client("host_owner")
    base = f"/o/{world.host.code}/partners/"
    body = client.get(base).content.decode()
    assert "75 · ability weakest" in body and f"{weak.overall} · ability low" in body
    body = client.get(base, {"health": "attention"}).content.decode()
    assert "1 partnership<" in body and "Globex Consulting" in body
    assert "Acme Integrations" not in body
    body = client.get(base, {"sort": "health"}).content.decode()
    assert body.index("Globex Consulting") < body.index("Acme Integrations")
    body = client.get(base, {"sort": "-health"}).content.decode()
    assert body.index("Acme Integrations") < body.index("Globex Consulting")
    export = client.get(base + "export.csv", {"sort": "health"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-2:] == ["health_overall", "health_weakest"]
    assert rows[1][-2:] == [str(weak.overall), "ability"] and rows[2][-2:] == ["75", "ability"]


def test_directory_query_count_stays_flat_with_health(
    world: World, django_assert_max_num_queries
) -> None:
    from partnerloop.accounts.models import Organization

    orgs = Organization.objects.bulk_create(
        Organization(name=f"Partner {i:03}", domain=f"p{i:03}.test") for i in range(60)
    )
    Partnership.objects.bulk_create(Partnership(host=world.host, partner=o) for o in orgs)
    compute_health(host=world.host)
    client = world.client("host_owner")
    with django_assert_max_num_queries(12):
        assert client.get(f"/o/{world.host.code}/partners/", {"sort": "health"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get(f"/o/{world.host.code}/partners/", {"health": "attention"}).status_code
            == 200
        )


def test_api_current_health_and_history(world: World) -> None:
    with_big_step(world)
    client = world.client("anonymous")
    headers = headers_for(world, "host_viewer")
    # Never computed: the first read computes it.
    detail = client.get(f"/api/v1/health/partnerships/{world.partnership.code}", headers=headers)
    assert detail.status_code == 200
    data = detail.json()
    assert data["recommendation"] == "split_step" and data["weakest"] == "ability"
    assert data["partner_name"] == "Acme Integrations" and len(data["history"]) == 1
    assert data["signals"]["next_steps"][0]["title"] == "First co-marketing campaign"
    compute_health(host=world.host)
    listed = client.get("/api/v1/health/partnerships", {"limit": 1}, headers=headers).json()
    assert listed["count"] == 2 and len(listed["items"]) == 1
    assert listed["items"][0]["partner_name"] == "Globex Consulting"  # weakest first
    PartnershipHealth.objects.filter(partnership=world.partnership).update(overall=60)
    attention = client.get("/api/v1/health/partnerships", {"attention": "true"}, headers=headers)
    assert [i["partner_name"] for i in attention.json()["items"]] == ["Globex Consulting"]
    assert json.loads(client.get("/api/v1/openapi.json").content)["paths"][
        "/api/v1/health/partnerships/{code}"
    ]
