"""MAP health: Motivation, Ability and Prompt per partnership, now and over time."""

from __future__ import annotations

from django.db import models

from partnerloop.partnerships.models import Partnership

# Below this overall score a partnership "needs attention" (directory filter, API).
ATTENTION_BELOW = 40
# When two factors are equally weak: make it easier first, then prompt, then motivate.
TIE_ORDER = ("ability", "prompt", "motivation")


class Recommendation(models.TextChoices):
    SPLIT_STEP = "split_step", "Make the next step tinier"
    SCHEDULE_CHECKIN = "schedule_checkin", "Schedule a check-in"
    ASK_PARTNER = "ask_partner", "Ask the partner what would help"
    REVISIT_FIT = "revisit_fit", "Revisit fit"
    ADD_STEP = "add_step", "Add the next tiny step"
    KEEP_GOING = "keep_going", "Keep going"


class _Scores(models.Model):
    motivation = models.PositiveSmallIntegerField()
    ability = models.PositiveSmallIntegerField()
    prompt = models.PositiveSmallIntegerField()
    # The weakest of the three: behaviour needs all three at once.
    overall = models.PositiveSmallIntegerField()
    diagnosis = models.CharField(max_length=300)
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices)
    recommendation_text = models.CharField(max_length=300)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def weakest(self) -> str:
        """The weakest factor (ties: ability, then prompt, then motivation)."""
        return min(TIE_ORDER, key=lambda name: (getattr(self, name), TIE_ORDER.index(name)))

    @property
    def needs_attention(self) -> bool:
        return self.overall < ATTENTION_BELOW

    @property
    def summary(self) -> str:
        """The overall score and the weakest factor, for lists: "42 · ability low"."""
        factor = self.weakest
        level = "low" if getattr(self, factor) < 50 else "weakest"
        return f"{self.overall} · {factor} {level}"


class PartnershipHealth(_Scores):
    """The current health; one row per partnership, read by the directory."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="current_health"
    )
    signals = models.JSONField(default=dict)


class HealthSnapshot(_Scores):
    """One point of history per partnership and day (the latest computation that day)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="health_history"
    )
    day = models.DateField()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "day"], name="health_once_a_day"),
        ]
