"""Writes of prompts: rules and overrides, the inbox, check-ins, and the worker's tick."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from partnerloop.accountability.models import RequestKind
from partnerloop.accountability.responsiveness import request_opened
from partnerloop.accounts.models import Organization
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Side, Visibility
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record
from partnerloop.prompts import rules, scheduler
from partnerloop.prompts.cadence import validate_rrule
from partnerloop.prompts.models import (
    Audience,
    CheckIn,
    Prompt,
    PromptKind,
    PromptOverride,
    PromptRule,
)

logger = logging.getLogger(__name__)


def _require_host(actor: Actor, partnership: Partnership | None = None) -> None:
    if partnership is not None and partnership.host_id != actor.organization.pk:
        raise Http404("No such partnership.")
    actor.require_manage()


# Rules ---------------------------------------------------------------------------------


def ensure_default_rules(host: Organization) -> list[PromptRule]:
    """The host's rules, starting from the defaults the first time (idempotent)."""
    if not PromptRule.objects.filter(host=host).exists():
        PromptRule.objects.bulk_create(
            [PromptRule(host=host, **spec) for spec in rules.DEFAULT_RULES],
            ignore_conflicts=True,
        )
    return list(PromptRule.objects.filter(host=host))


def ensure_default_rules_for_hosts() -> int:
    """Default rules for every organization that hosts a partnership and has none yet."""
    hosts = list(
        Organization.objects.filter(
            Exists(Partnership.objects.filter(host=OuterRef("pk")))
        ).exclude(Exists(PromptRule.objects.filter(host=OuterRef("pk"))))
    )
    for host in hosts:
        ensure_default_rules(host)
    return len(hosts)


def _clean_rule_fields(kind: str, rrule: str, days: int | None, follow_days: int) -> str:
    errors: dict[str, str] = {}
    if kind == PromptKind.CADENCE:
        try:
            rrule = validate_rrule(rrule)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    elif rrule:
        errors["rrule"] = "Only cadence rules have a recurrence; leave it empty."
    if days is not None and not 0 <= days <= 365:
        errors["days"] = "Give a number of days between 0 and 365."
    if not 1 <= follow_days <= 90:
        errors["follow_days"] = "Give a number of days between 1 and 90."
    if errors:
        raise ValidationError(errors)
    return rrule


def rule_update(
    *,
    actor: Actor,
    rule: PromptRule,
    version: int,
    name: str,
    enabled: bool,
    audience: str,
    rrule: str = "",
    days: int | None = None,
    follow_days: int = 7,
) -> PromptRule:
    _require_host(actor)
    if rule.host_id != actor.organization.pk:
        raise Http404("No such rule.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the rule a name."})
    if audience not in Audience.values:
        raise ValidationError({"audience": "Choose who hears it: host, partner or both."})
    rrule = _clean_rule_fields(rule.kind, rrule, days, follow_days)
    if PromptRule.objects.filter(host=rule.host, name=name).exclude(pk=rule.pk).exists():
        raise ValidationError({"name": "Another rule has this name."})
    with transaction.atomic():
        updated = PromptRule.objects.filter(pk=rule.pk, version=version).update(
            name=name,
            enabled=enabled,
            audience=audience,
            rrule=rrule,
            days=days,
            follow_days=follow_days,
            version=version + 1,
            updated_at=timezone.now(),
        )
        if not updated:
            raise ConcurrentEdit(
                "Someone changed this rule after you opened it. Nothing was saved: "
                "here is the rule as it is now."
            )
    rule.refresh_from_db()
    return rule


def cadence_create(
    *,
    actor: Actor,
    name: str,
    rrule: str,
    days: int | None = None,
    audience: str = Audience.BOTH,
    follow_days: int = 7,
) -> PromptRule:
    """A host's own cadence ("Bi-weekly sync", FREQ=WEEKLY;INTERVAL=2)."""
    _require_host(actor)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the cadence a name."})
    if audience not in Audience.values:
        raise ValidationError({"audience": "Choose who hears it: host, partner or both."})
    rrule = _clean_rule_fields(PromptKind.CADENCE, rrule, days, follow_days)
    if PromptRule.objects.filter(host=actor.organization, name=name).exists():
        raise ValidationError({"name": "Another rule has this name."})
    return PromptRule.objects.create(
        host=actor.organization,
        kind=PromptKind.CADENCE,
        name=name,
        rrule=rrule,
        days=days,
        audience=audience,
        follow_days=follow_days,
    )


