"""The Ideal Partner Profile (IPP), its versions and criteria, and two-way fit evaluations."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization, short_code
from partnerloop.partnerships.models import Partnership, Side, Visibility


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class Direction(models.TextChoices):
    OURS = "ours", "Why they fit us"
    THEIRS = "theirs", "Why we fit them"


class Dimension(models.TextChoices):
    CUSTOMER_OVERLAP = "customer_overlap", "Customer overlap"
    COMPLEMENTARY_OFFER = "complementary_offer", "Complementary offer"
    GO_TO_MARKET = "go_to_market", "Go-to-market"
    GEOGRAPHY = "geography", "Geography"
    MOTIVATION = "motivation", "Motivation and sponsorship"
    CAPACITY = "capacity", "Capacity"
    CULTURE = "culture", "Culture and reputation"
    OTHER = "other", "Other"


class AnswerKind(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    SCALE = "scale", "Scale 1–5"
    CHOICE = "choice", "Choice with points"
    NUMBER = "number", "Number with bands"


class Band(models.TextChoices):
    HIGH = "high", "High fit"
    MEDIUM = "medium", "Medium fit"
    LOW = "low", "Low fit"


class IppVersion(models.Model):
    """One version of a host's Ideal Partner Profile. Draft → active (one per host) → retired."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ipp_versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200, default="Ideal Partner Profile")
    status = models.CharField(
        max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    # Mutual score thresholds: >= high is high fit, >= medium is medium fit, below is low.
    band_high = models.PositiveSmallIntegerField(default=70)
    band_medium = models.PositiveSmallIntegerField(default=40)
    change_note = models.TextField(blank=True, help_text="Why we changed it (asked on activation)")
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["host", "number"], name="ippversion_number_unique"),
            models.UniqueConstraint(
                fields=["host"], condition=Q(status="active"), name="ippversion_one_active"
            ),
            models.CheckConstraint(
                condition=Q(band_high__lte=100) & Q(band_medium__lt=models.F("band_high")),
                name="ippversion_bands_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number} ({self.status})"

    def band_for(self, score: float | None) -> str:
        if score is None:
            return ""
        if score >= self.band_high:
            return Band.HIGH
        if score >= self.band_medium:
            return Band.MEDIUM
        return Band.LOW


class Criterion(models.Model):
    version = models.ForeignKey(IppVersion, on_delete=models.CASCADE, related_name="criteria")
    # Stable across versions: answers carry over by key.
    key = models.SlugField(max_length=60)
    question = models.CharField(max_length=300)
    help_text = models.TextField(blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    dimension = models.CharField(max_length=24, choices=Dimension.choices)
    answer_kind = models.CharField(max_length=8, choices=AnswerKind.choices)
    # choice: [{"label": str, "points": 0-100}]; number: [{"min": x|null, "max": y|null,
    # "points": 0-100}] with min inclusive and max exclusive.
    options = models.JSONField(default=list, blank=True)
    weight = models.PositiveSmallIntegerField(default=3)
    knock_out = models.BooleanField(
        default=False, help_text="A red flag: the worst answer caps the score in the low band."
    )
    # A suggested small step to close the gap when the answer is weak.
    improvement_step = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["direction", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="criterion_key_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=10), name="criterion_weight_1_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.question}"

    @property
    def answered_by(self) -> str:
        """Host users answer *ours*, partner users answer *theirs*."""
        return Side.HOST if self.direction == Direction.OURS else Side.PARTNER

    def signature(self) -> str:
        """What an answer depends on; an answer given under another signature is re-asked."""
        payload = json.dumps(
            [self.direction, self.answer_kind, self.options, self.question], sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Evaluation(models.Model):
    """One side's checklist for one partnership against one IPP version. Never deleted.

    `answers` maps criterion key → {"value": ..., "evidence": str, "signature": str}; the
    signature is the criterion's at the time of answering, for carry-over to new versions.
    The host's evaluation (*ours*) is private to the host unless `shared`; the partner's
    (*theirs*) is private to the partner until submitted.
    """

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="evaluations"
    )
    version = models.ForeignKey(IppVersion, on_delete=models.PROTECT, related_name="evaluations")
    side = models.CharField(max_length=8, choices=Side.choices)
    status = models.CharField(
        max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    other_dimensions = models.TextField(
        blank=True, help_text="Other dimensions of fit, in your own words."
    )
    shared = models.BooleanField(default=False)
    score = models.FloatField(null=True, blank=True)
    coverage = models.FloatField(default=0)
    knocked_out = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Optimistic concurrency for two people filling in the same draft.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partnership", "side", "-created_at"])]
        constraints = [
            # At most one open draft per partnership and side.
            models.UniqueConstraint(
                fields=["partnership", "side"],
                condition=Q(status="draft"),
                name="evaluation_one_draft_per_side",
            )
        ]

    def __str__(self) -> str:
        return f"{self.side} evaluation of {self.partnership_id} ({self.status})"


class FitSnapshot(models.Model):
    """The fit of a partnership at one moment, against one version: the trend's points."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="fit_snapshots"
    )
    version = models.ForeignKey(IppVersion, on_delete=models.CASCADE, related_name="snapshots")
    ours = models.FloatField(null=True, blank=True)
    theirs = models.FloatField(null=True, blank=True)
    mutual = models.FloatField(null=True, blank=True)
    # The score the band is taken from: mutual when both sides answered, else the one side.
    fit_score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=8, choices=Band.choices, blank=True)
    provisional = models.BooleanField(default=True)
    coverage = models.FloatField(default=0)
    knocked_out = models.BooleanField(default=False)
    # Whether the host's side of this snapshot may be shown to the partner.
    ours_shared = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partnership", "-created_at"])]


class PartnershipFit(models.Model):
    """The current fit of a partnership against its host's active version (for the directory)."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, primary_key=True, related_name="current_fit"
    )
    version = models.ForeignKey(IppVersion, on_delete=models.CASCADE, related_name="+")
    ours = models.FloatField(null=True, blank=True)
    theirs = models.FloatField(null=True, blank=True)
    mutual = models.FloatField(null=True, blank=True)
    fit_score = models.FloatField(null=True, blank=True, db_index=True)
    band = models.CharField(max_length=8, choices=Band.choices, blank=True, db_index=True)
    provisional = models.BooleanField(default=True)
    coverage = models.FloatField(default=0)
    knocked_out = models.BooleanField(default=False)
    ours_shared = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)


class GapActionKind(models.TextChoices):
    STEP = "step", "Plan step"
    COMMITMENT = "commitment", "Commitment"


class GapAction(models.Model):
    """A fit gap turned into a small step (plans pick it up) or a commitment: a shared one is
    a promise to the partner at once (accountability), a private one stays the host's until
    it is promised."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="gap_actions"
    )
    criterion_key = models.SlugField(max_length=60)
    kind = models.CharField(max_length=12, choices=GapActionKind.choices)
    title = models.CharField(max_length=300)
    owner_side = models.CharField(max_length=8, choices=Side.choices, default=Side.HOST)
    # Written by the host from its own checklist: private unless the host shares it.
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # The promise a commitment gap became once shared with the partner.
    commitment = models.OneToOneField(
        "accountability.Commitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gap_action",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
