"""Referrals a partner registers with the host, and the accounts the host already knows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization, short_code
from partnerloop.partnerships.models import Partnership, Side


class ReferralStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for a decision"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class ReferralStage(models.TextChoices):
    """Where an accepted referral stands in the host's sales process."""

    NEW = "new", "New"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Attribution(models.TextChoices):
    SOURCED = "sourced", "Sourced by the partner"
    INFLUENCED = "influenced", "Influenced by the partner"


class Referral(models.Model):
    """A company the partner brings to the host. Always shared by the two sides of its
    partnership; the conflict check's findings are the host's alone."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    # Denormalized from the partnership so the duplicate check is one indexed lookup.
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="referrals")
    company = models.CharField(max_length=200)
    website = models.CharField(max_length=300, blank=True)
    # Registrable domain of the website (core.domains), blank when none was given.
    domain = models.CharField(max_length=253, blank=True)
    # Company name folded for matching (case, accents, punctuation, legal suffixes).
    name_key = models.CharField(max_length=200, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SUBMITTED
    )
    stage = models.CharField(
        max_length=12, choices=ReferralStage.choices, default=ReferralStage.NEW
    )
    attribution = models.CharField(
        max_length=12, choices=Attribution.choices, default=Attribution.SOURCED
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # Host-only: what the duplicate and conflict check found when it was registered.
    conflicts = models.JSONField(default=list, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_on = models.DateField(null=True, blank=True, help_text="When it was won or lost")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["partnership", "status"], name="referral_state"),
            models.Index(fields=["host", "domain"], name="referral_host_domain"),
            models.Index(fields=["host", "name_key"], name="referral_host_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="referral_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return self.company


class ReferralChange(models.Model):
    """One decision or stage change of a referral, with its reason: the referral's history."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="changes")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    reason = models.TextField(blank=True)
    side = models.CharField(max_length=8, choices=Side.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]


class AccountStatus(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    OPPORTUNITY = "opportunity", "Open opportunity"
    PROSPECT = "prospect", "Prospect"


class KnownAccount(models.Model):
    """An account the host already knows (customer, open opportunity, prospect): a referral
    for it is a conflict the host should see before deciding. Never shown to partners."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="known_accounts")
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True)
    name_key = models.CharField(max_length=200)
    status = models.CharField(
        max_length=12, choices=AccountStatus.choices, default=AccountStatus.CUSTOMER
    )
    owner = models.CharField(max_length=200, blank=True, help_text="Who owns it at the host")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["host", "domain"], name="known_host_domain"),
            models.Index(fields=["host", "name_key"], name="known_host_name"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "domain"],
                condition=~Q(domain=""),
                name="known_account_domain_once",
            )
        ]

    def __str__(self) -> str:
        return self.name
