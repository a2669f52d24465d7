"""The overlap API for both sides: what crosses, what never does, and who may change what.

The privacy world gives each side a population the other side never sees (the partner's
"Strategic whales", 12 matches with the host's customers; the host's "Secret targets", 7
matches with the partner's customers): neither its key, its name nor its count may appear
in any answer to the other side.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partnerloop.api.tests.matrix import headers_for
from partnerloop.mapping import services as mapping_services
from partnerloop.overlap import services
from partnerloop.overlap.models import AccountMatch, MatchRejection, MatchState, OverlapAction
from partnerloop.overlap.tests.support import HOST_ROWS, PARTNER_ROWS, share, upload_rows

pytestmark = pytest.mark.django_db

Api = Callable[..., HttpResponse]

WHALES = 12  # partner "strategic-whales" × host customers, hidden by the partner
TARGETS = 7  # host "secret-targets" × partner customers, hidden by the host
HOST_SECRETS = ("secret-targets", "Secret targets", "Hana Host", "hostonly.com")
PARTNER_SECRETS = ("strategic-whales", "Strategic whales", "Pia Partner", "partnersecret.com")


@pytest.fixture
def api(world: Any) -> Api:
    """`api("GET", "/cells/a/b", persona=..., body=..., **query)`; paths are relative to
    the partnership's overlap, `code=` names another partnership."""
    client = Client()
    headers: dict[str, dict[str, str]] = {}

    def call(
        method: str,
        path: str = "",
        persona: str = "host_owner",
        body: Any = None,
        code: str | None = None,
        **query: Any,
    ) -> HttpResponse:
        if persona not in headers:
            headers[persona] = headers_for(world, persona)
        url = f"/api/v1/overlap/partnerships/{code or world.partnership.code}{path}"
        if method == "GET":
            return client.get(url, query, headers=headers[persona])
        return client.generic(
            method,
            url,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=headers[persona],
        )

    return call


def _privacy_lists(world: Any) -> None:
    """Both lists, with one population each side keeps hidden, and the matches computed."""
    mapping_services.population_create(
        actor=world.actor("host_owner"), name="Secret targets", values="target"
    )
    mapping_services.population_create(
        actor=world.actor("partner_user"), name="Strategic whales", values="whale"
    )
    whales = [f"whale{i}.com" for i in range(WHALES)]
    targets = [f"target{i}.com" for i in range(TARGETS)]
    upload_rows(
        world,
        "host_owner",
        HOST_ROWS
        + [[f"Whale {i}", d, "US", "Customer", "Hana Host"] for i, d in enumerate(whales)]
        + [[f"Target {i}", d, "US", "Target", "Hana Host"] for i, d in enumerate(targets)],
    )
    upload_rows(
        world,
        "partner_user",
        PARTNER_ROWS
        + [[f"Whale {i}", d, "US", "Whale", "Pia Partner"] for i, d in enumerate(whales)]
        + [[f"Target {i}", d, "US", "Customer", "Pia Partner"] for i, d in enumerate(targets)],
    )
    services.matches_refresh(partnership_id=world.partnership.pk)


@pytest.fixture
def shared(world: Any) -> Any:
    """The privacy world: customers shared at the accounts level by both sides (the host
    shows name and domain, the partner its names only), opportunities and prospects at
    counts, the whales and the targets hidden."""
    _privacy_lists(world)
    share(world, "host_owner", "customers", "accounts", fields=["name", "domain"])
    share(world, "host_owner", "prospects", "counts")
    share(world, "partner_user", "customers", "accounts", fields=["name"])
    share(world, "partner_user", "opportunities", "counts")
    return world


