"""Prompts: the rules that produce them, each prompt sent once, and how they reach people.

A `Prompt` is one nudge to one person, identified by a dedupe key: the scheduler may run
twice or in two processes at once and the unique key still lets only one row in. Delivery
(e-mail, webhook) is claimed row by row, so a worker that dies mid-batch leaves the rest
for the next run. See docs/prompts.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization, short_code
from partnerloop.partnerships.models import Partnership, Side, Visibility


class PromptKind(models.TextChoices):
    CADENCE = "cadence", "Check-in or review cadence"
    EVENT = "event", "Joint event"
    MILESTONE = "milestone", "Milestone celebration"
    FIRST_REVENUE = "first_revenue", "First revenue celebration"
    STEP_OVERDUE = "step_overdue", "Overdue step"
    SILENCE = "silence", "Re-engagement after silence"
    DID_IT_WORK = "did_it_work", "Did it work?"
    REEVALUATE_FIT = "reevaluate_fit", "Re-evaluate fit"
    REQUEST_WAITING = "request_waiting", "Partner request waiting"
    SHARE_BACK = "share_back", "Share the overlap back"


class Audience(models.TextChoices):
    HOST = "host", "Host side"
    PARTNER = "partner", "Partner side"
    BOTH = "both", "Both sides"


class PromptRule(models.Model):
    """A host's rule; every partnership of the host follows it unless overridden."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="prompt_rules")
    kind = models.CharField(max_length=16, choices=PromptKind.choices)
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.BOTH)
    # Cadence rules: an RFC 5545 recurrence rule ("FREQ=MONTHLY"), read by python-dateutil.
    rrule = models.CharField(max_length=200, blank=True)
    # Trigger rules: N days (overdue by, silent for, without an outcome for, ahead of).
    days = models.PositiveIntegerField(null=True, blank=True)
    # How long after a prompt its action still counts as "followed" (effectiveness).
    follow_days = models.PositiveIntegerField(default=7)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["host", "name"], name="prompt_rule_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class PromptOverride(models.Model):
    """A partnership's own setting for one rule: off, or other days or recurrence."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="prompt_overrides"
    )
    rule = models.ForeignKey(PromptRule, on_delete=models.CASCADE, related_name="overrides")
    enabled = models.BooleanField(default=True)
    rrule = models.CharField(max_length=200, blank=True)
    days = models.PositiveIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "rule"], name="prompt_override_once"),
        ]


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Right away"
    DIGEST = "digest", "A daily digest"
    OFF = "off", "No e-mail (inbox only)"


class PromptPreference(models.Model):
    """A person's choices: how e-mail arrives, and kinds they do not want prompts for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prompt_preference"
    )
    email_mode = models.CharField(
        max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    muted_kinds = models.JSONField(default=list, blank=True)
    digest_hour = models.PositiveSmallIntegerField(default=8, help_text="UTC hour of the digest")
    updated_at = models.DateTimeField(auto_now=True)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DIGEST = "digest", "Waiting for the digest"
    SKIPPED = "skipped", "Not e-mailed"
    FAILED = "failed", "Failed"


class Prompt(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    # rule/kind/subject/occurrence/recipient: the same nudge can never be created twice.
    dedupe_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=PromptKind.choices)
    rule = models.ForeignKey(
        PromptRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="prompts"
    )
    # (No index of their own: the composite indexes below start with these columns, and
    # every index costs time when a pass writes thousands of prompts.)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="prompts", db_index=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prompts", db_index=False
    )
    # The recipient's organization and side: the inbox of one organization shows its own.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # What the prompt asks for, and the record it is about (a step, an event, a milestone).
    action = models.CharField(max_length=24, blank=True)
    subject_code = models.CharField(max_length=12, blank=True)
    celebration = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "organization", "read_at"], name="prompt_inbox"),
            models.Index(fields=["email_status", "email_claimed_at"], name="prompt_email_queue"),
            models.Index(fields=["partnership", "kind", "created_at"], name="prompt_by_kind"),
        ]

    def __str__(self) -> str:
        return self.title


class EmailDigest(models.Model):
    """One digest per person and day: a second run that day finds it and sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    prompt_count = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day"),
        ]


class EventKind(models.TextChoices):
    REVIEW = "review", "Review"
    JOINT_EVENT = "joint_event", "Joint event"


class EventStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class Event(models.Model):
    """A review or joint event on the calendar of both sides."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    host_attendees = models.TextField(blank=True, help_text="One name or e-mail per line")
    partner_attendees = models.TextField(blank=True, help_text="One name or e-mail per line")
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.PROPOSED
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # A review proposed by a cadence rule remembers the occurrence it stands for.
    rule = models.ForeignKey(
        PromptRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    occurrence = models.DateField(null=True, blank=True)
    side = models.CharField(max_length=8, choices=Side.choices, help_text="The side that wrote it")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "rule", "occurrence"],
                condition=Q(rule__isnull=False),
                name="event_once_per_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CheckIn(models.Model):
    """A short structured review from one side: how it is going, and the next tiny step."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="check_ins")
    side = models.CharField(max_length=8, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(help_text="How it is going, 1 (badly) to 5 (great)")
    worked = models.TextField(blank=True)
    didnt = models.TextField(blank=True)
    blockers = models.TextField(blank=True)
    next_step = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.SHARED
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ActionLink(models.Model):
    """A one-click link in an e-mail: signed, expiring, single-use, for one person."""

    token_id = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    prompt = models.ForeignKey(
        Prompt, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    action = models.CharField(max_length=24)
    subject_code = models.CharField(max_length=12)
    value = models.CharField(max_length=24, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class CalendarFeed(models.Model):
    """A personal iCalendar feed URL; the secret is stored only as a hash."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class Webhook(models.Model):
    """An organization's outbound webhook: Slack-compatible JSON, signed with its secret."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    kinds = models.JSONField(default=list, blank=True, help_text="Empty: every kind")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # One delivery per webhook and prompt-worthy event; the key is the prompt's dedupe key
    # without the recipient, so an organization's channel hears of it once.
    event_key = models.CharField(max_length=200)
    payload = models.JSONField()
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_key"], name="webhook_event_once"),
        ]
