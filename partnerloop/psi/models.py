"""Private mode: a side's consent to take part in private set intersection with one of its
populations, and the audit record of every run (docs/mapping-private.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerloop.accounts.models import Organization, short_code
from partnerloop.partnerships.models import Partnership, Side


class Mode(models.TextChoices):
    COUNT = "count", "Counts only"
    REVEAL = "reveal", "Reveal the overlapping accounts to the requester"


class PsiConsent(models.Model):
    """`side` lets the other side of `partnership` run private mode against its
    `population_key` population: counts only, or also reveal mode when `allow_reveal`.
    No row means no consent (the default)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="psi_consents"
    )
    side = models.CharField(max_length=8, choices=Side.choices, help_text="Whose population")
    population_key = models.SlugField(max_length=60)
    allow_reveal = models.BooleanField(default=False)
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["side", "population_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "side", "population_key"], name="psi_consent_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.side}:{self.population_key}"

    @property
    def modes(self) -> list[str]:
        return [Mode.COUNT, Mode.REVEAL] if self.allow_reveal else [Mode.COUNT]


class RunStatus(models.TextChoices):
    AWAITING = "awaiting", "Waiting for the request"
    FINISHED = "finished", "Finished"
    EXPIRED = "expired", "Expired"


class PsiRun(models.Model):
    """One private set intersection between the requesting side's local list and the other
    side's population. Both sides see it; the server's secret key lives only between the
    setup and the single request, then is deleted."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="psi_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requesting_org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    requesting_side = models.CharField(max_length=8, choices=Side.choices)
    population_key = models.SlugField(max_length=60, help_text="The other side's population")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    client_set_size = models.PositiveIntegerField()
    server_set_size = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.AWAITING)
    server_key = models.BinaryField(blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Reported by the requester, if it chose to"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["partnership", "requesting_side", "population_key", "created_at"],
                name="psi_run_rate",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def serving_side(self) -> str:
        return Side.HOST if self.requesting_side == Side.PARTNER else Side.PARTNER
