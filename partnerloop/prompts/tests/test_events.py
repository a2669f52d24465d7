"""Reviews and joint events: propose, edit with a version, confirm, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from partnerloop.conftest import World
from partnerloop.partnerships.models import TimelineEvent
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.prompts import events
from partnerloop.prompts.models import Event, EventStatus

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=10)


def _data(**fields: Any) -> events.EventData:
    values: dict[str, Any] = {"kind": "review", "title": "Quarterly review", "starts_at": START}
    values.update(fields)
    return events.EventData(**values)


def test_either_side_proposes_and_the_other_confirms(world: World) -> None:
    event = events.event_create(
        actor=world.actor("partner_member"), partnership=world.partnership, data=_data()
    )
    assert event.status == EventStatus.PROPOSED and event.side == "partner"

    events.event_confirm(actor=world.actor("host_member"), event=event)

    event.refresh_from_db()
    assert event.status == EventStatus.CONFIRMED and event.confirmed_at is not None
    summaries = list(
        TimelineEvent.objects.filter(partnership=world.partnership).values_list(
            "kind", "visibility"
        )
    )
    assert ("event_proposed", "shared") in summaries and ("event_confirmed", "shared") in summaries
    with pytest.raises(ValidationError, match="already confirmed"):
        events.event_confirm(actor=world.actor("partner_user"), event=event)


def test_viewers_cannot_write_and_bad_input_says_what_to_fix(world: World) -> None:
    with pytest.raises(PermissionDenied):
        events.event_create(
            actor=world.actor("host_viewer"), partnership=world.partnership, data=_data()
        )
    with pytest.raises(ValidationError) as exc:
        events.event_create(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            data=_data(title=" ", ends_at=START - dt.timedelta(hours=1)),
        )
    assert set(exc.value.message_dict) == {"title", "ends_at"}
    assert not Event.objects.exists()


def test_a_stale_edit_is_refused_and_nothing_is_written(world: World) -> None:
    owner = world.actor("host_owner")
    event = events.event_create(actor=owner, partnership=world.partnership, data=_data())
    events.event_confirm(actor=world.actor("partner_user"), event=event)
    event.refresh_from_db()

    moved = events.event_edit(
        actor=owner,
        event=event,
        expected_version=event.version,
        data=_data(starts_at=START + dt.timedelta(days=1), place="Berlin"),
    )
    assert moved.status == EventStatus.PROPOSED  # a new time needs a new confirmation
    with pytest.raises(ConcurrentEdit):
        events.event_edit(
            actor=owner, event=event, expected_version=1, data=_data(title="Overwritten")
        )
    event.refresh_from_db()
    assert event.title == "Quarterly review" and event.place == "Berlin"


def test_pages_create_edit_409_confirm_and_cancel(world: World) -> None:
    client = world.client("partner_user")
    base = f"/o/{world.partner.code}/p/{world.partnership.code}/events/"
    form = client.get(base + "new/")
    assert form.status_code == 200 and b'type="datetime-local"' in form.content

    created = client.post(
        base + "new/",
        {"kind": "joint_event", "title": "Joint webinar", "starts_at": "2030-05-04T15:00"},
    )
    assert created.status_code == 302 and created["Location"].endswith("#reviews")
    event = Event.objects.get()
    edit = base + f"{event.code}/edit/"
    stale = {"kind": "joint_event", "title": "Late", "starts_at": "2030-05-04T15:00"}

    assert client.post(edit, {**stale, "version": event.version}).status_code == 302
    conflict = client.post(edit, {**stale, "title": "Too late", "version": 1})
    assert conflict.status_code == 409 and b"Someone else changed this event" in conflict.content
    event.refresh_from_db()
    assert event.title == "Late"

    host = world.client("host_member")
    host_base = f"/o/{world.host.code}/p/{world.partnership.code}/events/"
    workspace = host.get(f"/o/{world.host.code}/p/{world.partnership.code}/")
    assert f'data-event="{event.code}"'.encode() in workspace.content
    assert b"Confirm Late" in workspace.content
    assert host.post(host_base + f"{event.code}/confirm/").status_code == 302
    assert host.post(host_base + f"{event.code}/cancel/").status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    workspace = host.get(f"/o/{world.host.code}/p/{world.partnership.code}/")
    assert f'data-event="{event.code}"'.encode() not in workspace.content
    assert "Cancelled: Joint event “Late”".encode() in workspace.content  # timeline
    assert b"Propose a review or event" in workspace.content


def test_the_workspace_events_part_stays_flat(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from partnerloop.prompts.selectors import workspace_prompts

    def count_queries() -> None:
        with django_assert_max_num_queries(3):
            workspace_prompts(partnership=world.partnership, side="host")

    count_queries()
    for i in range(12):
        events.event_create(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            data=_data(title=f"Review {i}", starts_at=START + dt.timedelta(days=i)),
        )
    count_queries()
