from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from partnerloop.accounts.models import Organization, short_code


class Side(models.TextChoices):
    HOST = "host", "Host"
    PARTNER = "partner", "Partner"


def other_side(side: str) -> str:
    return Side.PARTNER if side == Side.HOST else Side.HOST


class Visibility(models.TextChoices):
    """Every record inside a partnership is shared, or private to the side that wrote it."""

    SHARED = "shared", "Shared with both sides"
    PRIVATE = "private", "Private to my side"


class Stage(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    EVALUATING = "evaluating", "Evaluating"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    STRATEGIC = "strategic", "Strategic"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class Tier(models.TextChoices):
    NONE = "", "No tier"
    REGISTERED = "registered", "Registered"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"
    PLATINUM = "platinum", "Platinum"


class PartnerType(models.TextChoices):
    REFERRAL = "referral", "Referral"
    RESELLER = "reseller", "Reseller"
    TECHNOLOGY = "technology", "Technology / integration"
    SERVICES = "services", "Services / agency"
    AFFILIATE = "affiliate", "Affiliate"
    STRATEGIC = "strategic", "Strategic alliance"


class Tag(models.Model):
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["host", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class Partnership(models.Model):
    """The shared room between a host organization and a partner organization."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    host = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="hosted_partnerships"
    )
    partner = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="partnerships_as_partner"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PROSPECT)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.NONE, blank=True)
    partner_type = models.CharField(
        max_length=16, choices=PartnerType.choices, default=PartnerType.REFERRAL
    )
    host_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    partner_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="partnerships")
    description = models.TextField(blank=True)
    # Optimistic concurrency: an edit names the version it started from.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    stage_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner__name"]
        constraints = [
            models.UniqueConstraint(fields=["host", "partner"], name="partnership_unique_pair"),
            models.CheckConstraint(condition=~Q(host=F("partner")), name="partnership_not_self"),
        ]
        indexes = [
            models.Index(fields=["host", "stage"]),
            models.Index(fields=["host", "tier"]),
        ]

    def __str__(self) -> str:
        return f"{self.host} × {self.partner}"

    def side_of(self, organization_id: int) -> Side:
        return Side.HOST if organization_id == self.host_id else Side.PARTNER

    def org_of(self, side: str) -> Organization:
        return self.host if side == Side.HOST else self.partner


class StageChange(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]


class KeyPerson(models.Model):
    """Someone who matters to the partnership, on either side, and whether we have met."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="key_people"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    met = models.BooleanField(default=False)
    met_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["side", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(met=True) | Q(met_on__isnull=True), name="keyperson_met_on_needs_met"
            )
        ]


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    ENDED = "ended", "Ended"
    WITHDRAWN = "withdrawn", "Withdrawn"


DEFAULT_AGREEMENT_TERMS = """\
This is an open partnership agreement. Either side can end it at any time, for any reason,
by giving the notice below in PartnerLoop.

1. We work together in good faith and share what we learn.
2. Each side keeps the other's non-public information confidential.
3. No exclusivity: both sides remain free to work with others.
4. No fees are owed under this agreement; any commercial terms are agreed separately.
"""


class Agreement(models.Model):
    """An easy-start agreement: proposed by the host, accepted by a partner admin."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="agreements"
    )
    title = models.CharField(max_length=200, default="Open partnership agreement")
    terms = models.TextField(default=DEFAULT_AGREEMENT_TERMS)
    # Increments for each proposal in the partnership; acceptance records the one accepted.
    text_version = models.PositiveIntegerField(default=1)
    notice_days = models.PositiveIntegerField(default=30)
    status = models.CharField(
        max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_text_version = models.PositiveIntegerField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-text_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "text_version"], name="agreement_version_unique"
            ),
            # At most one proposed or accepted agreement per partnership at a time.
            models.UniqueConstraint(
                fields=["partnership"],
                condition=Q(status__in=["proposed", "accepted"]),
                name="agreement_one_current",
            ),
        ]


class Note(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partnership", "-created_at"])]


class Comment(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class TimelineEvent(models.Model):
    """One line of a partnership's history, visible per the same shared/private rule."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="timeline")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partnership", "-created_at", "-id"])]


from partnerloop.partnerships.import_models import PartnerImport  # noqa: E402, F401
