"""Outbound webhooks: an organization's channel (Slack or any HTTPS endpoint) hears of
its prompts.

`enqueue_webhooks(prompts)` creates one `WebhookDelivery` per active webhook of each
prompt's organization and event. The event key is the prompt's dedupe key without its
last part (the recipient), so five recipients of one nudge make one message in the
channel. The payload carries only the prompt's title, which was written for the
recipient's side, so a partner's channel never hears of a host-private record.

`deliver_webhooks()` claims due deliveries with a conditional UPDATE (two workers never
post the same one), POSTs the JSON body signed with HMAC-SHA256 over
`<timestamp>.<body>` (headers `X-PartnerLoop-Timestamp`, `X-PartnerLoop-Signature:
sha256=<hex>`), and retries non-2xx answers after 1, 5, 25, 125 and 625 minutes; after
six attempts the delivery is `failed` with the last error kept. See
docs/prompts-delivery.md for how a receiver checks the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from partnerloop.core.tenancy import Actor
from partnerloop.prompts.models import DeliveryStatus, Prompt, Webhook, WebhookDelivery

TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 6
BACKOFF_MINUTES = [1, 5, 25, 125, 625]
STALE_CLAIM = dt.timedelta(minutes=10)
USER_AGENT = "PartnerLoop-Webhooks/1"


def webhooks_of(*, actor: Actor) -> list[Webhook]:
    return list(Webhook.objects.filter(organization=actor.organization).order_by("created_at"))


def webhook_for(*, actor: Actor, code: str) -> Webhook:
    webhook = Webhook.objects.filter(organization=actor.organization, code=code).first()
    if webhook is None:
        raise Http404("No such webhook.")
    return webhook


def recent_deliveries(*, actor: Actor, limit: int = 20) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.select_related("webhook")
        .filter(webhook__organization=actor.organization)
        .order_by("-created_at", "-id")[:limit]
    )


def webhook_create(*, actor: Actor, url: str) -> Webhook:
    actor.require_admin()
    url = url.strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise ValidationError({"url": "Enter the full address, starting with https://."}) from None
    if Webhook.objects.filter(organization=actor.organization, url=url).exists():
        raise ValidationError({"url": "This address is already a webhook of the organization."})
    return Webhook.objects.create(
        organization=actor.organization,
        url=url,
        secret=secrets.token_hex(32),
        created_by=actor.user,
    )


def webhook_delete(*, actor: Actor, webhook: Webhook) -> None:
    actor.require_admin()
    webhook.delete()


def event_key(prompt: Prompt) -> str:
    """The prompt's dedupe key without the recipient (its last `:` part)."""
    return prompt.dedupe_key.rsplit(":", 1)[0]


def payload_for(prompt: Prompt) -> dict[str, Any]:
    partnership = prompt.partnership
    url = settings.SITE_URL + reverse(
        "workspace", kwargs={"org": prompt.organization.code, "code": partnership.code}
    )
    names = f"{partnership.host.name} and {partnership.partner.name}"
    return {
        "text": f"{prompt.title} ({names}) {url}",
        "partnerloop": {
            "kind": prompt.kind,
            "partnership": {
                "code": partnership.code,
                "host": partnership.host.name,
                "partner": partnership.partner.name,
            },
            "title": prompt.title,
            "url": url,
            "created_at": (prompt.created_at or timezone.now()).isoformat(),
        },
    }


def enqueue_webhooks(prompts: Iterable[Prompt]) -> int:
    """One delivery per active webhook and event; returns how many were created."""
    prompts = list(prompts)
    if not prompts:
        return 0
    org_ids = {p.organization_id for p in prompts}
    hooks: dict[int, list[Webhook]] = {}
    for hook in Webhook.objects.filter(organization_id__in=org_ids, active=True):
        hooks.setdefault(hook.organization_id, []).append(hook)
    wanted: dict[tuple[int, str], Prompt] = {}
    for prompt in prompts:
        for hook in hooks.get(prompt.organization_id, []):
            if hook.kinds and prompt.kind not in hook.kinds:
                continue
            wanted.setdefault((hook.pk, event_key(prompt)), prompt)
    if not wanted:
        return 0
    existing = set(
        WebhookDelivery.objects.filter(
            webhook_id__in={h for h, _ in wanted}, event_key__in={k for _, k in wanted}
        ).values_list("webhook_id", "event_key")
    )
    now = timezone.now()
    new = [
        WebhookDelivery(
            webhook_id=hook_id,
            event_key=key,
            payload=payload_for(prompt),
            next_attempt_at=now,
        )
        for (hook_id, key), prompt in wanted.items()
        if (hook_id, key) not in existing
    ]
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _due(now: dt.datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    )


def _post(delivery: WebhookDelivery, now: dt.datetime) -> tuple[int | None, str]:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-PartnerLoop-Timestamp": timestamp,
        "X-PartnerLoop-Signature": signature(delivery.webhook.secret, timestamp, body),
    }
    try:
        response = requests.post(
            delivery.webhook.url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"[:500]


def deliver_one(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """Claim and send one delivery; True if the receiver answered 2xx."""
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .filter(_due(now))
        .update(status=DeliveryStatus.SENDING, claimed_at=now)
    )
    if not claimed:
        return False
    code, error = _post(delivery, now)
    attempts = delivery.attempts + 1
    mine = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=now
    )
    if not error:
        mine.update(
            status=DeliveryStatus.SENT,
            attempts=attempts,
            last_status_code=code,
            last_error="",
            delivered_at=now,
        )
        return True
    if attempts >= MAX_ATTEMPTS:
        mine.update(
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            last_status_code=code,
            last_error=error,
        )
    else:
        mine.update(
            status=DeliveryStatus.PENDING,
            attempts=attempts,
            last_status_code=code,
            last_error=error,
            next_attempt_at=now + dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1]),
        )
    return False


def deliver_webhooks(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send due deliveries; returns how many were delivered."""
    now = now or timezone.now()
    due = (
        WebhookDelivery.objects.select_related("webhook")
        .filter(_due(now), webhook__active=True)
        .order_by("next_attempt_at", "id")[:limit]
    )
    return sum(deliver_one(delivery, now) for delivery in due)


def webhook_send_test(*, actor: Actor, webhook: Webhook) -> WebhookDelivery:
    """Send a test message now; the delivery shows in the recent deliveries either way."""
    actor.require_admin()
    now = timezone.now()
    host = urlsplit(settings.SITE_URL).netloc
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event_key=f"test:{secrets.token_hex(8)}",
        payload={
            "text": f"Test message from PartnerLoop ({actor.organization.name}, {host}).",
            "partnerloop": {
                "kind": "test",
                "partnership": None,
                "title": "Test message",
                "url": settings.SITE_URL,
                "created_at": now.isoformat(),
            },
        },
        next_attempt_at=now,
    )
    deliver_one(delivery, now)
    delivery.refresh_from_db()
    return delivery
