"""Reads of prompts, events and check-ins. Every function is scoped by actor or partnership."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from partnerloop.partnerships.models import Partnership
from partnerloop.partnerships.selectors import visible_to
from partnerloop.prompts.models import CheckIn, Event, EventStatus


def upcoming_events_for(*, partnership: Partnership) -> QuerySet[Event]:
    return Event.objects.filter(
        partnership=partnership, starts_at__gte=timezone.now() - timezone.timedelta(hours=12)
    ).exclude(status=EventStatus.CANCELLED)


def check_ins_for(*, partnership: Partnership, side: str) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(partnership=partnership).filter(visible_to(side))


def workspace_prompts(*, partnership: Partnership, side: str) -> dict[str, Any]:
    """The reviews, events and check-ins section of the workspace."""
    return {
        "events": list(upcoming_events_for(partnership=partnership)[:10]),
        "check_ins": list(check_ins_for(partnership=partnership, side=side)[:5]),
    }
