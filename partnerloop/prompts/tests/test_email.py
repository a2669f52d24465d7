"""E-mail delivery through a real SMTP server (aiosmtpd on 127.0.0.1), routing by
preference, the daily digest, and claims under concurrency and interruption."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.utils import timezone

from partnerloop.conftest import World
from partnerloop.partnerships.models import Side, Visibility
from partnerloop.plans.models import Plan, PlanStep, StepStatus
from partnerloop.prompts import email as prompt_email
from partnerloop.prompts.models import (
    DeliveryStatus,
    EmailDigest,
    EmailMode,
    Prompt,
    PromptKind,
    PromptPreference,
)

# --- helpers shared by the delivery tests -------------------------------------------------


def make_step(world: World, **fields: Any) -> PlanStep:
    plan, _ = Plan.objects.get_or_create(partnership=world.partnership)
    defaults: dict[str, Any] = {
        "plan": plan,
        "partnership": world.partnership,
        "phase": "start",
        "title": "Share the pitch deck",
        "owner_side": "both",
        "side": Side.HOST,
        "visibility": Visibility.SHARED,
    }
    defaults.update(fields)
    return PlanStep.objects.create(**defaults)


def make_prompt(world: World, persona: str = "host_owner", **fields: Any) -> Prompt:
    user = getattr(world, persona)
    org = world.host if persona.startswith("host") else world.partner
    defaults: dict[str, Any] = {
        "kind": PromptKind.STEP_OVERDUE,
        "partnership": world.partnership,
        "recipient": user,
        "organization": org,
        "side": Side.HOST if org == world.host else Side.PARTNER,
        "title": "“Share the pitch deck” is overdue",
        "body": "It was due last week. One small push finishes it.",
    }
    defaults.update(fields)
    subject = defaults.get("subject_code") or "none"
    defaults.setdefault(
        "dedupe_key", f"{defaults['kind']}:{world.partnership.code}:{subject}:{user.pk}"
    )
    return Prompt.objects.create(**defaults)


class Collector:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Collector]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    try:
        yield collector
    finally:
        controller.stop()


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def link_paths(text: str) -> list[str]:
    return [urlsplit(u).path for u in re.findall(r"https?://\S+/l/[^/\s]+/", text)]


# --- tests ---------------------------------------------------------------------------------


def test_prompt_email_over_smtp_and_its_one_click_link(world: World, smtp: Collector) -> None:
    step = make_step(world)
    prompt = make_prompt(world, action="step_done", subject_code=step.code)

    assert prompt_email.send_prompt_emails() == 1

    [message] = smtp.messages
    assert message["To"] == "owner@northwind.test"
    assert message["Subject"].strip() == "[PartnerLoop] “Share the pitch deck” is overdue"
    assert message["Message-ID"] == prompt_email.message_id(prompt.dedupe_key)
    text, html = parts(message)
    assert "One small push finishes it." in text and "One small push finishes it." in html
    assert "Mark as done" in html
    assert f"/o/{world.host.code}/prompts/{prompt.code}/" in text
    [path] = link_paths(text)
    assert path in html

    client = world.client("anonymous")  # no session: the link itself is the credential
    page = client.get(path)
    assert page.status_code == 200 and b"Mark the step as done" in page.content
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN  # opening (or prefetching) the link changes nothing

    done = client.post(path)
    assert done.status_code == 200 and b"the step is marked as done" in done.content
    step.refresh_from_db()
    prompt.refresh_from_db()
    assert step.status == StepStatus.DONE and step.done_by == world.host_owner
    assert step.evidence == "Marked done from an e-mail link"
    assert prompt.acted_at is not None
    assert prompt.email_status == DeliveryStatus.SENT and prompt.emailed_at is not None

    again = client.post(path)
    assert again.status_code == 410 and b"already used" in again.content


def test_routing_immediate_digest_off_and_muted(world: World) -> None:
    immediate = make_prompt(world, "host_owner")
    PromptPreference.objects.create(user=world.host_member, email_mode=EmailMode.DIGEST)
    digest = make_prompt(world, "host_member")
    PromptPreference.objects.create(user=world.partner_user, email_mode=EmailMode.OFF)
    off = make_prompt(world, "partner_user")
    PromptPreference.objects.create(
        user=world.partner_member, muted_kinds=[PromptKind.STEP_OVERDUE]
    )
    muted = make_prompt(world, "partner_member")
    not_muted = make_prompt(world, "partner_member", kind=PromptKind.MILESTONE, title="Hooray")

    assert prompt_email.send_prompt_emails() == 2

    assert sorted(m.to[0] for m in mail.outbox) == ["member@acme.test", "owner@northwind.test"]
    status = {p.pk: p.email_status for p in Prompt.objects.all()}
    assert status[immediate.pk] == DeliveryStatus.SENT
    assert status[digest.pk] == DeliveryStatus.DIGEST
    assert status[off.pk] == DeliveryStatus.SKIPPED
    assert status[muted.pk] == DeliveryStatus.SKIPPED
    assert status[not_muted.pk] == DeliveryStatus.SENT
    assert prompt_email.send_prompt_emails() == 0  # nothing left pending
    assert len(mail.outbox) == 2


def test_daily_digest_once_at_the_users_hour(world: World, smtp: Collector) -> None:
    PromptPreference.objects.create(
        user=world.host_member, email_mode=EmailMode.DIGEST, digest_hour=9
    )
    with time_machine.travel(dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC), tick=False):
        first = make_prompt(world, "host_member", title="Review the plan")
        second = make_prompt(world, "host_member", kind=PromptKind.SILENCE, title="Say hello")
        assert prompt_email.send_prompt_emails() == 0
        assert prompt_email.send_digests() == 0  # before 09:00 UTC
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC), tick=False):
        assert prompt_email.send_digests() == 1
        assert prompt_email.send_digests() == 0  # a second run the same day sends nothing
    [message] = smtp.messages
    assert message["To"] == "member@northwind.test"
    assert "2 prompts" in message["Subject"]
    text, html = parts(message)
    for body in (text, html):
        assert "Review the plan" in body and "Say hello" in body
    assert f"/prompts/{first.code}/" in text and f"/prompts/{second.code}/" in html
    assert set(Prompt.objects.values_list("email_status", flat=True)) == {DeliveryStatus.SENT}
    digest = EmailDigest.objects.get(user=world.host_member)
    assert digest.prompt_count == 2 and digest.sent_at is not None
    # A prompt arriving later that day waits for tomorrow's digest.
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), tick=False):
        make_prompt(world, "host_member", kind=PromptKind.CADENCE, title="Monthly review")
        prompt_email.send_prompt_emails()
        assert prompt_email.send_digests() == 0
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False):
        assert prompt_email.send_digests() == 1
    assert len(smtp.messages) == 2


SENT_BY_FLAKY: list[str] = []


class FlakyBackend(BaseEmailBackend):
    """Accepts `budget` messages, then fails as if the server or the worker went away."""

    budget = 2

    def send_messages(self, messages: list[Any]) -> int:
        for message in messages:
            if FlakyBackend.budget <= 0:
                raise ConnectionError("SMTP server went away")
            FlakyBackend.budget -= 1
            SENT_BY_FLAKY.append(message.extra_headers["Message-ID"])
        return len(messages)


def test_a_run_interrupted_mid_batch_loses_nothing_and_sends_nothing_twice(
    world: World, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    SENT_BY_FLAKY.clear()
    FlakyBackend.budget = 2
    prompts = [make_prompt(world, kind=kind, title=f"P{i}") for i, kind in enumerate(PromptKind)]
    assert len(prompts) == len(PromptKind) == 10

    with pytest.raises(ConnectionError):
        prompt_email.send_prompt_emails()
    assert len(SENT_BY_FLAKY) == 2
    assert Prompt.objects.filter(email_status=DeliveryStatus.SENT).count() == 2
    assert Prompt.objects.filter(email_status=DeliveryStatus.PENDING).count() == 8

    FlakyBackend.budget = 100
    assert prompt_email.send_prompt_emails() == 8
    assert sorted(SENT_BY_FLAKY) == sorted(prompt_email.message_id(p.dedupe_key) for p in prompts)
    assert set(Prompt.objects.values_list("email_status", flat=True)) == {DeliveryStatus.SENT}


class RacingBackend(LocmemBackend):
    """While the first worker sends its first message, a second worker runs a full batch."""

    raced = False

    def send_messages(self, messages: list[Any]) -> int:
        if not RacingBackend.raced:
            RacingBackend.raced = True
            prompt_email.send_prompt_emails()
        return super().send_messages(messages)


def test_two_workers_at_once_never_send_a_prompt_twice(world: World, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RacingBackend"
    RacingBackend.raced = False
    prompts = [make_prompt(world, kind=kind, title=f"P{i}") for i, kind in enumerate(PromptKind)]

    prompt_email.send_prompt_emails()

    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == len(prompts) == len(set(ids))
    assert set(Prompt.objects.values_list("email_status", flat=True)) == {DeliveryStatus.SENT}


def test_a_stale_claim_is_taken_again_a_fresh_one_is_not(world: World) -> None:
    now = timezone.now()
    stale = make_prompt(world, title="Stale")
    fresh = make_prompt(world, kind=PromptKind.SILENCE, title="Fresh")
    Prompt.objects.filter(pk=stale.pk).update(
        email_status=DeliveryStatus.SENDING, email_claimed_at=now - dt.timedelta(minutes=11)
    )
    Prompt.objects.filter(pk=fresh.pk).update(
        email_status=DeliveryStatus.SENDING, email_claimed_at=now - dt.timedelta(minutes=5)
    )

    assert prompt_email.send_prompt_emails(now=now) == 1

    assert [m.subject for m in mail.outbox] == ["[PartnerLoop] Stale"]
    fresh.refresh_from_db()
    assert fresh.email_status == DeliveryStatus.SENDING


def test_the_email_carries_only_the_prompt_text_for_the_recipients_side(world: World) -> None:
    private = make_step(world, title="Host-only pricing idea", visibility=Visibility.PRIVATE)
    make_prompt(world, "partner_user", title="Time for a check-in", body="How is it going?")

    prompt_email.send_prompt_emails()

    [message] = mail.outbox
    html = message.alternatives[0].content
    assert private.title not in message.body and private.title not in html
    assert "Time for a check-in" in message.body


def test_preferences_page_saves_the_users_choices(world: World) -> None:
    client = world.client("host_viewer")
    url = f"/o/{world.host.code}/notifications/"
    page = client.get(url)
    assert page.status_code == 200 and b"Digest hour" in page.content
    assert b"Webhooks of" not in page.content  # admins only

    response = client.post(
        url, {"email_mode": "digest", "digest_hour": 17, "muted_kinds": ["silence", "event"]}
    )

    assert response.status_code == 302
    preference = PromptPreference.objects.get(user=world.host_viewer)
    assert preference.email_mode == EmailMode.DIGEST and preference.digest_hour == 17
    assert preference.muted_kinds == ["event", "silence"]
    bad = client.post(url, {"email_mode": "hourly", "digest_hour": 17})
    assert bad.status_code == 200 and b"errorlist" in bad.content


class SlowBackend(LocmemBackend):
    """Slow enough that two workers' batches overlap."""

    def send_messages(self, messages: list[Any]) -> int:
        time.sleep(0.02)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_never_send_a_prompt_twice(world: World, settings: Any) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        "file:memorydb"
    ):
        pytest.skip("in-memory SQLite is one connection; PostgreSQL runs this test")
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    prompts = [
        make_prompt(world, persona, kind=kind, title=f"{persona} {kind}")
        for persona in ("host_owner", "host_member", "partner_user")
        for kind in PromptKind
    ]
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(prompt_email.send_prompt_emails())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not [e for e in errors if "locked" not in str(e)]
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == len(set(ids))
    if not errors:
        assert sum(counts) == len(ids) == len(prompts)
