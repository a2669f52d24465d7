"""Reads of prompts, events and check-ins. Every function is scoped by actor or partnership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.selectors import visible_to
from partnerloop.prompts.models import (
    CheckIn,
    Event,
    EventStatus,
    Prompt,
    PromptKind,
    PromptOverride,
    PromptRule,
)


def upcoming_events_for(*, partnership: Partnership) -> QuerySet[Event]:
    return Event.objects.filter(
        partnership=partnership, starts_at__gte=timezone.now() - timezone.timedelta(hours=12)
    ).exclude(status=EventStatus.CANCELLED)


def events_for(*, partnership: Partnership, upcoming_only: bool = False) -> QuerySet[Event]:
    """Every review and joint event of a partnership (both sides see them all), by start;
    `upcoming_only` keeps those not cancelled and not long past, as the workspace does."""
    if upcoming_only:
        return upcoming_events_for(partnership=partnership)
    return Event.objects.filter(partnership=partnership)


def check_ins_for(*, partnership: Partnership, side: str) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(partnership=partnership).filter(visible_to(side))


def workspace_prompts(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The reviews, events and check-ins section of the workspace."""
    return {
        "events": list(upcoming_events_for(partnership=partnership)[:10]),
        "check_ins": list(check_ins_for(partnership=partnership, side=side)[:5]),
    }


# Inbox, rules and effectiveness --------------------------------------------------------


def inbox_for(*, actor: Actor, unread_only: bool = False) -> QuerySet[Prompt]:
    """The actor's own prompts in this organization, newest first."""
    prompts = Prompt.objects.filter(
        recipient=actor.user, organization=actor.organization
    ).select_related("partnership__host", "partnership__partner")
    if unread_only:
        prompts = prompts.filter(read_at__isnull=True)
    return prompts


def unread_count(*, actor: Actor) -> int:
    return Prompt.objects.filter(
        recipient=actor.user, organization=actor.organization, read_at__isnull=True
    ).count()


def prompt_for(*, actor: Actor, code: str) -> Prompt:
    prompt = inbox_for(actor=actor).filter(code=code).first()
    if prompt is None:
        raise Http404("No such prompt.")
    return prompt


def rules_of(*, actor: Actor) -> QuerySet[PromptRule]:
    return PromptRule.objects.filter(host=actor.organization)


def rule_for(*, actor: Actor, code: str) -> PromptRule:
    rule = rules_of(actor=actor).filter(code=code).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


def overrides_for(*, partnership: Partnership) -> dict[int, PromptOverride]:
    return {o.rule_id: o for o in PromptOverride.objects.filter(partnership=partnership)}


@dataclass
class Effectiveness:
    kind: str
    label: str
    sent: int
    followed: int
    follow_days: int
    action: str

    @property
    def rate(self) -> float | None:
        return round(self.followed / self.sent, 4) if self.sent else None


# What "followed" means for each kind: the prompted action, within the rule's follow days.
FOLLOWED_BY = {
    PromptKind.CADENCE: "a check-in from the prompted side",
    PromptKind.EVENT: "the event confirmed (or the reminder opened)",
    PromptKind.MILESTONE: "the celebration opened",
    PromptKind.FIRST_REVENUE: "the celebration opened",
    PromptKind.STEP_OVERDUE: "the step done (or split)",
    PromptKind.SILENCE: "any activity from the partner side",
    PromptKind.DID_IT_WORK: "the outcome recorded",
    PromptKind.REEVALUATE_FIT: "a checklist submitted by the prompted side",
    PromptKind.REQUEST_WAITING: "the host's answer to the request",
    PromptKind.SHARE_BACK: "a population shared by the prompted side",
}


