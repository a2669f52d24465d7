"""The private mode flow over the API, in-process: start, request, result, and every refusal
(consent, mode, sizes, rate limit, reuse, expiry, tenancy)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from partnerloop.api.tests.matrix import headers_for
from partnerloop.partnerships.models import TimelineEvent
from partnerloop.psi import services
from partnerloop.psi.engine import ClientSession, Mode
from partnerloop.psi.models import PsiRun, RunStatus

P = "/api/v1/psi"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# The partner's list: company20.com … company44.com (25 domains); 20 … 29 are the host's.
PARTNER_LIST = [f"company{i}.com" for i in range(20, 45)]


def _post(world: Any, persona: str, path: str, body: Any) -> Any:
    return Client().post(
        P + path,
        json.dumps(body),
        content_type="application/json",
        headers=headers_for(world, persona),
    )


def _start(world: Any, persona: str = "partner_user", **body: Any) -> Any:
    payload = {"population": "customers", "mode": "count", "client_set_size": 25} | body
    return _post(world, persona, f"/partnerships/{world.partnership.code}/runs", payload)


def _request(world: Any, run: str, session: ClientSession, persona: str = "partner_user") -> Any:
    body = {"request": base64.b64encode(session.request()).decode()}
    return _post(world, persona, f"/runs/{run}/request", body)


@time_machine.travel(NOW, tick=False)
def test_count_run_end_to_end(psi_world) -> None:
    world = psi_world
    session = ClientSession(Mode.COUNT, PARTNER_LIST)
    started = _start(world)
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["server_set_size"] == 30
    assert body["client_set_size"] == 25
    assert body["status"] == "awaiting"
    assert body["requesting_side"] == "partner"
    assert body["requested_by"] == "admin@acme.test"
    run = PsiRun.objects.get(code=body["code"])
    assert run.server_key  # kept server-side between the two calls

    answered = _request(world, body["code"], session)
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "finished"
    response = base64.b64decode(answered.json()["response"])
    # company20 … company29: 10 in common.
    assert session.count(base64.b64decode(body["setup"]), response) == 10
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert bytes(run.server_key) == b""  # the key is gone
    assert run.finished_at == NOW

    reported = _post(world, "partner_user", f"/runs/{run.code}/result", {"count": 10})
    assert reported.status_code == 200
    assert reported.json()["result_count"] == 10
    # The host reads the audit log: who, what, sizes, when.
    log = Client().get(
        f"{P}/partnerships/{world.partnership.code}/runs", headers=headers_for(world, "host_viewer")
    )
    assert log.status_code == 200
    (item,) = log.json()["items"]
    assert item["code"] == run.code
    assert item["requesting_organization"] == "Acme Integrations"
    assert (item["client_set_size"], item["server_set_size"], item["result_count"]) == (25, 30, 10)
    assert item["created_at"].startswith("2026-11-02T09:00")
    kinds = list(
        TimelineEvent.objects.filter(partnership=world.partnership).values_list("kind", flat=True)
    )
    assert kinds.count("psi_run") == 1 and kinds.count("psi_result") == 1
    # A second report is refused.
    again = _post(world, "partner_user", f"/runs/{run.code}/result", {"count": 11})
    assert again.status_code == 410


def test_reveal_run_returns_the_common_domains_to_the_client(psi_world) -> None:
    world = psi_world
    services.consent_set(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side="host",
        population="customers",
        allow_reveal=True,
    )
    session = ClientSession(Mode.REVEAL, PARTNER_LIST)
    started = _start(world, mode="reveal")
    assert started.status_code == 201, started.content
    answered = _request(world, started.json()["code"], session)
    assert answered.status_code == 200
    common = session.intersection(
        base64.b64decode(started.json()["setup"]), base64.b64decode(answered.json()["response"])
    )
    assert common == sorted(f"company{i}.com" for i in range(20, 30))


def test_raw_octet_stream_request(psi_world) -> None:
    world = psi_world
    session = ClientSession(Mode.COUNT, PARTNER_LIST)
    started = _start(world).json()
    answered = Client().post(
        f"{P}/runs/{started['code']}/request",
        session.request(),
        content_type="application/octet-stream",
        headers=headers_for(world, "partner_member"),
    )
    assert answered.status_code == 200, answered.content
    response = base64.b64decode(answered.json()["response"])
    assert session.count(base64.b64decode(started["setup"]), response) == 10


def test_no_consent_is_403(world, populations) -> None:
    populations[(world.host.pk, "customers")] = [f"c{i}.com" for i in range(30)]
    response = _start(world)
    assert response.status_code == 403
    assert "has not enabled private mode" in response.json()["detail"]
    assert not PsiRun.objects.exists()


def test_reveal_without_its_consent_is_403(psi_world) -> None:
    response = _start(psi_world, mode="reveal")
    assert response.status_code == 403
    assert "counts only" in response.json()["detail"]


def test_consent_for_another_population_does_not_count(psi_world) -> None:
    response = _start(psi_world, population="prospects")
    assert response.status_code == 403


def test_the_serving_side_cannot_run_against_its_own_consent(psi_world) -> None:
    # The host consented for its own customers; the host has no consent from the partner.
    response = _start(psi_world, persona="host_owner")
    assert response.status_code == 403


def test_symmetric_the_host_runs_against_the_partners_population(psi_world, populations) -> None:
    world = psi_world
    populations[(world.partner.pk, "customers")] = [f"company{i}.com" for i in range(25, 60)]
    services.consent_set(
        actor=world.actor("partner_user"),
        partnership=world.partnership,
        side="partner",
        population="customers",
        allow_reveal=False,
    )
    session = ClientSession(Mode.COUNT, [f"company{i}.com" for i in range(30)])
    started = _start(world, persona="host_member", client_set_size=30)
    assert started.status_code == 201, started.content
    assert started.json()["server_set_size"] == 35
    answered = _request(world, started.json()["code"], session, persona="host_member")
    count = session.count(
        base64.b64decode(started.json()["setup"]), base64.b64decode(answered.json()["response"])
    )
    assert count == 5  # company25 … company29


def test_too_small_and_too_large_client_sets_are_422(psi_world, settings) -> None:
    response = _start(psi_world, client_set_size=19)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "client_set_size"]
    assert "at least 20" in response.json()["detail"][0]["msg"]
    settings.PSI_MAX_SET_SIZE = 24
    response = _start(psi_world, client_set_size=25)
    assert response.status_code == 422
    assert "At most 24" in response.json()["detail"][0]["msg"]
    settings.PSI_MIN_SET_SIZE = 5
    settings.PSI_MAX_SET_SIZE = 29  # the host's population has 30
    response = _start(psi_world, client_set_size=10)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "population"]
    assert not PsiRun.objects.exists()


def test_daily_rate_limit_is_429_then_lifts(psi_world, settings) -> None:
    settings.PSI_RUNS_PER_DAY = 2
    with time_machine.travel(NOW, tick=False):
        assert _start(psi_world).status_code == 201
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        assert _start(psi_world).status_code == 201
        refused = _start(psi_world)
        assert refused.status_code == 429
        assert "the limit is 2" in refused.json()["detail"]
    # Refused runs are not counted, and the window slides: 24 h after the first run, one
    # more is allowed; the second still counts until 29 h.
    with time_machine.travel(NOW + timedelta(hours=24, minutes=1), tick=False):
        assert _start(psi_world).status_code == 201
        assert _start(psi_world).status_code == 429
    assert PsiRun.objects.count() == 3


def test_default_rate_limit_is_five(psi_world) -> None:
    for _ in range(5):
        assert _start(psi_world).status_code == 201
    assert _start(psi_world).status_code == 429


def test_a_run_answers_one_request_only(psi_world) -> None:
    world = psi_world
    session = ClientSession(Mode.COUNT, PARTNER_LIST)
    code = _start(world).json()["code"]
    assert _request(world, code, session).status_code == 200
    reused = _request(world, code, session)
    assert reused.status_code == 410
    assert "one request" in reused.json()["detail"]


def test_a_run_expires_after_an_hour(psi_world) -> None:
    world = psi_world
    with time_machine.travel(NOW, tick=False):
        code = _start(world).json()["code"]
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        late = _request(world, code, ClientSession(Mode.COUNT, PARTNER_LIST))
    assert late.status_code == 410
    run = PsiRun.objects.get(code=code)
    assert run.status == RunStatus.EXPIRED and bytes(run.server_key) == b""


def test_request_of_another_size_or_mode_or_garbage_is_422_and_the_run_stays_open(
    psi_world,
) -> None:
    world = psi_world
    code = _start(world).json()["code"]
    bigger = _request(world, code, ClientSession(Mode.COUNT, [*PARTNER_LIST, "extra.com"]))
    assert bigger.status_code == 422
    assert "started for 25" in bigger.json()["detail"][0]["msg"]
    reveal = _request(world, code, ClientSession(Mode.REVEAL, PARTNER_LIST))
    assert reveal.status_code == 422
    assert "not in count mode" in reveal.json()["detail"][0]["msg"]
    garbage = _post(world, "partner_user", f"/runs/{code}/request", {"request": "not base64!"})
    assert garbage.status_code == 422
    assert PsiRun.objects.get(code=code).status == RunStatus.AWAITING
    assert _request(world, code, ClientSession(Mode.COUNT, PARTNER_LIST)).status_code == 200


def test_only_the_requesting_organization_uses_a_run(psi_world) -> None:
    world = psi_world
    code = _start(world).json()["code"]
    session = ClientSession(Mode.COUNT, PARTNER_LIST)
    assert _request(world, code, session, persona="host_owner").status_code == 403
    assert _request(world, code, session, persona="other_partner").status_code == 404
    assert _request(world, code, session, persona="other_host").status_code == 404
    assert _request(world, code, session, persona="partner_member").status_code == 200
    result = _post(world, "host_owner", f"/runs/{code}/result", {"count": 3})
    assert result.status_code == 403


def test_another_tenant_gets_404(psi_world) -> None:
    world = psi_world
    for persona in ("other_partner", "other_host"):
        assert _start(world, persona=persona).status_code == 404
        log = Client().get(
            f"{P}/partnerships/{world.partnership.code}/runs", headers=headers_for(world, persona)
        )
        assert log.status_code == 404


def test_viewer_cannot_start_a_run(psi_world) -> None:
    from partnerloop.accounts.models import Membership, Role

    Membership.objects.filter(user=psi_world.partner_member).update(role=Role.VIEWER)
    assert _start(psi_world, persona="partner_member").status_code == 403


def test_report_before_the_request_or_out_of_range_is_refused(psi_world) -> None:
    world = psi_world
    code = _start(world).json()["code"]
    assert _post(world, "partner_user", f"/runs/{code}/result", {"count": 3}).status_code == 410
    _request(world, code, ClientSession(Mode.COUNT, PARTNER_LIST))
    too_many = _post(world, "partner_user", f"/runs/{code}/result", {"count": 26})
    assert too_many.status_code == 422
    assert "between 0 and 25" in too_many.json()["detail"][0]["msg"]


def test_consents_are_listed_for_both_sides(psi_world) -> None:
    for persona in ("host_viewer", "partner_member"):
        response = Client().get(
            f"{P}/partnerships/{psi_world.partnership.code}/consents",
            headers=headers_for(psi_world, persona),
        )
        assert response.status_code == 200
        assert response.json() == [
            {
                "side": "host",
                "population": "customers",
                "modes": ["count"],
                "updated_at": response.json()[0]["updated_at"],
            }
        ]


@pytest.mark.parametrize("runs", [1, 12])
def test_audit_log_queries_do_not_grow(psi_world, runs, django_assert_max_num_queries) -> None:
    world = psi_world
    for _ in range(runs):
        PsiRun.objects.create(
            partnership=world.partnership,
            requested_by=world.partner_user,
            requesting_org=world.partner,
            requesting_side="partner",
            population_key="customers",
            mode="count",
            client_set_size=25,
            server_set_size=30,
        )
    headers = headers_for(world, "host_owner")
    with django_assert_max_num_queries(8):
        response = Client().get(f"{P}/partnerships/{world.partnership.code}/runs", headers=headers)
    assert response.json()["count"] == runs


def test_requests_larger_than_djangos_form_limit_are_read(psi_world, settings) -> None:
    """A 100,000-domain request is ~3.5 MB: the run's own limit applies, not the 2 MB one."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
    world = psi_world
    session = ClientSession(Mode.COUNT, PARTNER_LIST)
    code = _start(world).json()["code"]
    assert len(session.request()) > 500
    answered = _request(world, code, session)
    assert answered.status_code == 200, answered.content


def test_a_body_over_the_runs_limit_is_refused_unread(psi_world) -> None:
    world = psi_world
    code = _start(world).json()["code"]
    too_big = Client().post(
        f"{P}/runs/{code}/request",
        b"\x00" * 10_000,  # 25 domains allow 2 × 40 × 25 + 4096 = 6,096 bytes
        content_type="application/octet-stream",
        headers=headers_for(world, "partner_user"),
    )
    assert too_big.status_code == 422
    assert "larger than this run allows" in too_big.json()["detail"][0]["msg"]
