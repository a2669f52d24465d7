"""Activities done together and what came of them, as each side sees it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerloop.accounts.models import short_code
from partnerloop.partnerships.models import Partnership, Side, Visibility


class ActivityType(models.TextChoices):
    ACCOUNT_MAPPING = "account_mapping", "Account mapping"
    CAMPAIGN = "campaign", "Co-marketing campaign"
    JOINT_EVENT = "joint_event", "Joint event"
    REFERRAL_PUSH = "referral_push", "Referral push"
    ENABLEMENT = "enablement", "Enablement or training"
    MEETING = "meeting", "Meeting or review"
    INTEGRATION = "integration", "Integration"
    OTHER = "other", "Other"


class Result(models.TextChoices):
    WORKED = "worked", "Worked"
    DIDNT = "didnt", "Didn't work"
    MIXED = "mixed", "Mixed"
    PENDING = "pending", "Pending"


class Activity(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(max_length=20, choices=ActivityType.choices)
    title = models.CharField(max_length=200)
    happened_on = models.DateField()
    description = models.TextField(blank=True)
    host_people = models.TextField(blank=True, help_text="One name per line")
    partner_people = models.TextField(blank=True, help_text="One name per line")
    plan_steps = models.ManyToManyField("plans.PlanStep", blank=True, related_name="activities")
    side = models.CharField(max_length=8, choices=Side.choices, help_text="The side that logged it")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.SHARED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-happened_on", "-id"]
        indexes = [
            # Visibility and side too: the IPP test's outcome signal (activities/outcomes.py)
            # then reads every activity of a host from the index alone.
            models.Index(
                fields=["partnership", "happened_on", "visibility", "side"],
                name="activity_by_day_seen",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Outcome(models.Model):
    """One side's view of what an activity gave: both are kept, so a disagreement shows."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outcomes")
    side = models.CharField(max_length=8, choices=Side.choices)
    result = models.CharField(max_length=8, choices=Result.choices)
    notes = models.TextField(blank=True)
    leads = models.PositiveIntegerField(null=True, blank=True)
    meetings = models.PositiveIntegerField(null=True, blank=True)
    pipeline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "side"], name="outcome_once_per_side"),
        ]
        # What the outcome signal counts per activity, read without the table.
        indexes = [models.Index(fields=["activity", "result"], name="outcome_by_result")]


class ActivityComment(models.Model):
    """A comment on an activity; it is seen by whoever sees the activity."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
