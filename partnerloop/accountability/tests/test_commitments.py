"""Commitments: promises of both sides, kept or missed, and each side's record."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from partnerloop.accountability import selectors, services
from partnerloop.accountability.models import Commitment
from partnerloop.conftest import World
from partnerloop.partnerships.models import Side, TimelineEvent
from partnerloop.partnerships.services import ConcurrentEdit


def promise(world: World, side: str, due: date, persona: str = "host_owner") -> Commitment:
    return services.commitment_add(
        actor=world.actor(persona),
        partnership=world.partnership,
        side=side,
        what=f"Promise due {due}",
        due_on=due,
    )


@time_machine.travel(datetime(2026, 12, 10, 12, tzinfo=UTC), tick=False)
def test_promises_kept_per_side_with_late_ones(world: World) -> None:
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    kept = promise(world, Side.HOST, date(2026, 12, 1))
    missed = promise(world, Side.HOST, date(2026, 12, 2))
    promise(world, Side.HOST, date(2026, 12, 5))  # open and late
    promise(world, Side.HOST, date(2026, 12, 20))  # open, not due yet
    theirs = promise(world, Side.PARTNER, date(2026, 12, 3), persona="partner_user")
    services.commitment_close(actor=partner, commitment=kept, status="kept")
    services.commitment_close(actor=host, commitment=missed, status="missed")
    services.commitment_close(actor=host, commitment=theirs, status="kept")
    record = selectors.promises_kept(
        list(selectors.commitments_for(partnership=world.partnership)), today=date(2026, 12, 10)
    )
    host_record, partner_record = record[Side.HOST], record[Side.PARTNER]
    assert (host_record.kept, host_record.missed, host_record.open, host_record.late) == (
        1,
        1,
        2,
        1,
    )
    assert host_record.rate == 0.5
    assert (partner_record.kept, partner_record.rate) == (1, 1.0)
    # Both sides see the same figures: the host is accountable too.
    for persona, org in (("host_owner", world.host), ("partner_user", world.partner)):
        body = world.client(persona).get(f"/o/{org.code}/p/{world.partnership.code}/")
        text = body.content.decode()
        assert "50% of promises kept (1 of 2)" in text and "1 late" in text
        assert "100% of promises kept (1 of 1)" in text
    assert TimelineEvent.objects.filter(kind="commitment").count() == 8


def test_bad_input_stale_closes_and_viewers_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.commitment_add(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            side="nobody",
            what=" ",
            due_on=None,
        )
    assert set(exc.value.message_dict) == {"side", "what", "due_on"}
    with pytest.raises(PermissionDenied):
        promise(world, Side.HOST, date(2026, 12, 1), persona="host_viewer")
    c = promise(world, Side.PARTNER, date(2026, 12, 1))
    services.commitment_close(actor=world.actor("partner_user"), commitment=c, status="kept")
    stale = Commitment.objects.get(pk=c.pk)
    stale.version = 1
    with pytest.raises(ConcurrentEdit):
        services.commitment_close(
            actor=world.actor("host_owner"), commitment=stale, status="missed", version=1
        )
    assert Commitment.objects.get(pk=c.pk).status == "kept"


def test_recording_their_promise_from_the_page(world: World) -> None:
    client = world.client("partner_user")
    url = f"/o/{world.partner.code}/p/{world.partnership.code}/commitments/"
    response = client.post(
        url, {"whose": "theirs", "what": "Send the API keys", "due_on": "2026-12-20"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#commitments")
    c = Commitment.objects.get()
    assert (c.side, c.recorded_side) == (Side.HOST, Side.PARTNER)  # the host's promise
    client.post(url + f"{c.code}/", {"status": "missed", "version": c.version})
    assert Commitment.objects.get().status == "missed"
    client.post(url, {"whose": "ours", "what": "", "due_on": ""})
    assert Commitment.objects.count() == 1
