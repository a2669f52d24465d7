"""E-mail delivery of prompts: right away, in a daily digest, or not at all.

`send_prompt_emails` is called by the worker after the scheduler created prompts. Each
pending prompt is routed by its recipient's `PromptPreference` (none means "right away"):

* off, or a muted kind: `skipped` (the prompt stays in the in-app inbox);
* digest: `digest`, picked up by `send_digests` once a day at the user's hour (UTC);
* right away: claimed with a conditional UPDATE (pending -> sending, with the claim time),
  sent, then marked `sent`. Only the worker whose UPDATE changed the row sends it, so two
  workers never send the same prompt. A claim older than `STALE_CLAIM` belongs to a worker
  that died; the next run takes it again.

The one window for a duplicate is between the SMTP server accepting the message and the
row being marked `sent`: a worker killed exactly there leaves a stale claim and the
message goes out again ten minutes later. The Message-ID is derived from the prompt's
dedupe key, so both copies carry the same id and mail systems that drop duplicates
(and every threading mail client) treat them as one message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from partnerloop.accounts.models import WRITE_ROLES, Membership
from partnerloop.core.tenancy import Actor
from partnerloop.prompts import links
from partnerloop.prompts.models import (
    DeliveryStatus,
    EmailDigest,
    EmailMode,
    Prompt,
    PromptKind,
    PromptPreference,
)

log = logging.getLogger(__name__)

STALE_CLAIM = dt.timedelta(minutes=10)
SUBJECT_PREFIX = "[PartnerLoop] "


@dataclass
class Button:
    label: str
    url: str


def message_id(key: str) -> str:
    """A stable Message-ID: the same prompt always gets the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = urlsplit(settings.SITE_URL).hostname or "partnerloop.local"
    return f"<{digest}@{domain}>"


def prompt_url(prompt: Prompt) -> str:
    """The prompt in the app (opening it marks it read and leads to what it is about)."""
    return settings.SITE_URL + reverse(
        "prompt_open", kwargs={"org": prompt.organization.code, "prompt": prompt.code}
    )


def preferences_url(prompt: Prompt) -> str:
    return settings.SITE_URL + reverse(
        "delivery_preferences", kwargs={"org": prompt.organization.code}
    )


def action_buttons(prompt: Prompt) -> list[Button]:
    """One-click buttons for the prompt's action, each a new single-use link."""
    if not prompt.action or not prompt.subject_code:
        return []
    can_write = Membership.objects.filter(
        user_id=prompt.recipient_id, organization_id=prompt.organization_id, role__in=WRITE_ROLES
    ).exists()
    if not can_write:
        return []  # a read-only member would only meet a refusal page
    make = lambda action, value="": links.action_link_url(  # noqa: E731
        prompt=prompt, action=action, subject_code=prompt.subject_code, value=value
    )
    if prompt.action == links.STEP_DONE:
        return [Button("Mark as done", make(links.STEP_DONE))]
    if prompt.action == links.DID_IT_WORK:
        return [Button(label, make(links.DID_IT_WORK, v)) for v, label in links.OUTCOMES.items()]
    if prompt.action == links.CONFIRM_EVENT:
        return [Button("Confirm the event", make(links.CONFIRM_EVENT))]
    return []


def _queue() -> Iterable[Prompt]:
    return Prompt.objects.select_related(
        "partnership__host", "partnership__partner", "organization", "recipient__prompt_preference"
    )


def _route(prompt: Prompt) -> str:
    preference = getattr(prompt.recipient, "prompt_preference", None)
    if preference is None:
        return EmailMode.IMMEDIATE
    if preference.email_mode == EmailMode.OFF or prompt.kind in (preference.muted_kinds or []):
        return DeliveryStatus.SKIPPED
    if preference.email_mode == EmailMode.DIGEST:
        return DeliveryStatus.DIGEST
    return EmailMode.IMMEDIATE


def render_prompt_email(prompt: Prompt) -> EmailMultiAlternatives:
    """The message for one prompt. Only the prompt's own title and body (written for the
    recipient's side) and the partnership's names go in; no other record is added."""
    context = {
        "prompt": prompt,
        "partnership": prompt.partnership,
        "url": prompt_url(prompt),
        "preferences_url": preferences_url(prompt),
        "buttons": action_buttons(prompt),
    }
    message = EmailMultiAlternatives(
        subject=SUBJECT_PREFIX + prompt.title,
        body=render_to_string("prompts/email/prompt.txt", context),
        to=[prompt.recipient.email],
        headers={"Message-ID": message_id(prompt.dedupe_key)},
    )
    message.attach_alternative(render_to_string("prompts/email/prompt.html", context), "text/html")
    return message


def _claim(prompt: Prompt, now: dt.datetime) -> bool:
    return bool(
        Prompt.objects.filter(pk=prompt.pk)
        .filter(
            Q(email_status=DeliveryStatus.PENDING)
            | Q(email_status=DeliveryStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM)
        )
        .update(email_status=DeliveryStatus.SENDING, email_claimed_at=now)
    )


