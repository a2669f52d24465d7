"""A personal iCalendar feed per user and organization.

The URL `/cal/<prefix>.<secret>.ics` is the only credential (calendar apps cannot log in),
so the secret is shown once when the feed is created and only its SHA-256 is stored;
rotating makes a new URL and revokes the old one. The feed holds the reviews and joint
events (not cancelled) of the organization's partnerships and the open plan steps with a
due date that the user's side owns (or shares), filtered with the same visibility rule as
the workspace: shared steps and the side's own private ones, never the other side's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as IcsEvent

from partnerloop.accounts.models import Membership, Organization
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Side, Visibility
from partnerloop.prompts.models import CalendarFeed, Event, EventStatus

PAST_DAYS = 90
EVENT_LENGTH = dt.timedelta(hours=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_url(prefix: str, secret: str) -> str:
    return settings.SITE_URL + reverse("calendar_feed", kwargs={"token": f"{prefix}.{secret}"})


@dataclass
class NewFeed:
    feed: CalendarFeed
    url: str


def active_feed(*, actor: Actor) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(
        user=actor.user, organization=actor.organization, revoked_at__isnull=True
    ).first()


@transaction.atomic
def feed_create(*, actor: Actor) -> NewFeed:
    """A new feed URL for the actor; an existing one is revoked (rotation)."""
    feed_revoke(actor=actor)
    secret = secrets.token_urlsafe(24)
    feed = CalendarFeed.objects.create(
        user=actor.user,
        organization=actor.organization,
        prefix=secrets.token_hex(6),
        secret_hash=_hash(secret),
    )
    return NewFeed(feed=feed, url=feed_url(feed.prefix, secret))


def feed_revoke(*, actor: Actor) -> int:
    return CalendarFeed.objects.filter(
        user=actor.user, organization=actor.organization, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def feed_for_token(token: str) -> CalendarFeed:
    """The active feed a URL token opens; 404 for a wrong, revoked or orphaned one."""
    prefix, _, secret = token.partition(".")
    feed = (
        CalendarFeed.objects.select_related("organization", "user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if feed is None or not secret or not hmac.compare_digest(feed.secret_hash, _hash(secret)):
        raise Http404("No such calendar feed.")
    if not Membership.objects.filter(user=feed.user, organization=feed.organization).exists():
        raise Http404("No such calendar feed.")
    return feed


def _side_filter(org: Organization, prefix: str = "") -> Q:
    """Rows of a partnership (through `prefix`) the organization's side may see."""

    def visible(side: str) -> Q:
        return Q(**{f"{prefix}visibility": Visibility.SHARED}) | Q(**{f"{prefix}side": side})

    return (Q(partnership__host=org) & visible(Side.HOST)) | (
        Q(partnership__partner=org) & visible(Side.PARTNER)
    )


def _workspace_url(org: Organization, code: str) -> str:
    return settings.SITE_URL + reverse("workspace", kwargs={"org": org.code, "code": code})


def _other_name(org: Organization, partnership) -> str:  # type: ignore[no-untyped-def]
    return partnership.partner.name if partnership.host_id == org.pk else partnership.host.name


def feed_calendar(feed: CalendarFeed, *, now: dt.datetime | None = None) -> bytes:
    from partnerloop.plans.models import OwnerSide, PlanStep, StepStatus

    now = now or timezone.now()
    org = feed.organization
    cal = Calendar()
    cal.add("prodid", "-//PartnerLoop//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"PartnerLoop · {org.name}")
    events = (
        Event.objects.select_related("partnership__host", "partnership__partner")
        .filter(Q(partnership__host=org) | Q(partnership__partner=org))
        .exclude(status=EventStatus.CANCELLED)
        .filter(starts_at__gte=now - dt.timedelta(days=PAST_DAYS))
        .order_by("starts_at", "id")
    )
    for event in events:
        item = IcsEvent()
        item.add("uid", f"event-{event.code}@partnerloop")
        item.add("dtstamp", now)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at or event.starts_at + EVENT_LENGTH)
        proposed = " (proposed)" if event.status == EventStatus.PROPOSED else ""
        item.add("summary", f"{event.title} · {_other_name(org, event.partnership)}{proposed}")
        if event.place:
            item.add("location", event.place)
        attendees = [
            line.strip()
            for line in (event.host_attendees + "\n" + event.partner_attendees).splitlines()
            if line.strip()
        ]
        description = event.description.strip()
        if attendees:
            description += ("\n\n" if description else "") + "Attendees: " + ", ".join(attendees)
        if description:
            item.add("description", description)
        item.add("status", "CONFIRMED" if event.status == EventStatus.CONFIRMED else "TENTATIVE")
        item.add("url", _workspace_url(org, event.partnership.code))
        cal.add_component(item)
    own_steps = (Q(partnership__host=org) & Q(owner_side__in=[Side.HOST, OwnerSide.BOTH])) | (
        Q(partnership__partner=org) & Q(owner_side__in=[Side.PARTNER, OwnerSide.BOTH])
    )
    steps = (
        PlanStep.objects.select_related("partnership__host", "partnership__partner")
        .filter(_side_filter(org), own_steps, status=StepStatus.OPEN, due_on__isnull=False)
        .filter(due_on__gte=(now - dt.timedelta(days=PAST_DAYS)).date())
        .order_by("due_on", "id")
    )
    for step in steps:
        item = IcsEvent()
        item.add("uid", f"step-{step.code}@partnerloop")
        item.add("dtstamp", now)
        item.add("dtstart", step.due_on)
        item.add("dtend", step.due_on + dt.timedelta(days=1))
        item.add("summary", f"Due: {step.title} · {_other_name(org, step.partnership)}")
        item.add("transp", "TRANSPARENT")
        item.add("url", _workspace_url(org, step.partnership.code))
        cal.add_component(item)
    return cal.to_ical()
