"""Reviews and joint events: proposed by either side, then confirmed or cancelled.

Both sides see every event of their partnership (an event is shared by nature: it needs
people from both sides). Writers of either side create, edit, confirm and cancel; every
change leaves a shared timeline entry. Edits carry the version they started from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Visibility
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record
from partnerloop.prompts.models import Event, EventKind, EventStatus


@dataclass
class EventData:
    kind: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    place: str = ""
    description: str = ""
    host_attendees: str = ""
    partner_attendees: str = ""


def event_for(*, partnership: Partnership, code: str) -> Event:
    """One event of a partnership the caller already resolved for the actor; 404 otherwise."""
    event = Event.objects.filter(partnership=partnership, code=code).first()
    if event is None:
        raise Http404("No such event.")
    return event


def _clean(data: EventData) -> EventData:
    errors: dict[str, str] = {}
    if data.kind not in EventKind.values:
        errors["kind"] = "Choose a review or a joint event."
    if not data.title.strip():
        errors["title"] = "Give the event a title, e.g. “Quarterly review”."
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        errors["ends_at"] = "The end must be after the start; leave it empty if unsure."
    if errors:
        raise ValidationError(errors)
    data.title = data.title.strip()[:200]
    data.place = data.place.strip()[:200]
    return data


def _summary(event: Event) -> str:
    when = timezone.localtime(event.starts_at).strftime("%a %d %b %Y, %H:%M")
    return f"{event.get_kind_display()} “{event.title}” on {when}"


@transaction.atomic
def event_create(*, actor: Actor, partnership: Partnership, data: EventData) -> Event:
    actor.require_write()
    data = _clean(data)
    side = partnership.side_of(actor.organization.pk)
    event = Event.objects.create(
        partnership=partnership,
        kind=data.kind,
        title=data.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        description=data.description,
        host_attendees=data.host_attendees,
        partner_attendees=data.partner_attendees,
        side=side,
        created_by=actor.user,
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="event_proposed",
        summary=f"Proposed: {_summary(event)}",
        visibility=Visibility.SHARED,
    )
    return event


@transaction.atomic
def event_edit(*, actor: Actor, event: Event, expected_version: int, data: EventData) -> Event:
    """Save changes made on `expected_version`; a stale version raises ConcurrentEdit.

    Moving the date of a confirmed event makes it proposed again: the other side has to
    confirm the new time.
    """
    actor.require_write()
    data = _clean(data)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError("This event was cancelled; propose a new one instead.")
    moved = data.starts_at != event.starts_at
    status = EventStatus.PROPOSED if moved else event.status
    updated = Event.objects.filter(pk=event.pk, version=expected_version).update(
        kind=data.kind,
        title=data.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        description=data.description,
        host_attendees=data.host_attendees,
        partner_attendees=data.partner_attendees,
        status=status,
        confirmed_at=None if moved else event.confirmed_at,
        version=F("version") + 1,
    )
    if not updated:
        raise ConcurrentEdit(
            "Someone else changed this event while you were editing. "
            "Reload the page to see their changes, then apply yours again."
        )
    event.refresh_from_db()
    timeline_record(
        partnership=event.partnership,
        actor=actor.user,
        side=event.partnership.side_of(actor.organization.pk),
        kind="event_edited",
        summary=f"Edited: {_summary(event)}" + (" (to be confirmed again)" if moved else ""),
    )
    return event


def _set_status(*, actor: Actor, event: Event, status: str, verb: str) -> Event:
    actor.require_write()
    allowed = (
        [EventStatus.PROPOSED]
        if status == EventStatus.CONFIRMED
        else [EventStatus.PROPOSED, EventStatus.CONFIRMED]
    )
    now = timezone.now()
    updated = Event.objects.filter(pk=event.pk, status__in=allowed).update(
        status=status,
        confirmed_at=now if status == EventStatus.CONFIRMED else F("confirmed_at"),
        version=F("version") + 1,
    )
    if not updated:
        event.refresh_from_db()
        raise ValidationError(
            f"This event is already {event.get_status_display().lower()}; nothing to change."
        )
    event.refresh_from_db()
    timeline_record(
        partnership=event.partnership,
        actor=actor.user,
        side=event.partnership.side_of(actor.organization.pk),
        kind=f"event_{status}",
        summary=f"{verb}: {_summary(event)}",
    )
    return event


@transaction.atomic
def event_confirm(*, actor: Actor, event: Event) -> Event:
    return _set_status(actor=actor, event=event, status=EventStatus.CONFIRMED, verb="Confirmed")


@transaction.atomic
def event_cancel(*, actor: Actor, event: Event) -> Event:
    return _set_status(actor=actor, event=event, status=EventStatus.CANCELLED, verb="Cancelled")
