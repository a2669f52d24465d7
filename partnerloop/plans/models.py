"""Plans of tiny steps: playbooks (host templates), each partnership's plan, and milestones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization, short_code
from partnerloop.partnerships.models import Partnership, Side, Visibility


class Phase(models.TextChoices):
    START = "start", "Start"
    ENGAGE = "engage", "Engage"
    PROVE = "prove", "Prove"
    GROW = "grow", "Grow"


PHASE_ORDER = {phase: i for i, phase in enumerate(Phase.values)}


class OwnerSide(models.TextChoices):
    HOST = "host", "Host"
    PARTNER = "partner", "Partner"
    BOTH = "both", "Both"


class Effort(models.TextChoices):
    TINY = "tiny", "Tiny"
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"


# How hard a step is, in the units MAP health adds up (docs/health.md).
EFFORT_POINTS = {Effort.TINY: 1, Effort.SMALL: 2, Effort.MEDIUM: 4, Effort.LARGE: 8}
# The effort of each part when a step is split ("make it tinier").
SMALLER = {
    Effort.LARGE: Effort.MEDIUM,
    Effort.MEDIUM: Effort.SMALL,
    Effort.SMALL: Effort.TINY,
    Effort.TINY: Effort.TINY,
}


class Playbook(models.Model):
    """A host's template of phases and steps; every new plan is copied from one."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="playbooks")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["host", "name"], name="playbook_unique_name"),
            models.UniqueConstraint(
                fields=["host"], condition=Q(is_default=True), name="playbook_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    # A stable key ("first_revenue") lets rules and milestones find the step in every plan.
    key = models.SlugField(max_length=60, blank=True)
    phase = models.CharField(max_length=8, choices=Phase.choices)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_side = models.CharField(max_length=8, choices=OwnerSide.choices)
    effort = models.CharField(max_length=8, choices=Effort.choices, default=Effort.SMALL)
    duration_days = models.PositiveIntegerField(default=14, help_text="Expected duration in days")
    is_milestone = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Plan(models.Model):
    partnership = models.OneToOneField(Partnership, on_delete=models.CASCADE, related_name="plan")
    playbook = models.ForeignKey(
        Playbook, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans"
    )
    playbook_name = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class StepStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class StepOutcome(models.TextChoices):
    """The answer to "did it work?" for a step that was done."""

    WORKED = "worked", "Worked"
    DIDNT = "didnt", "Didn't work"
    MIXED = "mixed", "Mixed"


class PlanStep(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="steps")
    # Denormalised from the plan: every rule and health read filters steps by partnership.
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="plan_steps"
    )
    key = models.SlugField(max_length=60, blank=True)
    phase = models.CharField(max_length=8, choices=Phase.choices)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_side = models.CharField(max_length=8, choices=OwnerSide.choices)
    effort = models.CharField(max_length=8, choices=Effort.choices, default=Effort.SMALL)
    is_milestone = models.BooleanField(default=False)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.OPEN)
    # Shared by default; a step made from a private fit gap stays private to its side.
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.SHARED
    )
    side = models.CharField(max_length=8, choices=Side.choices, help_text="The side that wrote it")
    evidence = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    outcome = models.CharField(max_length=8, choices=StepOutcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    # "Make it tinier": the parts of a split step point at it; the original is skipped.
    split_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="parts"
    )
    gap_action = models.OneToOneField(
        "fit.GapAction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_step",
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["partnership", "status", "due_on"], name="step_open_due"),
            models.Index(fields=["status", "due_on"], name="step_status_due"),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A milestone reached, once per partnership and key, with its date."""

    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="milestones"
    )
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    reached_on = models.DateField()
    reached_at = models.DateTimeField(auto_now_add=True)
    step = models.ForeignKey(
        PlanStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="milestones"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-reached_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "key"], name="milestone_once"),
        ]

    def __str__(self) -> str:
        return self.title
