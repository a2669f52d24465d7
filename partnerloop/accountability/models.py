"""Accountability on both sides: who promised what by when, and whether it was kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerloop.accounts.models import short_code
from partnerloop.partnerships.models import Partnership, Side


class CommitmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    MISSED = "missed", "Missed"


class Commitment(models.Model):
    """A promise one side made to the other; always shared: both sides hold both to it."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="commitments"
    )
    side = models.CharField(max_length=8, choices=Side.choices, help_text="Whose promise")
    promised_by = models.CharField(max_length=200, blank=True, help_text="Who promised it")
    what = models.CharField(max_length=300)
    due_on = models.DateField()
    status = models.CharField(
        max_length=8, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    recorded_side = models.CharField(max_length=8, choices=Side.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_on", "id"]
        indexes = [models.Index(fields=["partnership", "status"], name="commitment_state")]

    def __str__(self) -> str:
        return self.what


class RequestKind(models.TextChoices):
    """What a partner can ask of the host, each with its own response target."""

    REFERRAL = "referral", "Referral"
    CHECK_IN = "check_in", "Check-in"
    COMMENT = "comment", "Comment"


class PartnerRequest(models.Model):
    """The response clock of one request from the partner side: it starts when the partner
    asks and stops at the host's first response (responsiveness.py)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="partner_requests"
    )
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    # The code of what was asked: a referral, a check-in, or the comment's thread.
    subject_code = models.CharField(max_length=12)
    summary = models.CharField(max_length=200, blank=True)
    asked_at = models.DateTimeField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["partnership", "asked_at"], name="request_by_time"),
            models.Index(fields=["kind", "subject_code"], name="request_subject"),
        ]


# Default response targets, in plain clock hours (nights and weekends count): used when a
# host has not set its own (ResponseTarget).
DEFAULT_TARGET_HOURS: dict[str, int] = {
    RequestKind.REFERRAL: 48,
    RequestKind.CHECK_IN: 72,
    RequestKind.COMMENT: 24,
}
MIN_TARGET_HOURS = 1
MAX_TARGET_HOURS = 720


class ResponseTarget(models.Model):
    """A host's own target for the first response to one kind of partner request."""

    host = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="response_targets"
    )
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    hours = models.PositiveIntegerField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["host", "kind"], name="response_target_once"),
            models.CheckConstraint(
                condition=models.Q(hours__gte=MIN_TARGET_HOURS, hours__lte=MAX_TARGET_HOURS),
                name="response_target_hours_range",
            ),
        ]


class FairnessMetric(models.TextChoices):
    """What the fairness report compares between peers (selectors.fairness_report)."""

    TOUCHES = "touches", "Touches"
    RESPONSE = "response", "Median response time"
    ACCEPTANCE = "acceptance", "Referral acceptance"
    RESOURCES = "resources", "Resources and leads shared"
    REVIEWS = "reviews", "Reviews held"


class FairnessFlagHandled(models.Model):
    """A host's note that a fairness flag was looked at and handled. It counts while it is
    younger than the report's window; after that the flag opens again if still raised."""

    host = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="fairness_handled"
    )
    metric = models.CharField(max_length=12, choices=FairnessMetric.choices)
    # The peer group: "tier:<tier>" or "band:<fit band>".
    group = models.CharField(max_length=24)
    note = models.TextField()
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    handled_at = models.DateTimeField()

    class Meta:
        ordering = ["-handled_at", "-id"]
        indexes = [models.Index(fields=["host", "handled_at"], name="fairness_handled_by_time")]
