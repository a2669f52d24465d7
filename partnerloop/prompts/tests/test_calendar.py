"""The personal calendar feed, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import time_machine
from icalendar import Calendar

from partnerloop.accounts.models import Membership
from partnerloop.conftest import World
from partnerloop.partnerships.models import Side
from partnerloop.prompts import calendar
from partnerloop.prompts.models import CalendarFeed, Event, EventKind, EventStatus
from partnerloop.prompts.tests.test_email import make_step

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _feed(client, url: str) -> Calendar:  # type: ignore[no-untyped-def]
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


@time_machine.travel(NOW, tick=False)
def test_feed_holds_events_and_the_sides_due_steps_only(world: World) -> None:
    review = Event.objects.create(
        partnership=world.partnership,
        kind=EventKind.REVIEW,
        title="Quarterly review",
        starts_at=NOW + dt.timedelta(days=5),
        place="Acme HQ, Berlin",
        host_attendees="Olivia",
        partner_attendees="Sam",
        side=Side.PARTNER,
        status=EventStatus.CONFIRMED,
    )
    Event.objects.create(
        partnership=world.partnership,
        kind=EventKind.JOINT_EVENT,
        title="Cancelled webinar",
        starts_at=NOW + dt.timedelta(days=6),
        side=Side.HOST,
        status=EventStatus.CANCELLED,
    )
    Event.objects.create(
        partnership=world.other_partnership,
        kind=EventKind.REVIEW,
        title="Globex review",
        starts_at=NOW + dt.timedelta(days=6),
        side=Side.HOST,
    )
    due = dt.date(2026, 3, 10)
    shared = make_step(world, title="Shared launch post", due_on=due)
    own_private = make_step(
        world, title="Partner's own prep", due_on=due, side=Side.PARTNER, visibility="private"
    )
    host_private = make_step(
        world, title="Host pricing idea", due_on=due, side=Side.HOST, visibility="private"
    )
    make_step(world, title="No due date")
    make_step(world, title="Host's own task", due_on=due, owner_side="host")

    new = calendar.feed_create(actor=world.actor("partner_member"))
    cal = _feed(world.client("anonymous"), new.url)

    items = {str(c["UID"]): c for c in cal.walk("VEVENT")}
    summaries = " | ".join(str(c["SUMMARY"]) for c in items.values())
    assert set(items) == {
        f"event-{review.code}@partnerloop",
        f"step-{shared.code}@partnerloop",
        f"step-{own_private.code}@partnerloop",
    }, summaries
    assert host_private.title not in summaries and "Cancelled" not in summaries
    event = items[f"event-{review.code}@partnerloop"]
    assert str(event["SUMMARY"]).startswith("Quarterly review")
    assert str(event["LOCATION"]) == "Acme HQ, Berlin"
    assert event.decoded("DTSTART") == NOW + dt.timedelta(days=5)
    assert event.decoded("DTSTAMP") == NOW
    assert f"/o/{world.partner.code}/p/{world.partnership.code}/" in str(event["URL"])
    step = items[f"step-{shared.code}@partnerloop"]
    assert step.decoded("DTSTART") == due  # an all-day event on the due date

    # The host's feed sees its own private step and the host-owned one, not the partner's.
    host_cal = _feed(
        world.client("anonymous"), calendar.feed_create(actor=world.actor("host_owner")).url
    )
    host_summaries = " | ".join(str(c["SUMMARY"]) for c in host_cal.walk("VEVENT"))
    assert "Host pricing idea" in host_summaries and "Host's own task" in host_summaries
    assert "Partner's own prep" not in host_summaries


def test_a_wrong_rotated_or_revoked_secret_is_a_404(world: World) -> None:
    actor = world.actor("host_owner")
    first = calendar.feed_create(actor=actor)
    client = world.client("anonymous")
    path = urlsplit(first.url).path
    prefix = CalendarFeed.objects.get().prefix
    assert client.get(path).status_code == 200
    assert client.get(f"/cal/{prefix}.wrong-secret.ics").status_code == 404
    assert CalendarFeed.objects.get().secret_hash not in first.url  # only the hash is stored

    second = calendar.feed_create(actor=actor)  # rotate
    assert client.get(path).status_code == 404
    assert client.get(urlsplit(second.url).path).status_code == 200

    calendar.feed_revoke(actor=actor)
    assert client.get(urlsplit(second.url).path).status_code == 404


def test_a_former_member_s_feed_stops_working(world: World) -> None:
    new = calendar.feed_create(actor=world.actor("host_member"))
    Membership.objects.filter(user=world.host_member).delete()
    assert world.client("anonymous").get(urlsplit(new.url).path).status_code == 404


def test_the_page_shows_the_address_once(world: World) -> None:
    client = world.client("host_viewer")
    base = f"/o/{world.host.code}/notifications/"
    created = client.post(base + "calendar/")
    assert created.status_code == 200 and b"shown only once" in created.content
    assert b"/cal/" in created.content
    again = client.get(base)
    assert b"/cal/" not in again.content and b"A feed is active" in again.content
    assert client.post(base + "calendar/revoke/").status_code == 302
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
