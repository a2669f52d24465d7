"""Fit in the JSON API, persona by persona: versions, rescoring, the IPP test, scores and
checklists, and that the partner never receives the host's *ours* side unless shared."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from partnerloop.accounts.models import Organization
from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.fit import services
from partnerloop.fit.models import IppVersion, VersionStatus
from partnerloop.fit.template import TEMPLATE_CRITERIA
from partnerloop.fit.tests.test_ipp_test import _scored_world
from partnerloop.fit.tests.test_services import small_version, submit
from partnerloop.partnerships.models import Partnership

F = "/api/v1/fit"


def call(world: World, persona: str, method: str, path: str, body: Any = None) -> Any:
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return Client().generic(
        method,
        F + path,
        "" if body is None else json.dumps(body),
        headers=headers_for(world, persona),
        **kwargs,
    )


def test_versions_from_the_template_to_active(world: World) -> None:
    created = call(world, "host_owner", "POST", "/versions")
    assert created.status_code == 201
    draft = created.json()
    assert draft["status"] == "draft" and draft["number"] == 1
    assert len(draft["criteria"]) == len(TEMPLATE_CRITERIA)
    assert {c["direction"] for c in draft["criteria"]} == {"ours", "theirs"}
    listed = call(world, "host_owner", "GET", "/versions?limit=1&offset=0").json()
    assert listed == {"items": [listed["items"][0]], "count": 1}
    assert listed["items"][0]["code"] == draft["code"] and "criteria" not in listed["items"][0]
    one = call(world, "host_viewer", "GET", f"/versions/{draft['code']}").json()
    assert [c["key"] for c in one["criteria"]] == [c["key"] for c in draft["criteria"]]
    activate = f"/versions/{draft['code']}/activate"
    no_note = call(world, "host_owner", "POST", activate, {"change_note": " "})
    assert no_note.status_code == 422
    assert no_note.json()["detail"][0]["loc"] == ["body", "payload", "change_note"]
    member = call(world, "host_member", "POST", activate, {"change_note": "x"})
    assert member.status_code == 403
    activated = call(world, "host_owner", "POST", activate, {"change_note": "Go"})
    assert activated.status_code == 200
    # The world's two partnerships have no checklist: scored, nobody moved into a band.
    assert activated.json() == {"version_number": 1, "scored": 2, "moves": []}
    assert IppVersion.objects.get(code=draft["code"]).status == VersionStatus.ACTIVE
    # Another organization's version is not found, even for the partner of this host.
    for persona in ("partner_user", "other_host"):
        assert call(world, persona, "GET", f"/versions/{draft['code']}").status_code == 404
        assert call(world, persona, "GET", "/versions").json()["count"] == 0


def test_rescore_and_the_ipp_test_through_the_api(world: World) -> None:
    v1, v2 = _scored_world(world)
    first = call(world, "host_owner", "POST", f"/versions/{v1.code}/rescore").json()
    assert first["scored"] == 5
    assert {m["partner_name"]: (m["before"], m["after"]) for m in first["moves"]} == {
        "Alpha": ("", "high"),
        "Beta": ("", "high"),
        "=Gamma": ("", "low"),
    }
    preview = call(world, "host_owner", "POST", f"/versions/{v2.code}/rescore").json()
    (move,) = preview["moves"]
    assert (move["partner_name"], move["before"], move["after"]) == ("Beta", "high", "medium")
    assert (move["before_score"], move["after_score"]) == (75, 75)
    test = call(world, "host_owner", "GET", f"/versions/{v1.code}/test")
    assert test.status_code == 200
    body = test.json()
    assert (body["version"], body["scored"], body["unscored"]) == (1, 3, 2)
    overall, recent, older = body["splits"]
    assert overall == {
        "label": "All partnerships",
        "count": 3,
        "successes": 2,
        "spearman": 1.0,
        "high_count": 2,
        "high_success_rate": 1.0,
        "rest_success_rate": 0.0,
        "separation": 1.0,
        "precision": 1.0,
        "recall": 1.0,
    }
    assert (recent["count"], older["count"]) == (3, 0)  # all created today
    assert older["spearman"] is None and older["precision"] is None
    lifts = {lift["key"]: lift for lift in body["lifts"]}
    assert lifts["sponsor"] == {
        "key": "sponsor",
        "question": "sponsor?",
        "direction": "ours",
        "answered": 3,
        "strong": 2,
        "strong_success_rate": 1.0,
        "base_success_rate": 0.6667,
        "lift": 1.5,
    }
    stricter = call(world, "host_owner", "GET", f"/versions/{v2.code}/test").json()
    assert stricter["splits"][0]["separation"] == 0.5 and stricter["splits"][0]["recall"] == 0.5
    assert "SECRET-" not in str(body)  # evidence never leaves the checklist
    for persona, status in (("host_member", 403), ("host_viewer", 403), ("partner_user", 404)):
        assert call(world, persona, "GET", f"/versions/{v1.code}/test").status_code == status
        assert call(world, persona, "POST", f"/versions/{v1.code}/rescore").status_code == status


def test_scores_are_the_hosts_own(world: World) -> None:
    v1, _ = _scored_world(world)
    services.rescore_all(actor=world.actor("host_owner"), version=v1)
    scores = call(world, "host_viewer", "GET", "/scores").json()
    assert scores["count"] == 5
    high = call(world, "host_viewer", "GET", "/scores?band=high").json()
    assert [(s["partner_name"], s["fit_score"], s["provisional"]) for s in high["items"]] == [
        ("Alpha", 100, False),
        ("Beta", 75, True),
    ]
    assert high["items"][0]["ours"] == 100 and high["items"][0]["version"] == 1
    # The partner (and everyone else) sees the fits of the partnerships it hosts: none.
    for persona in ("partner_user", "partner_member", "other_partner", "other_host"):
        answer = call(world, persona, "GET", "/scores")
        assert answer.json() == {"items": [], "count": 0}, persona


def test_the_partner_gets_nothing_of_ours_from_any_read(world: World) -> None:
    small_version(world)
    host_eval = submit(world, "host_owner", {"sponsor": "yes", "offer": 3})  # ours 87.5
    submit(world, "partner_user", {"ease": 2})  # theirs 25
    code = world.partnership.code
    reads = [
        "/versions",
        "/scores",
        f"/partnerships/{code}",
        f"/partnerships/{code}/evaluation",
    ]
    for persona in ("partner_user", "partner_member"):
        for path in reads:
            answer = call(world, persona, "GET", path)
            assert answer.status_code == 200, (persona, path)
            text = answer.content.decode()
            for secret in ("because sponsor", "87.5", "46.77", '"sponsor"', '"offer"'):
                assert secret not in text, (persona, path, secret)
        timeline = Client().get(
            f"/api/v1/partnerships/{code}/timeline", headers=headers_for(world, persona)
        )
        assert "Northwind Analytics submitted" not in timeline.content.decode()
    own = call(world, "partner_user", "GET", f"/partnerships/{code}/evaluation").json()
    assert own["answers"]["ease"]["value"] == 2 and own["status"] == "submitted"
    host_side = call(world, "host_member", "GET", f"/partnerships/{code}/evaluation").json()
    assert set(host_side["answers"]) == {"sponsor", "offer"}  # the host's own, not theirs
    services.evaluation_share(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        evaluation=host_eval,
        shared=True,
    )
    shared = call(world, "partner_member", "GET", f"/partnerships/{code}").json()
    assert (shared["ours"], shared["mutual"], shared["band"]) == (87.5, 46.77, "medium")
    # Even shared, the host's checklist is not the partner's to read or edit.
    mine = call(world, "partner_member", "GET", f"/partnerships/{code}/evaluation").json()
    assert "sponsor" not in mine["answers"]


def test_each_invalid_answer_is_reported_under_its_key(world: World) -> None:
    small_version(world)
    path = f"/partnerships/{world.partnership.code}/evaluation"
    bad = call(
        world,
        "host_member",
        "PUT",
        path,
        {"answers": {"sponsor": {"value": "maybe"}, "offer": {"value": 9}}, "revision": 0},
    )
    assert bad.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in bad.json()["detail"]}
    assert errors == {
        ("body", "payload", "answers", "sponsor", "value"): "Answer yes or no.",
        ("body", "payload", "answers", "offer", "value"): "Choose a value from 1 to 5.",
    }
    # The other side's keys are ignored, never stored; unknown fields are refused.
    ignored = call(
        world,
        "host_member",
        "PUT",
        path,
        {"answers": {"ease": {"value": 5}, "offer": {"value": 2}}, "revision": 0},
    )
    assert ignored.status_code == 200 and set(ignored.json()["answers"]) == {"offer"}
    extra = call(world, "host_member", "PUT", path, {"answers": {}, "revision": 0, "x": 1})
    assert extra.status_code == 422
    empty = call(world, "host_member", "PUT", path, {"answers": {}, "revision": 0})
    assert empty.status_code == 200
    viewer = call(world, "host_viewer", "PUT", path, {"answers": {}, "revision": 0})
    assert viewer.status_code == 403


def test_without_an_active_profile_a_checklist_cannot_be_saved(world: World) -> None:
    path = f"/partnerships/{world.partnership.code}/evaluation"
    assert call(world, "partner_user", "GET", path).json()["revision"] == 0
    answer = call(world, "partner_user", "PUT", path, {"answers": {}, "revision": 0})
    assert answer.status_code == 422 and "no active" in answer.json()["detail"][0]["msg"]
    fit = call(world, "partner_user", "GET", f"/partnerships/{world.partnership.code}").json()
    assert fit["version"] is None and fit["why_we_fit_them"] == []


@pytest.mark.parametrize("path", ["/scores?limit=100&offset=100&band=", "/versions?limit=100"])
def test_list_endpoints_keep_query_counts_flat(
    world: World, django_assert_max_num_queries, path: str
) -> None:
    version = small_version(world)
    owner = world.actor("host_owner")
    headers = headers_for(world, "host_owner")
    services.rescore_all(actor=owner, version=version)
    with django_assert_max_num_queries(10) as few:
        assert Client().get(F + path, headers=headers).status_code == 200
    orgs = Organization.objects.bulk_create(
        Organization(name=f"P{i}", domain=f"p{i}.com") for i in range(200)
    )
    Partnership.objects.bulk_create(Partnership(host=world.host, partner=o) for o in orgs)
    services.rescore_all(actor=owner, version=version)
    for _ in range(3):
        draft = services.ipp_version_new_draft(actor=owner, based_on=version)
        services.ipp_version_activate(actor=owner, version=draft, change_note="again")
        version = draft
    with django_assert_max_num_queries(len(few.captured_queries)):
        answer = Client().get(F + path, headers=headers)
    assert answer.status_code == 200 and answer.json()["count"] in (202, 4)
