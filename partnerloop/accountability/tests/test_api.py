"""/api/v1/accountability and the commitments CSV."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import time_machine
from django.test import Client

from partnerloop.accountability import services
from partnerloop.accountability.models import Commitment, PartnerRequest
from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.partnerships.models import Partnership, Side, Stage, TimelineEvent

A = "/api/v1/accountability"
NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)


def call(world: World, persona: str, method: str, path: str, body: Any = None) -> Any:
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return Client().generic(
        method,
        path,
        json.dumps(body) if body is not None else "",
        headers=headers_for(world, persona),
        **kwargs,
    )


@time_machine.travel(NOW, tick=False)
def test_commitments_list_create_close_and_stale_versions(world: World) -> None:
    url = f"{A}/partnerships/{world.partnership.code}/commitments"
    created = call(
        world,
        "partner_user",
        "POST",
        url,
        {"side": "host", "what": "Send the API keys", "due_on": "2026-12-01"},
    )
    assert created.status_code == 201
    c = created.json()
    assert (c["side"], c["recorded_side"], c["status"], c["late"], c["version"]) == (
        "host",
        "partner",
        "open",
        True,
        1,
    )
    bad = call(world, "host_owner", "POST", url, {"side": "both", "what": " "})
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} == {"side", "what", "due_on"}
    listed = call(world, "host_viewer", "GET", url).json()
    assert listed["count"] == 1 and listed["items"][0]["code"] == c["code"]
    close = f"{url}/{c['code']}/close"
    kept = call(world, "host_owner", "POST", close, {"status": "kept", "version": 1})
    assert kept.status_code == 200 and kept.json()["closed_side"] == "host"
    stale = call(world, "partner_user", "POST", close, {"status": "missed", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Commitment.objects.get().status == "kept"
    # Another tenant's partnership: 404.
    assert call(world, "other_host", "GET", url).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_responsiveness_of_a_partnership(world: World) -> None:
    PartnerRequest.objects.create(
        partnership=world.partnership,
        kind="check_in",
        subject_code="x",
        asked_at=datetime(2026, 12, 9, 0, tzinfo=UTC),
        answered_at=datetime(2026, 12, 9, 5, tzinfo=UTC),
    )
    PartnerRequest.objects.create(
        partnership=world.partnership,
        kind="check_in",
        subject_code="y",
        asked_at=datetime(2026, 12, 10, 0, tzinfo=UTC),
    )
    body = call(
        world, "partner_user", "GET", f"{A}/partnerships/{world.partnership.code}/responsiveness"
    ).json()
    assert body["days"] == 90
    assert body["kinds"] == [
        {
            "requests": 2,
            "answered": 1,
            "median_hours": 5.0,
            "p90_hours": 5.0,
            "within_target_share": 1.0,
            "waiting": 1,
            "kind": "check_in",
            "target_hours": 72,
        }
    ]


@time_machine.travel(NOW, tick=False)
def test_fairness_report_and_mark_handled(world: World) -> None:
    from partnerloop.accounts.models import Organization

    ps = []
    for i, touches in enumerate((4, 4, 4, 0)):
        org = Organization.objects.create(name=f"G{i}", domain=f"g{i}.test")
        p = Partnership.objects.create(
            host=world.host, partner=org, tier="gold", stage=Stage.ACTIVE
        )
        TimelineEvent.objects.bulk_create(
            TimelineEvent(
                partnership=p,
                actor=world.host_owner,
                side=Side.HOST,
                visibility="shared",
                kind="note",
                summary="n",
            )
            for _ in range(touches)
        )
        ps.append(p)
    body = call(world, "host_viewer", "GET", f"{A}/fairness?days=30").json()
    assert (body["days"], body["first_day"], body["last_day"]) == (30, "2026-11-11", "2026-12-10")
    assert [
        (f["partner_name"], f["metric"], f["figure"], f["peer_median"]) for f in body["flags"]
    ] == [("G3", "touches", 0.0, 4.0)]
    assert body["groups"][0]["medians"]["touches"] == {"compared": 4, "median": 4.0}
    assert body["groups"][0]["medians"]["acceptance"] == {"compared": 0, "median": None}
    handle = f"{A}/fairness/partnerships/{ps[3].code}/handled"
    note = {"metric": "touches", "group": "tier:gold", "note": "New owner assigned"}
    assert call(world, "host_member", "POST", handle, note).status_code == 403
    assert call(world, "partner_user", "POST", handle, note).status_code == 404
    wrong = call(world, "host_owner", "POST", handle, {**note, "group": "tier:silver"})
    assert wrong.status_code == 422
    done = call(world, "host_owner", "POST", handle, note)
    assert done.status_code == 201 and done.json()["handled_by"] == "owner@northwind.test"
    flag = call(world, "host_owner", "GET", f"{A}/fairness").json()["flags"][0]
    assert flag["handled"]["note"] == "New owner assigned"
    # A partner organization's report is its own program: empty here.
    assert call(world, "partner_user", "GET", f"{A}/fairness").json()["partnerships"] == []


def test_commitments_csv_for_both_sides_is_formula_safe(world: World) -> None:
    services.commitment_add(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side=Side.PARTNER,
        what='=HYPERLINK("http://evil")',
        due_on=date(2026, 12, 20),
        promised_by="Sam",
    )
    for persona, org in (("host_viewer", world.host), ("partner_user", world.partner)):
        response = world.client(persona).get(
            f"/o/{org.code}/p/{world.partnership.code}/commitments/export.csv"
        )
        assert response["Content-Type"].startswith("text/csv")
        lines = response.getvalue().decode().lstrip("\ufeff").splitlines()
        assert lines[0] == (
            "whose promise,promised by,what,due on,status,closed at,closed by side,recorded by side"
        )
        assert lines[1] == (
            'Acme Integrations,Sam,"\'=HYPERLINK(""http://evil"")",2026-12-20,Open,,,'
            "Northwind Analytics"
        )
    assert (
        world.client("other_partner")
        .get(f"/o/{world.other_partner_org.code}/p/{world.partnership.code}/commitments/export.csv")
        .status_code
        == 404
    )
