"""Writes of activities: log, edit, each side's outcome, comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from partnerloop.accountability.responsiveness import comment_clock
from partnerloop.activities.models import Activity, ActivityComment, ActivityType, Outcome, Result
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Visibility
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record
from partnerloop.plans.models import PlanStep
from partnerloop.plans.selectors import steps_for


def _side(actor: Actor, partnership: Partnership) -> str:
    return partnership.side_of(actor.organization.pk)


def _require_visible(activity: Activity, side: str) -> None:
    if activity.visibility == Visibility.PRIVATE and activity.side != side:
        raise Http404("No such activity.")


def _clean(*, kind: str, title: str, happened_on: date | None, visibility: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    if kind not in ActivityType.values:
        errors["kind"] = "Choose what kind of activity it was."
    title = (title or "").strip()
    if not title:
        errors["title"] = "Say in a few words what you did together."
    if happened_on is None:
        errors["happened_on"] = "Give the date it happened (or starts)."
    elif happened_on > timezone.localdate().replace(year=timezone.localdate().year + 2):
        errors["happened_on"] = "That date is more than two years away: check the year."
    if visibility not in Visibility.values:
        errors["visibility"] = "Choose shared or private."
    if errors:
        raise ValidationError(errors)
    return kind, title[:200]


def _steps(partnership: Partnership, side: str, codes: list[str]) -> list[PlanStep]:
    """The plan steps named, among those this side may see; an unknown code is an error."""
    codes = [c for c in codes if c]
    if not codes:
        return []
    found = list(steps_for(partnership=partnership, side=side).filter(code__in=codes))
    if len(found) != len(set(codes)):
        raise ValidationError({"plan_steps": "Choose steps of this partnership's plan."})
    return found


@transaction.atomic
def activity_log(
    *,
    actor: Actor,
    partnership: Partnership,
    kind: str,
    title: str,
    happened_on: date | None,
    description: str = "",
    host_people: str = "",
    partner_people: str = "",
    visibility: str = Visibility.SHARED,
    plan_steps: list[str] | None = None,
) -> Activity:
    """Either side logs something done together; shared by default."""
    actor.require_write()
    side = _side(actor, partnership)
    kind, title = _clean(kind=kind, title=title, happened_on=happened_on, visibility=visibility)
    steps = _steps(partnership, side, plan_steps or [])
    activity = Activity.objects.create(
        partnership=partnership,
        kind=kind,
        title=title,
        happened_on=happened_on,
        description=description.strip(),
        host_people=host_people.strip(),
        partner_people=partner_people.strip(),
        side=side,
        visibility=visibility,
        created_by=actor.user,
    )
    activity.plan_steps.set(steps)
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="activity",
        summary=f"{activity.get_kind_display()}: {title}",
        visibility=visibility,
    )
    return activity


@transaction.atomic
def activity_edit(*, actor: Actor, activity: Activity, version: int, **fields: Any) -> Activity:
    """Edit what was logged; the side that logged it edits, with the version it read."""
    actor.require_write()
    side = _side(actor, activity.partnership)
    _require_visible(activity, side)
    if activity.side != side:
        raise ValidationError("Only the side that logged an activity edits it; comment instead.")
    current = {
        "kind": activity.kind,
        "title": activity.title,
        "happened_on": activity.happened_on,
        "description": activity.description,
        "host_people": activity.host_people,
        "partner_people": activity.partner_people,
        "visibility": activity.visibility,
    }
    unknown = set(fields) - set(current) - {"plan_steps"}
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    steps = fields.pop("plan_steps", None)
    merged = {**current, **fields}
    merged["kind"], merged["title"] = _clean(
        kind=merged["kind"],
        title=merged["title"],
        happened_on=merged["happened_on"],
        visibility=merged["visibility"],
    )
    updated = Activity.objects.filter(pk=activity.pk, version=version).update(
        **merged, version=version + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConcurrentEdit(
            "Someone changed this activity after you opened it. Nothing was saved: here it "
            "is as it is now."
        )
    activity.refresh_from_db()
    if steps is not None:
        activity.plan_steps.set(_steps(activity.partnership, side, steps))
    return activity


def _amount(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError({field: "Give an amount, e.g. 12500 or 12500.50."}) from exc
    if amount < 0:
        raise ValidationError({field: "An amount cannot be negative."})
    return amount


@transaction.atomic
def outcome_record(
    *,
    actor: Actor,
    activity: Activity,
    result: str,
    notes: str = "",
    leads: int | None = None,
    meetings: int | None = None,
    pipeline: Any = None,
    revenue: Any = None,
    version: int | None = None,
) -> Outcome:
    """The actor's side says what the activity gave; the other side's view is kept apart."""
    actor.require_write()
    side = _side(actor, activity.partnership)
    _require_visible(activity, side)
    if result not in Result.values:
        raise ValidationError({"result": "Choose worked, didn't work, mixed or pending."})
    for name, value in (("leads", leads), ("meetings", meetings)):
        if value is not None and int(value) < 0:
            raise ValidationError({name: "Give a number of zero or more."})
    values = {
        "result": result,
        "notes": notes.strip(),
        "leads": leads,
        "meetings": meetings,
        "pipeline": _amount(pipeline, "pipeline"),
        "revenue": _amount(revenue, "revenue"),
        "recorded_by": actor.user,
    }
    existing = Outcome.objects.filter(activity=activity, side=side).first()
    if existing is None:
        try:
            with transaction.atomic():
                outcome = Outcome.objects.create(activity=activity, side=side, **values)
        except IntegrityError as exc:
            raise ConcurrentEdit(
                "Your side recorded an outcome for this activity meanwhile. Nothing was "
                "saved: here it is."
            ) from exc
    else:
        if version is not None and version != existing.version:
            raise ConcurrentEdit(
                "Someone on your side changed this outcome after you opened it. Nothing was "
                "saved: here it is as it is now."
            )
        Outcome.objects.filter(pk=existing.pk).update(
            **values, version=existing.version + 1, updated_at=timezone.now()
        )
        outcome = Outcome.objects.get(pk=existing.pk)
    timeline_record(
        partnership=activity.partnership,
        actor=actor.user,
        side=side,
        kind="activity_outcome",
        summary=f"Outcome of “{activity.title}”: {Result(result).label}",
        visibility=activity.visibility,
    )
    return outcome


@transaction.atomic
def comment_add(*, actor: Actor, activity: Activity, body: str) -> ActivityComment:
    actor.require_write()
    side = _side(actor, activity.partnership)
    _require_visible(activity, side)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment."})
    comment = ActivityComment.objects.create(
        activity=activity, author=actor.user, side=side, body=body
    )
    if activity.visibility == Visibility.SHARED:
        # The response clock: a partner's comment asks the host, the host's answers it.
        comment_clock(
            partnership=activity.partnership,
            side=side,
            subject_code=activity.code,
            actor=actor.user,
            summary=f"Comment on “{activity.title}”",
        )
    return comment