def override_set(
    *,
    actor: Actor,
    partnership: Partnership,
    rule: PromptRule,
    enabled: bool,
    rrule: str = "",
    days: int | None = None,
) -> PromptOverride | None:
    """This partnership's own setting for a rule; equal to the host default removes it."""
    _require_host(actor, partnership)
    if rule.host_id != partnership.host_id:
        raise Http404("No such rule.")
    if rrule:
        if rule.kind != PromptKind.CADENCE:
            raise ValidationError({"rrule": "Only cadence rules have a recurrence."})
        rrule = validate_rrule(rrule)
    if days is not None and not 0 <= days <= 365:
        raise ValidationError({"days": "Give a number of days between 0 and 365."})
    if enabled and not rrule and days is None:
        PromptOverride.objects.filter(partnership=partnership, rule=rule).delete()
        return None
    override, _ = PromptOverride.objects.update_or_create(
        partnership=partnership,
        rule=rule,
        defaults={"enabled": enabled, "rrule": rrule, "days": days, "updated_by": actor.user},
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="prompt_override",
        summary=f"Prompt “{rule.name}” {'switched off' if not enabled else 'adjusted'} "
        "for this partnership",
        visibility=Visibility.PRIVATE,
    )
    return override


# Inbox ---------------------------------------------------------------------------------


def prompt_open(*, actor: Actor, prompt: Prompt) -> Prompt:
    """Mark one of the actor's prompts read (celebrations count as followed when read)."""
    if prompt.recipient_id != actor.user.pk or prompt.organization_id != actor.organization.pk:
        raise Http404("No such prompt.")
    now = timezone.now()
    if prompt.read_at is None:
        prompt.read_at = now
        fields = ["read_at"]
        if prompt.celebration and prompt.acted_at is None:
            prompt.acted_at = now
            fields.append("acted_at")
        Prompt.objects.filter(pk=prompt.pk).update(**{f: getattr(prompt, f) for f in fields})
    return prompt


def prompt_mark_acted(*, actor: Actor, prompt: Prompt) -> Prompt:
    """The recipient says they did what one of their prompts asked: it is read and acted
    on (so it counts as followed in prompt effectiveness). Doing it again changes nothing."""
    if prompt.recipient_id != actor.user.pk or prompt.organization_id != actor.organization.pk:
        raise Http404("No such prompt.")
    now = timezone.now()
    Prompt.objects.filter(pk=prompt.pk, read_at__isnull=True).update(read_at=now)
    Prompt.objects.filter(pk=prompt.pk, acted_at__isnull=True).update(acted_at=now)
    prompt.refresh_from_db(fields=["read_at", "acted_at"])
    return prompt


