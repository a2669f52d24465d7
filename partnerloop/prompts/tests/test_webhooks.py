"""Outbound webhooks received by a local HTTP server that checks the signature."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import time_machine

from partnerloop.conftest import World
from partnerloop.prompts import webhooks
from partnerloop.prompts.models import DeliveryStatus, PromptKind, Webhook, WebhookDelivery
from partnerloop.prompts.tests.test_email import make_prompt

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Receiver:
    """Answers with the queued status codes (then 200) and keeps what it received."""

    def __init__(self) -> None:
        self.secret = ""
        self.answers: list[int] = []
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            timestamp = self.headers["X-PartnerLoop-Timestamp"]
            expected = hmac.new(
                state.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            given = self.headers["X-PartnerLoop-Signature"].removeprefix("sha256=")
            if not hmac.compare_digest(expected, given):
                state.bad_signatures += 1
                self.send_response(401)
                self.end_headers()
                return
            state.received.append(json.loads(body))
            code = state.answers.pop(0) if state.answers else 200
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok" if code < 300 else b"boom")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _hook(world: World, url: str, state: Receiver, org: Any = None) -> Webhook:
    hook = Webhook.objects.create(
        organization=org or world.host, url=url, secret="topsecret-" + "x" * 40
    )
    state.secret = hook.secret
    return hook


def test_a_delivery_is_signed_and_slack_compatible(
    world: World, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    _hook(world, url, state)
    prompt = make_prompt(world, kind=PromptKind.MILESTONE, title="First deal closed!")

    assert webhooks.enqueue_webhooks([prompt]) == 1
    assert webhooks.deliver_webhooks() == 1

    assert state.bad_signatures == 0
    [body] = state.received
    assert body["text"].startswith("First deal closed!")
    info = body["partnerloop"]
    assert info["kind"] == "milestone" and info["title"] == "First deal closed!"
    assert info["partnership"]["code"] == world.partnership.code
    assert f"/o/{world.host.code}/p/{world.partnership.code}/" in info["url"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.last_status_code == 200
    assert webhooks.deliver_webhooks() == 0  # delivered once


def test_a_500_is_retried_with_backoff_then_delivered(
    world: World, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    _hook(world, url, state)
    state.answers = [500]
    with time_machine.travel(T0, tick=False) as clock:
        webhooks.enqueue_webhooks([make_prompt(world)])
        assert webhooks.deliver_webhooks() == 0
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert delivery.last_status_code == 500 and "HTTP 500" in delivery.last_error
        assert delivery.next_attempt_at == T0 + dt.timedelta(minutes=1)

        clock.move_to(T0 + dt.timedelta(seconds=30))
        assert webhooks.deliver_webhooks() == 0  # not due yet
        assert len(state.received) == 1

        clock.move_to(T0 + dt.timedelta(seconds=61))
        assert webhooks.deliver_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert len(state.received) == 2


def test_after_six_failures_the_delivery_fails_with_the_last_error(
    world: World, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    _hook(world, url, state)
    state.answers = [503] * 10
    when = T0
    with time_machine.travel(when, tick=False) as clock:
        webhooks.enqueue_webhooks([make_prompt(world)])
        for wait in [0, 1, 5, 25, 125, 625]:
            when += dt.timedelta(minutes=wait)
            clock.move_to(when)
            webhooks.deliver_webhooks()
        clock.move_to(when + dt.timedelta(days=2))
        assert webhooks.deliver_webhooks() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 6
    assert "HTTP 503" in delivery.last_error
    assert len(state.received) == 6


def test_one_delivery_per_event_and_never_another_sides_record(world: World) -> None:
    host_hook = Webhook.objects.create(organization=world.host, url="https://h.test/", secret="a")
    partner_hook = Webhook.objects.create(
        organization=world.partner, url="https://p.test/", secret="b"
    )
    Webhook.objects.create(
        organization=world.host, url="https://off.test/", secret="c", active=False
    )
    # The same nudge to two host users, and a host-private one (a private step overdue).
    shared_key = f"cadence:{world.partnership.code}:2026-03"
    to_owner = make_prompt(
        world, "host_owner", dedupe_key=f"{shared_key}:{world.host_owner.pk}", title="Review"
    )
    to_member = make_prompt(
        world, "host_member", dedupe_key=f"{shared_key}:{world.host_member.pk}", title="Review"
    )
    private = make_prompt(world, "host_owner", title="Secret pricing step is overdue")
    to_partner = make_prompt(
        world,
        "partner_user",
        dedupe_key=f"{shared_key}:{world.partner_user.pk}",
        title="Review with Northwind",
    )

    created = webhooks.enqueue_webhooks([to_owner, to_member, private, to_partner])
    again = webhooks.enqueue_webhooks([to_owner, to_member, private, to_partner])

    assert (created, again) == (3, 0)
    host_titles = sorted(d.payload["partnerloop"]["title"] for d in host_hook.deliveries.all())
    assert host_titles == ["Review", "Secret pricing step is overdue"]
    partner_payloads = [d.payload for d in partner_hook.deliveries.all()]
    assert [p["partnerloop"]["title"] for p in partner_payloads] == ["Review with Northwind"]
    assert "Secret pricing" not in json.dumps(partner_payloads)


def test_admins_manage_webhooks_and_send_a_test(
    world: World, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    base = f"/o/{world.host.code}/notifications/"
    assert world.client("host_member").post(base + "webhooks/", {"url": url}).status_code == 403

    owner = world.client("host_owner")
    assert owner.post(base + "webhooks/", {"url": "not a url"}).status_code == 400
    assert owner.post(base + "webhooks/", {"url": url}).status_code == 302
    hook = Webhook.objects.get()
    state.secret = hook.secret

    response = owner.post(base + f"webhooks/{hook.code}/test/", follow=True)

    assert b"The test reached" in response.content
    assert state.received[0]["partnerloop"]["kind"] == "test"
    page = owner.get(base)
    assert b"Recent deliveries" in page.content and b"Test message" in page.content
    # Another organization's admin cannot reach it.
    other = world.client("partner_user")
    assert (
        other.post(
            f"/o/{world.partner.code}/notifications/webhooks/{hook.code}/delete/"
        ).status_code
        == 404
    )
    assert owner.post(base + f"webhooks/{hook.code}/delete/").status_code == 302
    assert not Webhook.objects.exists()