def prompt_effectiveness(
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    partnerships: QuerySet[Partnership] | None = None,
) -> list[Effectiveness]:
    """Per kind, the share of the host's prompts followed by the prompted action within
    the rule's follow days. One query per kind, whatever the number of prompts.

    `partnerships` (some of the host's, e.g. the dashboard's filters) narrows the prompts
    to theirs; it is intersected with the host's own, never widens them."""
    from partnerloop.fit.models import Evaluation
    from partnerloop.overlap.models import Level, OverlapSharing
    from partnerloop.partnerships.models import TimelineEvent
    from partnerloop.plans.models import PlanStep

    until = until or timezone.now()
    since = since or until - timedelta(days=180)

    def in_window(field: str = "created_at") -> dict[str, Any]:
        """`field` between the prompt's creation and the end of its follow days."""
        return {f"{field}__gte": OuterRef("created_at"), f"{field}__lte": OuterRef("window_end")}

    followed_by: dict[str, Any] = {
        PromptKind.CADENCE: Exists(
            CheckIn.objects.filter(
                partnership=OuterRef("partnership"), side=OuterRef("side"), **in_window()
            )
        ),
        PromptKind.STEP_OVERDUE: Exists(
            PlanStep.objects.filter(
                partnership=OuterRef("partnership"),
                code=OuterRef("subject_code"),
                **in_window("done_at"),
            )
        )
        | Exists(
            PlanStep.objects.filter(
                partnership=OuterRef("partnership"),
                split_from__code=OuterRef("subject_code"),
                **in_window(),
            )
        ),
        PromptKind.DID_IT_WORK: Exists(
            PlanStep.objects.filter(
                partnership=OuterRef("partnership"),
                code=OuterRef("subject_code"),
                **in_window("outcome_at"),
            )
        ),
        PromptKind.SILENCE: Exists(
            TimelineEvent.objects.filter(
                partnership=OuterRef("partnership"), side=Side.PARTNER, **in_window()
            )
        ),
        PromptKind.SHARE_BACK: Exists(
            OverlapSharing.objects.filter(
                partnership=OuterRef("partnership"),
                side=OuterRef("side"),
                **in_window("updated_at"),
            ).exclude(level=Level.HIDDEN)
        ),
        PromptKind.REEVALUATE_FIT: Exists(
            Evaluation.objects.filter(
                partnership=OuterRef("partnership"),
                side=OuterRef("side"),
                **in_window("submitted_at"),
            )
        ),
    }
    acted = Q(acted_at__isnull=False, acted_at__lte=F("window_end"))
    opened = Q(read_at__isnull=False, read_at__lte=F("window_end"))
    totals: dict[str, list[int]] = {kind: [0, 0, 0] for kind in PromptKind.values}
    # One query per rule (a host has a handful), whatever the number of prompts.
    for rule in PromptRule.objects.filter(host=actor.organization):
        # Events and celebrations count as followed when opened or acted on.
        specific = followed_by.get(rule.kind)
        condition = acted | opened if specific is None else specific | acted
        window_end = ExpressionWrapper(
            F("created_at") + timedelta(days=rule.follow_days), output_field=DateTimeField()
        )
        # One boolean per prompt, counted here: a filtered COUNT over subqueries that read
        # another annotation miscounts on SQLite.
        sent = Prompt.objects.filter(rule=rule, created_at__gte=since, created_at__lte=until)
        if partnerships is not None:
            sent = sent.filter(partnership__in=partnerships.values("id"))
        followed = list(
            sent.annotate(window_end=window_end)
            .annotate(followed=ExpressionWrapper(condition, output_field=BooleanField()))
            .values_list("followed", flat=True)
        )
        figures = {"sent": len(followed), "followed": sum(bool(f) for f in followed)}
        tally = totals[rule.kind]
        tally[0] += figures["sent"]
        tally[1] += figures["followed"]
        tally[2] = max(tally[2], rule.follow_days)
    return [
        Effectiveness(
            kind=kind,
            label=label,
            sent=totals[kind][0],
            followed=totals[kind][1],
            follow_days=totals[kind][2],
            action=FOLLOWED_BY[kind],
        )
        for kind, label in PromptKind.choices
    ]
