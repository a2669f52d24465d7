"""Account overlap inside a partnership: the matches between the two sides' current
account lists, what each side shares of each population, the matches a user rejected and
the overlapping accounts the two sides acted on (docs/mapping-overlap.md).

Matches are rebuilt by the worker whenever either side's current lists change (see
services.matches_refresh); rejections and actions are keyed by the accounts' stable keys
(registrable domain, else folded name) so they outlive a new upload.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerloop.accounts.models import short_code
from partnerloop.mapping.models import Account
from partnerloop.partnerships.models import Partnership, Side


class Level(models.TextChoices):
    HIDDEN = "hidden", "Hidden"
    COUNTS = "counts", "Overlap counts only"
    ACCOUNTS = "accounts", "Overlapping accounts, with the fields chosen"


LEVEL_RANK = {Level.HIDDEN: 0, Level.COUNTS: 1, Level.ACCOUNTS: 2}


class SharedField(models.TextChoices):
    """Fields of an overlapping account a side may show the other side."""

    NAME = "name", "Company name"
    DOMAIN = "domain", "Website domain"
    COUNTRY = "country", "Country"
    STATUS = "status", "CRM status"
    OWNER = "owner", "Account owner"


DEFAULT_SHARED_FIELDS = [SharedField.NAME, SharedField.DOMAIN]


class OverlapSharing(models.Model):
    """What `side` shares of its `population_key` population with the other side of the
    partnership. No row means hidden (the default): nothing crosses until a side says so,
    and a cell of the matrix opens only as far as *both* of its populations are shared."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="overlap_sharing"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    population_key = models.SlugField(max_length=40)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.HIDDEN)
    fields = models.JSONField(default=list, blank=True, help_text="SharedField values")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["side", "population_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "side", "population_key"], name="overlap_sharing_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=[level.value for level in Level]),
                name="overlap_sharing_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side}:{self.population_key}={self.level}"


class RefreshStatus(models.TextChoices):
    CURRENT = "current", "Up to date"
    PENDING = "pending", "Waiting to run"
    RUNNING = "running", "Matching"
    FAILED = "failed", "Failed"


class MatchState(models.Model):
    """When the partnership's matches were last computed, and from which uploads.

    `signature` names the current uploads (and population rules) of both sides the
    matches were computed from; when it differs from today's, the matches are stale and a
    refresh is queued."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="match_state"
    )
    signature = models.CharField(max_length=500, blank=True)
    wanted = models.CharField(max_length=500, blank=True, help_text="Signature being computed")
    status = models.CharField(
        max_length=8, choices=RefreshStatus.choices, default=RefreshStatus.PENDING
    )
    generation = models.PositiveIntegerField(default=0)
    matches = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.partnership_id}: {self.status}"


class Method(models.TextChoices):
    DOMAIN = "domain", "Same website domain"
    NAME = "name", "Same company name"
    FUZZY = "fuzzy", "Close company name"


class AccountMatch(models.Model):
    """One host account and one partner account taken as the same company.

    Written in bulk by the refresh and deleted with the next one; the account ids point at
    rows of current uploads (no database constraint: pruning old uploads deletes accounts
    in bulk, and the refresh replaces these rows first)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="account_matches", db_index=False
    )
    host_account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    partner_account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    host_population = models.SlugField(max_length=40)
    partner_population = models.SlugField(max_length=40)
    host_key = models.CharField(max_length=255)
    partner_key = models.CharField(max_length=255)
    method = models.CharField(max_length=8, choices=Method.choices)
    confidence = models.FloatField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["partnership", "host_population", "partner_population"],
                name="match_by_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host_key} = {self.partner_key} ({self.method})"

    def key_for(self, side: str) -> str:
        return self.host_key if side == Side.HOST else self.partner_key


class MatchRejection(models.Model):
    """A match a user said is wrong: the refresh never proposes that pair again."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="match_rejections"
    )
    host_key = models.CharField(max_length=255)
    partner_key = models.CharField(max_length=255)
    side = models.CharField(max_length=8, choices=Side.choices, help_text="Who rejected it")
    reason = models.CharField(max_length=300, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "host_key", "partner_key"], name="match_rejection_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.host_key} ≠ {self.partner_key}"


class ActionKind(models.TextChoices):
    INTRO = "intro", "Intro asked"
    CO_SELL = "co_sell", "Co-selling"
    REFERRAL = "referral", "Referral"


class OverlapAction(models.Model):
    """An overlapping account one side acted on. Its activity (kind "account mapping",
    shared) carries the outcome each side records, so it feeds "what works", the IPP
    test and health like any other activity."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="overlap_actions"
    )
    host_key = models.CharField(max_length=255)
    partner_key = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=ActionKind.choices)
    side = models.CharField(max_length=8, choices=Side.choices, help_text="Who acted")
    activity = models.OneToOneField(
        "activities.Activity", on_delete=models.CASCADE, related_name="overlap_action"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partnership", "host_key", "partner_key"], name="action_by_pair")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.host_key}"