def _counts_in(data: Any) -> Iterator[int]:
    """Every value of a `count` or `matches` key, anywhere in an answer."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("count", "matches") and isinstance(value, int):
                yield value
            yield from _counts_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from _counts_in(item)


def _acme(world: Any) -> AccountMatch:
    return AccountMatch.objects.get(partnership=world.partnership, host_key="acme.com")


# --- the matrix -------------------------------------------------------------------------


def test_matrix_as_the_host_sees_it(shared: Any, api: Api) -> None:
    response = api("GET", persona="host_viewer")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["side"] == "host"
    assert body["state"]["status"] == "current"
    assert body["state"]["has_our_list"] is True
    # customers × customers (Acme), customers × opportunities (Globex), prospects ×
    # opportunities (Initech); prospects × customers is 0.
    assert body["state"]["matches"] == 3
    ours = {p["key"]: p for p in body["ours"]}
    assert ours["customers"] | {"version": 1} == {
        "key": "customers",
        "name": "Customers",
        "level": "accounts",
        "fields": ["name", "domain"],
        "version": 1,
    }
    assert ours["secret-targets"]["level"] == "hidden"  # our own hidden one: we see it
    assert body["theirs"] == [
        {"key": "customers", "name": "Customers", "level": "accounts", "fields": ["name"]},
        {"key": "opportunities", "name": "Open opportunities", "level": "counts", "fields": []},
    ]
    cells = {(c["ours"], c["theirs"]): (c["count"], c["opens_accounts"]) for c in body["cells"]}
    assert cells == {
        ("customers", "customers"): (1, True),
        ("customers", "opportunities"): (1, False),
        ("prospects", "customers"): (0, False),
        ("prospects", "opportunities"): (1, False),
    }


def test_matrix_as_the_partner_sees_it(shared: Any, api: Api) -> None:
    body = api("GET", persona="partner_member").json()
    assert body["side"] == "partner"
    assert [p["key"] for p in body["theirs"]] == ["customers", "prospects"]
    cells = {(c["ours"], c["theirs"]): c["count"] for c in body["cells"]}
    assert cells == {
        ("customers", "customers"): 1,
        ("customers", "prospects"): 0,
        ("opportunities", "customers"): 1,
        ("opportunities", "prospects"): 1,
    }
    assert body["state"]["matches"] == 3


def test_nothing_is_shown_before_both_sides_share(world: Any, api: Api) -> None:
    _privacy_lists(world)
    share(world, "partner_user", "customers", "accounts")
    body = api("GET").json()
    assert [p["key"] for p in body["theirs"]] == ["customers"]
    assert body["cells"] == [] and body["state"]["matches"] == 0
    # The host shares nothing: the partner sees no population of the host's at all.
    partner = api("GET", persona="partner_user").json()
    assert partner["theirs"] == [] and partner["cells"] == []


def test_matrix_get_queues_a_refresh_when_the_lists_changed(
    world: Any, api: Api, django_capture_on_commit_callbacks: Any
) -> None:
    _privacy_lists(world)
    # Matches computed from uploads that are no longer the current ones.
    MatchState.objects.filter(partnership=world.partnership).update(signature="h:0|p:0")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        stale = api("GET")  # the refresh job runs inline in tests, after the answer
    assert stale.json()["state"]["status"] == "pending"
    assert len(queued) == 1
    assert api("GET").json()["state"]["status"] == "current"
    # Current matches: reading them queues nothing.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        api("GET")
    assert queued == []


# --- privacy ----------------------------------------------------------------------------


def _every_answer(world: Any, api: Api, persona: str) -> list[HttpResponse]:
    """Every read of the overlap API for `persona`, after each side acted and rejected."""
    open_cell = "/cells/customers/customers"
    answers = [
        api("GET", persona=persona),
        api("GET", open_cell, persona=persona),
        api("GET", open_cell, persona=persona, limit=1, offset=0),
        api("GET", "/sharing/customers", persona=persona),
        api("GET", "/rejections", persona=persona),
        api("GET", "/actions", persona=persona),
    ]
    for cell in ("customers/opportunities", "opportunities/customers", "prospects/prospects"):
        answers.append(api("GET", f"/cells/{cell}", persona=persona))
    return answers


def test_a_hidden_population_never_reaches_the_other_side(shared: Any, api: Api) -> None:
    world = shared
    acme = _acme(world)
    api("POST", f"/matches/{acme.pk}/actions", "host_owner", {"kind": "intro"})
    api("POST", f"/matches/{acme.pk}/actions", "partner_user", {"kind": "co_sell"})
    # Hidden cells exist and hold matches: the counts below are real.
    assert AccountMatch.objects.filter(partner_population="strategic-whales").count() == WHALES
    assert AccountMatch.objects.filter(host_population="secret-targets").count() == TARGETS
    # The hidden cells' counts, and the totals they would make with the 3 visible matches.
    everything = 3 + WHALES + TARGETS
    for persona, secrets, hidden_counts in (
        ("host_owner", PARTNER_SECRETS, {WHALES, 3 + WHALES, everything}),
        ("partner_user", HOST_SECRETS, {TARGETS, 3 + TARGETS, everything}),
    ):
        for response in _every_answer(world, api, persona):
            assert response.status_code in (200, 404), response.content
            raw = response.content.decode()
            for secret in secrets:
                assert secret.lower() not in raw.lower(), (persona, secret, raw)
            assert not hidden_counts & set(_counts_in(response.json())), (persona, raw)
    # A hidden cell answers as a cell that does not exist.
    hidden = api("GET", "/cells/customers/strategic-whales")
    missing = api("GET", "/cells/customers/no-such-population")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert api("GET", "/cells/customers/secret-targets", "partner_user").status_code == 404


def test_open_cell_carries_only_the_fields_the_other_side_chose(shared: Any, api: Api) -> None:
    host = api("GET", "/cells/customers/customers").json()
    assert host["count"] == 1 and host["opens_accounts"] is True
    assert host["their_fields"] == ["name"]
    [row] = host["items"]
    assert row["match_id"] == _acme(shared).pk
    assert row["method"] == "domain" and row["our_key"] == "acme.com"
    assert row["ours"] == {
        "name": "Acme Corporation",
        "domain": "acme.com",
        "country": "US",
        "status": "Customer",
        "owner": "Hana Host",
        "external_id": "",
    }
    # Their name only: no domain, country, status or owner key, not even a null one.
    assert row["theirs"] == {"name": "ACME Corp."}
    assert "their_key" not in row

    partner = api("GET", "/cells/customers/customers", "partner_user").json()
    [row] = partner["items"]
    assert row["ours"]["owner"] == "Pia Partner"
    assert row["theirs"] == {"name": "Acme Corporation", "domain": "acme.com"}
    assert "Hana Host" not in json.dumps(partner)


def test_a_counts_only_cell_has_no_accounts(shared: Any, api: Api) -> None:
    body = api("GET", "/cells/customers/opportunities").json()
    assert body["count"] == 1 and body["opens_accounts"] is False
    assert body["items"] == [] and body["their_fields"] == []
    assert "Globex" not in json.dumps(body) and "globex" not in json.dumps(body)
    globex = AccountMatch.objects.get(partnership=shared.partnership, host_key="globex.de")
    # Its match can be neither rejected nor acted on, by either side.
    for persona in ("host_owner", "partner_user"):
        reject = api("POST", f"/matches/{globex.pk}/reject", persona, {"reason": "x"})
        act = api("POST", f"/matches/{globex.pk}/actions", persona, {"kind": "intro"})
        assert reject.status_code == act.status_code == 404
    assert not MatchRejection.objects.exists() and not OverlapAction.objects.exists()


def test_cell_accounts_are_paginated(world: Any, api: Api) -> None:
    _lists_of(world, 5)
    first = api("GET", "/cells/customers/customers", limit=2, offset=0).json()
    second = api("GET", "/cells/customers/customers", limit=2, offset=2).json()
    last = api("GET", "/cells/customers/customers", limit=2, offset=4).json()
    assert first["count"] == 5 and (first["limit"], second["offset"]) == (2, 2)
    names = [r["ours"]["name"] for r in first["items"] + second["items"] + last["items"]]
    assert names == [f"Company {i:03d}" for i in range(5)]
    assert api("GET", "/cells/customers/customers", limit=500).status_code == 422


# --- tenancy ----------------------------------------------------------------------------


def test_another_organizations_partnership_is_a_404(shared: Any, api: Api) -> None:
    acme = _acme(shared)
    for persona in ("other_host", "other_partner"):
        assert api("GET", persona=persona).status_code == 404
        assert api("GET", "/cells/customers/customers", persona).status_code == 404
        assert api("GET", "/sharing/customers", persona).status_code == 404
        assert api("POST", f"/matches/{acme.pk}/reject", persona, {}).status_code == 404
    # The partner's other partnership is not the host's business.
    foreign = shared.foreign_partnership.code
    assert api("GET", persona="host_owner", code=foreign).status_code == 404
    assert api("GET", "/actions", "host_owner", code=foreign).status_code == 404
    # A match of this partnership through another partnership of the partner: 404.
    response = api(
        "POST", f"/matches/{acme.pk}/actions", "partner_user", {"kind": "intro"}, foreign
    )
    assert response.status_code == 404
    assert not OverlapAction.objects.exists()


def test_anonymous_is_a_401(shared: Any, api: Api) -> None:
    assert api("GET", persona="anonymous").status_code == 401


# --- sharing ----------------------------------------------------------------------------


def test_sharing_read_and_change_for_both_sides(shared: Any, api: Api) -> None:
    assert api("GET", "/sharing/customers").json() == {
        "population": "customers",
        "name": "Customers",
        "level": "accounts",
        "fields": ["name", "domain"],
        "version": 1,
    }
    assert api("GET", "/sharing/opportunities").json()["version"] == 0  # never set
    changed = api(
        "PUT",
        "/sharing/customers",
        "host_owner",
        {"level": "accounts", "fields": ["domain", "owner"], "version": 1},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["fields"] == ["domain", "owner"] and changed.json()["version"] == 2
    partner = api("PUT", "/sharing/customers", "partner_user", {"level": "counts", "version": 1})
    assert partner.status_code == 200
    assert partner.json()["level"] == "counts" and partner.json()["fields"] == []
    # The partner's customers are counts only now: the host's cell no longer opens.
    assert api("GET", "/cells/customers/customers").json()["items"] == []
    # The partner's own population with the partner's own version.
    assert api("GET", "/sharing/customers", "partner_member").json()["version"] == 2


def test_stale_sharing_edit_is_a_409_and_writes_nothing(shared: Any, api: Api) -> None:
    response = api("PUT", "/sharing/customers", "host_owner", {"level": "hidden", "version": 0})
    assert response.status_code == 409
    assert response.json()["current_version"] == 1
    assert api("GET", "/sharing/customers").json()["level"] == "accounts"


def test_sharing_needs_a_manager(shared: Any, api: Api) -> None:
    for persona in ("host_viewer", "host_member", "partner_member"):
        response = api("PUT", "/sharing/customers", persona, {"level": "hidden", "version": 1})
        assert response.status_code == 403, persona
    assert api("GET", "/sharing/customers").json()["level"] == "accounts"


def test_invalid_sharing_answers_the_services_messages(shared: Any, api: Api) -> None:
    response = api(
        "PUT", "/sharing/customers", "host_owner", {"level": "accounts", "fields": ["country"]}
    )
    assert response.status_code == 422  # no version
    response = api(
        "PUT",
        "/sharing/customers",
        "host_owner",
        {"level": "accounts", "fields": ["country"], "version": 1},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "fields"]
    assert "company name or the website domain" in error["msg"]
    response = api(
        "PUT",
        "/sharing/customers",
        "host_owner",
        {"level": "accounts", "fields": ["name", "shoe_size"], "version": 1},
    )
    assert response.status_code == 422
    assert "shoe_size" in response.json()["detail"][0]["msg"]
    assert (
        api("PUT", "/sharing/customers", "host_owner", {"level": "all", "version": 1}).status_code
        == 422
    )
    # Not one of our populations: the same 404 whatever the other side has.
    assert api("GET", "/sharing/strategic-whales").status_code == 404
    missing = api(
        "PUT", "/sharing/strategic-whales", "host_owner", {"level": "counts", "version": 0}
    )
    assert missing.status_code == 404


# --- rejections -------------------------------------------------------------------------


def test_reject_list_and_undo_across_both_sides(shared: Any, api: Api) -> None:
    acme = _acme(shared)
    rejected = api(
        "POST", f"/matches/{acme.pk}/reject", "partner_member", {"reason": "Another Acme"}
    )
    assert rejected.status_code == 201, rejected.content
    body = rejected.json()
    assert body["our_key"] == "acme.com" and body["side"] == "partner"
    assert body["reason"] == "Another Acme"
    assert api("GET", "/cells/customers/customers").json()["count"] == 0
    # The match is gone: rejecting it again is a 404.
    assert api("POST", f"/matches/{acme.pk}/reject", "host_owner", {}).status_code == 404

    listed = api("GET", "/rejections", "host_viewer").json()
    assert listed["count"] == 1
    [item] = listed["items"]
    assert item["id"] == body["id"] and item["side"] == "partner"
    assert api("GET", "/rejections", "partner_user").json()["count"] == 1

    assert api("DELETE", f"/rejections/{item['id']}", "host_viewer").status_code == 403
    undone = api("DELETE", f"/rejections/{item['id']}", "host_member")
    assert undone.status_code == 200 and undone.json()["id"] == item["id"]
    assert api("DELETE", f"/rejections/{item['id']}", "host_member").status_code == 404
    assert api("GET", "/rejections").json()["count"] == 0


def test_another_partnerships_rejection_is_a_404(shared: Any, api: Api) -> None:
    other = MatchRejection.objects.create(
        partnership=shared.other_partnership, host_key="a.com", partner_key="a.com", side="host"
    )
    assert api("DELETE", f"/rejections/{other.pk}", "host_owner").status_code == 404
    assert MatchRejection.objects.filter(pk=other.pk).exists()


def test_viewers_cannot_reject(shared: Any, api: Api) -> None:
    acme = _acme(shared)
    assert api("POST", f"/matches/{acme.pk}/reject", "host_viewer", {}).status_code == 403
    assert AccountMatch.objects.filter(pk=acme.pk).exists()


# --- actions ----------------------------------------------------------------------------


def test_act_list_and_record_outcomes_for_both_sides(shared: Any, api: Api) -> None:
    acme = _acme(shared)
    created = api(
        "POST", f"/matches/{acme.pk}/actions", "host_member", {"kind": "intro", "note": "Ask Pia"}
    )
    assert created.status_code == 201, created.content
    action = created.json()
    assert action["kind"] == "intro" and action["side"] == "host"
    assert action["our_key"] == "acme.com"
    assert action["outcomes"] == {"host": None, "partner": None}
    # The partner names the account: the shared activity carries its name.
    assert action["title"] == "Intro asked: ACME Corp."
    activity = Client().get(
        f"/api/v1/activities/{action['activity']}", headers=headers_for(shared, "partner_user")
    )
    assert activity.status_code == 200 and activity.json()["kind"] == "account_mapping"

    again = api("POST", f"/matches/{acme.pk}/actions", "partner_user", {"kind": "intro"})
    assert again.status_code == 422
    assert (
        api("POST", f"/matches/{acme.pk}/actions", "host_viewer", {"kind": "co_sell"}).status_code
        == 403
    )
    partner_action = api("POST", f"/matches/{acme.pk}/actions", "partner_user", {"kind": "co_sell"})
    assert partner_action.status_code == 201
    assert partner_action.json()["side"] == "partner"

    outcome = api(
        "POST",
        f"/actions/{action['code']}/outcome",
        "partner_member",
        {"result": "worked", "notes": "Meeting booked"},
    )
    assert outcome.status_code == 200, outcome.content
    assert outcome.json()["outcomes"]["partner"]["result"] == "worked"
    assert outcome.json()["outcomes"]["partner"]["notes"] == "Meeting booked"
    assert outcome.json()["outcomes"]["host"] is None
    host_outcome = api(
        "POST", f"/actions/{action['code']}/outcome", "host_owner", {"result": "mixed"}
    )
    assert host_outcome.json()["outcomes"]["host"]["result"] == "mixed"
    assert host_outcome.json()["outcomes"]["partner"]["result"] == "worked"
    viewer = api("POST", f"/actions/{action['code']}/outcome", "host_viewer", {"result": "didnt"})
    assert viewer.status_code == 403
    assert (
        api("POST", "/actions/nosuchcode/outcome", "host_owner", {"result": "worked"}).status_code
        == 404
    )
    bad = api("POST", f"/actions/{action['code']}/outcome", "host_owner", {"result": "great"})
    assert bad.status_code == 422

    for persona in ("host_viewer", "partner_member"):
        listed = api("GET", "/actions", persona).json()
        assert listed["count"] == 2
        assert {a["kind"] for a in listed["items"]} == {"intro", "co_sell"}
    # The cell's account shows both actions.
    [row] = api("GET", "/cells/customers/customers", "partner_user").json()["items"]
    assert [a["code"] for a in row["actions"]] == [action["code"], partner_action.json()["code"]]
    assert row["actions"][0]["our_key"] == "acme.com"


def test_another_partnerships_action_is_a_404(shared: Any, api: Api) -> None:
    acme = _acme(shared)
    code = api("POST", f"/matches/{acme.pk}/actions", "partner_user", {"kind": "intro"}).json()[
        "code"
    ]
    response = api(
        "POST",
        f"/actions/{code}/outcome",
        "partner_user",
        {"result": "worked"},
        shared.foreign_partnership.code,
    )
    assert response.status_code == 404


# --- query budgets ----------------------------------------------------------------------


def _lists_of(world: Any, size: int) -> None:
    """Both sides with the same `size` customers (all matched), shared at accounts."""
    rows = [[f"Company {i:03d}", f"company{i}.com", "US", "Customer", "Owner"] for i in range(size)]
    upload_rows(world, "host_owner", rows)
    upload_rows(world, "partner_user", rows)
    services.matches_refresh(partnership_id=world.partnership.pk)
    share(world, "host_owner", "customers", "accounts", fields=["name", "domain", "owner"])
    share(world, "partner_user", "customers", "accounts", fields=["name", "domain"])


def _queries(api: Api, *args: Any, **query: Any) -> int:
    api(*args, **query)  # warm the token's last-used stamp
    with CaptureQueriesContext(connection) as captured:
        response = api(*args, **query)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("size", [3, 300])
def test_matrix_and_cell_queries_do_not_grow(
    world: Any, api: Api, size: int, django_assert_max_num_queries: Any
) -> None:
    _lists_of(world, size)
    acme = AccountMatch.objects.filter(partnership=world.partnership).order_by("id").first()
    assert acme is not None
    services.overlap_act(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        match_id=acme.pk,
        kind="intro",
    )
    api("GET", "/cells/customers/customers", limit=100)
    with django_assert_max_num_queries(10):
        matrix = api("GET")
    assert matrix.json()["state"]["matches"] == size
    with django_assert_max_num_queries(10):
        cell = api("GET", "/cells/customers/customers", limit=100)
    assert len(cell.json()["items"]) == min(size, 100)
    with django_assert_max_num_queries(4):
        assert api("GET", "/actions").json()["count"] == 1


def test_query_counts_are_the_same_for_3_and_300_matches(world: Any, api: Api) -> None:
    _lists_of(world, 3)
    small = (_queries(api, "GET"), _queries(api, "GET", "/cells/customers/customers", limit=100))
    _lists_of(world, 300)
    large = (_queries(api, "GET"), _queries(api, "GET", "/cells/customers/customers", limit=100))
    assert small == large