def prompts_mark_all_read(*, actor: Actor) -> int:
    return Prompt.objects.filter(
        recipient=actor.user, organization=actor.organization, read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_acted(
    *,
    partnership: Partnership,
    kinds: list[str],
    side: str | None = None,
    subject_code: str | None = None,
    action: str | None = None,
    within_days: int = 90,
) -> int:
    """Record that what some prompts asked for happened (for prompt effectiveness)."""
    now = timezone.now()
    prompts = Prompt.objects.filter(
        partnership=partnership,
        kind__in=kinds,
        acted_at__isnull=True,
        created_at__gte=now - timedelta(days=within_days),
        created_at__lte=now,
    )
    if side is not None:
        prompts = prompts.filter(side=side)
    if subject_code is not None:
        prompts = prompts.filter(subject_code=subject_code)
    if action is not None:
        prompts = prompts.filter(action=action)
    return prompts.update(acted_at=now)


# Check-ins -----------------------------------------------------------------------------


def check_in_submit(
    *,
    actor: Actor,
    partnership: Partnership,
    rating: int,
    worked: str = "",
    didnt: str = "",
    blockers: str = "",
    next_step: str = "",
    visibility: str = Visibility.SHARED,
) -> CheckIn:
    """A short structured review from the actor's side; it feeds motivation."""
    actor.require_write()
    side = partnership.side_of(actor.organization.pk)
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": "Choose how it is going, from 1 (badly) to 5 (great)."})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose shared or private."})
    with transaction.atomic():
        check_in = CheckIn.objects.create(
            partnership=partnership,
            side=side,
            author=actor.user,
            rating=int(rating),
            worked=worked.strip(),
            didnt=didnt.strip(),
            blockers=blockers.strip(),
            next_step=next_step.strip()[:200],
            visibility=visibility,
        )
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=side,
            kind="check_in",
            summary=f"Check-in: {int(rating)}/5"
            + (f" — next tiny step: {check_in.next_step}" if check_in.next_step else ""),
            visibility=visibility,
        )
        mark_acted(partnership=partnership, kinds=[PromptKind.CADENCE], side=side, within_days=35)
        if side == Side.PARTNER and visibility == Visibility.SHARED:
            # The response clock: the host's next shared response stops it.
            request_opened(
                partnership=partnership,
                kind=RequestKind.CHECK_IN,
                subject_code=check_in.code,
                asked_by=actor.user,
                summary=f"Check-in: {check_in.rating}/5",
            )
    _refresh_health(partnership)
    return check_in


def _refresh_health(partnership: Partnership) -> None:
    from partnerloop.health.services import refresh_partnership_health

    refresh_partnership_health(partnership)


# The worker's tick ---------------------------------------------------------------------


@dataclass
class TickReport:
    started_at: datetime
    pass_report: scheduler.PassReport | None = None
    emails: int = 0
    digests: int = 0
    webhooks_enqueued: int = 0
    webhooks_delivered: int = 0
    health: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        created = self.pass_report.created if self.pass_report else 0
        return (
            f"{created} new prompts, {self.emails} e-mails, {self.digests} digests, "
            f"{self.webhooks_delivered} webhooks delivered, {self.health} health scores"
        )


def _health_due(now: datetime) -> list[int]:
    """Partnerships whose health was not computed today (time moves health too)."""
    from partnerloop.health.models import PartnershipHealth

    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    fresh = PartnershipHealth.objects.filter(computed_at__gte=start).values("partnership_id")
    return list(
        Partnership.objects.exclude(stage="ended")
        .exclude(pk__in=fresh)
        .values_list("pk", flat=True)
    )


def tick(*, now: datetime | None = None) -> TickReport:
    """One round of the worker: default rules, the scheduler pass, delivery, daily health.

    Each step is independent and idempotent: a failure in one is logged and the others
    still run; the next tick retries what is left.
    """
    from partnerloop.prompts import email, webhooks

    now = now or timezone.now()
    report = TickReport(started_at=now)

    def step(name: str, fn: Any) -> Any:
        try:
            return fn()
        except Exception as exc:  # keep the worker alive; the next tick retries
            logger.exception("tick step %s failed", name)
            report.errors.append(f"{name}: {exc}")
            return None

    step("default rules", ensure_default_rules_for_hosts)
    report.pass_report = step("scheduler", lambda: scheduler.run_pass(now=now))
    if report.pass_report and report.pass_report.created_prompts:
        report.webhooks_enqueued = (
            step("webhooks", lambda: webhooks.enqueue_webhooks(report.pass_report.created_prompts))
            or 0
        )
    report.emails = step("e-mail", lambda: email.send_prompt_emails(now=now)) or 0
    report.digests = step("digests", lambda: email.send_digests(now=now)) or 0
    report.webhooks_delivered = step("delivery", lambda: webhooks.deliver_webhooks(now=now)) or 0
    due = step("health due", lambda: _health_due(now)) or []
    if due:
        from partnerloop.health.services import compute_health

        report.health = step("health", lambda: compute_health(partnership_ids=due, now=now)) or 0
    return report