def send_prompt_emails(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Route and send pending prompt e-mails; returns how many were sent."""
    now = now or timezone.now()
    due = Q(email_status=DeliveryStatus.PENDING) | Q(
        email_status=DeliveryStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM
    )
    sent = 0
    for prompt in _queue().filter(due).order_by("created_at", "id")[:limit]:
        route = _route(prompt)
        if route != EmailMode.IMMEDIATE:
            Prompt.objects.filter(pk=prompt.pk).filter(due).update(email_status=route)
            continue
        if not _claim(prompt, now):
            continue  # another worker has it
        try:
            with transaction.atomic():
                message = render_prompt_email(prompt)
            message.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            log.warning("Prompt %s not e-mailed: %s", prompt.code, exc)
            Prompt.objects.filter(pk=prompt.pk, email_claimed_at=now).update(
                email_status=DeliveryStatus.FAILED
            )
            continue
        except Exception:
            # The server is unreachable or the worker is stopping: hand the claim back so
            # the next run sends it, and stop this run.
            Prompt.objects.filter(
                pk=prompt.pk, email_status=DeliveryStatus.SENDING, email_claimed_at=now
            ).update(email_status=DeliveryStatus.PENDING, email_claimed_at=None)
            raise
        Prompt.objects.filter(
            pk=prompt.pk, email_status=DeliveryStatus.SENDING, email_claimed_at=now
        ).update(email_status=DeliveryStatus.SENT, emailed_at=now)
        sent += 1
    return sent


def _claim_digest(user_id: int, day: dt.date, now: dt.datetime) -> EmailDigest | None:
    """The user's digest of the day, if this run may send it."""
    try:
        with transaction.atomic():
            return EmailDigest.objects.create(user_id=user_id, day=day, claimed_at=now)
    except IntegrityError:
        pass
    # A run that died after claiming: take it over once the claim is stale.
    retaken = EmailDigest.objects.filter(
        user_id=user_id, day=day, sent_at__isnull=True, claimed_at__lt=now - STALE_CLAIM
    ).update(claimed_at=now)
    return EmailDigest.objects.get(user_id=user_id, day=day) if retaken else None


def send_digests(*, now: dt.datetime | None = None) -> int:
    """Send each user's daily digest once, at or after their digest hour (UTC)."""
    now = now or timezone.now()
    utc_now = now.astimezone(dt.UTC)
    day = utc_now.date()
    user_ids = set(
        Prompt.objects.filter(email_status=DeliveryStatus.DIGEST).values_list(
            "recipient_id", flat=True
        )
    )
    users = (
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .select_related("prompt_preference")
        .order_by("pk")
    )
    sent = 0
    for user in users:
        preference = getattr(user, "prompt_preference", None)
        hour = preference.digest_hour if preference is not None else 8
        if utc_now.hour < hour:
            continue
        if EmailDigest.objects.filter(user=user, day=day, sent_at__isnull=False).exists():
            continue
        digest = _claim_digest(user.pk, day, now)
        if digest is None:
            continue
        prompts = list(
            _queue()
            .filter(recipient=user, email_status=DeliveryStatus.DIGEST)
            .order_by("organization__name", "created_at", "id")
        )
        if not prompts:
            continue
        context = {
            "user": user,
            "items": [{"prompt": p, "url": prompt_url(p)} for p in prompts],
            "preferences_url": preferences_url(prompts[0]),
            "day": day,
        }
        count = len(prompts)
        message = EmailMultiAlternatives(
            subject=f"{SUBJECT_PREFIX}Your daily digest: {count} prompt{'s' if count != 1 else ''}",
            body=render_to_string("prompts/email/digest.txt", context),
            to=[user.email],
            headers={"Message-ID": message_id(f"digest:{user.pk}:{day.isoformat()}")},
        )
        message.attach_alternative(
            render_to_string("prompts/email/digest.html", context), "text/html"
        )
        message.send()
        Prompt.objects.filter(
            pk__in=[p.pk for p in prompts], email_status=DeliveryStatus.DIGEST
        ).update(email_status=DeliveryStatus.SENT, emailed_at=now)
        EmailDigest.objects.filter(pk=digest.pk).update(sent_at=now, prompt_count=count)
        sent += 1
    return sent


def preference_update(
    *, actor: Actor, email_mode: str, digest_hour: int, muted_kinds: list[str]
) -> PromptPreference:
    """Save the actor's own e-mail preferences (every role may; they are personal)."""
    if email_mode not in EmailMode.values:
        raise ValidationError({"email_mode": "Choose right away, a daily digest, or no e-mail."})
    if not 0 <= int(digest_hour) <= 23:
        raise ValidationError({"digest_hour": "Choose an hour between 0 and 23 (UTC)."})
    unknown = set(muted_kinds) - set(PromptKind.values)
    if unknown:
        raise ValidationError({"muted_kinds": "Choose among the listed kinds of prompts."})
    preference, _ = PromptPreference.objects.update_or_create(
        user=actor.user,
        defaults={
            "email_mode": email_mode,
            "digest_hour": int(digest_hour),
            "muted_kinds": sorted(set(muted_kinds)),
        },
    )
    return preference
