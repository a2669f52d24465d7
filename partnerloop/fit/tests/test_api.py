"""Fit in the JSON API: hand-computed scores, privacy of the host's side, query counts."""

from __future__ import annotations

from django.test import Client

from partnerloop.accounts.models import Organization
from partnerloop.api.tests.matrix import headers_for
from partnerloop.conftest import World
from partnerloop.fit import services
from partnerloop.fit.models import PartnershipFit
from partnerloop.fit.tests.test_services import small_version, submit
from partnerloop.partnerships.models import Partnership


def _get(world: World, persona: str, path: str) -> dict:
    response = Client().get(f"/api/v1/fit{path}", headers=headers_for(world, persona))
    assert response.status_code == 200, response.content
    return response.json()


def test_partner_gets_no_ours_figures_until_shared(world: World) -> None:
    small_version(world)
    host_eval = submit(world, "host_owner", {"sponsor": "yes", "offer": 3})
    submit(world, "partner_user", {"ease": 2})
    code = world.partnership.code
    host_view = _get(world, "host_owner", f"/partnerships/{code}")
    assert (host_view["ours"], host_view["theirs"]) == (87.5, 25)
    assert host_view["mutual"] == 46.77 and host_view["band"] == "medium"
    partner_view = _get(world, "partner_user", f"/partnerships/{code}")
    assert partner_view["ours"] is None and partner_view["mutual"] is None
    assert partner_view["band"] == "" and partner_view["why_they_fit_us"] == []
    assert partner_view["theirs"] == 25
    assert "because sponsor" not in str(partner_view)
    services.evaluation_share(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        evaluation=host_eval,
        shared=True,
    )
    partner_view = _get(world, "partner_user", f"/partnerships/{code}")
    assert partner_view["mutual"] == 46.77 and "because sponsor" in str(partner_view)


def test_saving_through_the_api_with_revisions(world: World) -> None:
    small_version(world)
    client = Client()
    url = f"/api/v1/fit/partnerships/{world.partnership.code}/evaluation"
    headers = headers_for(world, "partner_user")
    body = {"answers": {"ease": {"value": 9}}, "revision": 0}
    bad = client.put(url, body, content_type="application/json", headers=headers)
    assert bad.status_code == 422 and "1 to 5" in str(bad.json())
    ok = client.put(
        url,
        {"answers": {"ease": {"value": 5}}, "revision": 0},
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 200
    revision = ok.json()["revision"]
    stale = client.put(
        url,
        {"answers": {"ease": {"value": 4}}, "revision": revision - 1, "submit": True},
        content_type="application/json",
        headers=headers,
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == revision
    done = client.put(
        url,
        {"answers": {}, "revision": revision, "submit": True},
        content_type="application/json",
        headers=headers,
    )
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert PartnershipFit.objects.get(partnership=world.partnership).theirs == 100


def test_fit_lists_keep_query_counts_flat(world: World, django_assert_max_num_queries) -> None:
    version = small_version(world)
    orgs = Organization.objects.bulk_create(
        Organization(name=f"P{i}", domain=f"p{i}.com") for i in range(200)
    )
    Partnership.objects.bulk_create(Partnership(host=world.host, partner=o) for o in orgs)
    services.rescore_all(actor=world.actor("host_owner"), version=version)
    headers = headers_for(world, "host_owner")
    with django_assert_max_num_queries(6):
        scores = Client().get("/api/v1/fit/scores?limit=100", headers=headers)
    assert scores.status_code == 200 and scores.json()["count"] == 202
    with django_assert_max_num_queries(6):
        assert Client().get("/api/v1/fit/versions", headers=headers).status_code == 200
    test = _get(world, "host_owner", f"/versions/{version.code}/test")
    assert test["version"] == 1 and len(test["splits"]) == 3


def test_the_latest_answers_come_back_and_omitted_text_is_kept(world: World) -> None:
    small_version(world)
    client = Client()
    url = f"/api/v1/fit/partnerships/{world.partnership.code}/evaluation"
    headers = headers_for(world, "partner_user")
    first = client.put(
        url,
        {
            "answers": {"ease": {"value": 3}},
            "other_dimensions": "Kind people",
            "revision": 0,
            "submit": True,
        },
        content_type="application/json",
        headers=headers,
    )
    assert first.status_code == 200
    latest = client.get(url, headers=headers).json()
    assert latest["status"] == "submitted" and latest["revision"] == 0
    assert latest["answers"]["ease"]["value"] == 3 and latest["other_dimensions"] == "Kind people"
    again = client.put(
        url,
        {"answers": {"ease": {"value": 4}}, "revision": 0},
        content_type="application/json",
        headers=headers,
    )
    assert again.json()["other_dimensions"] == "Kind people"
    assert again.json()["answers"]["ease"]["value"] == 4
