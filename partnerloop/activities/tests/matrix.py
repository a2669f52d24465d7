"""Permission-matrix entries for activities."""

from __future__ import annotations

from datetime import date
from typing import Any

from partnerloop.activities import services
from partnerloop.partnerships.models import Visibility
from partnerloop.tests.matrix import WS_READ, WS_WRITE, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """A shared activity logged by the host."""
    activity = services.activity_log(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        kind="campaign",
        title="Joint newsletter",
        happened_on=date(2026, 11, 2),
        visibility=Visibility.SHARED,
    )
    return {"activity": activity.code}


def _p(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


def _a(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code, "activity": o.extra["activity"]}


ENTRIES: list[Entry] = [
    # Each organization reads its own report (a partner organization's is empty).
    Entry("what_works", "get", ok(200)),
    Entry("activity_list", "get", WS_READ, kwargs=_p),
    # CSV exports: a partnership's (both sides, any member), and the organization's own.
    Entry("activity_export", "get", WS_READ, kwargs=_p),
    Entry("activities_export", "get", ok(200)),
    Entry("activity_new", "get", WS_READ, kwargs=_p),
    Entry(
        "activity_new",
        "post",
        WS_WRITE,
        kwargs=_p,
        data={
            "kind": "meeting",
            "title": "Monthly sync",
            "happened_on": "2026-11-20",
            "visibility": "shared",
        },
    ),
    Entry("activity_detail", "get", WS_READ, kwargs=_a),
    Entry("activity_edit", "get", WS_READ, kwargs=_a),
    # Only the side that logged it edits; the partner side gets the form back with the
    # reason (400), viewers are refused.
    Entry(
        "activity_edit",
        "post",
        {**WS_WRITE, "partner_user": 400},
        kwargs=_a,
        data={
            "kind": "campaign",
            "title": "Joint newsletter, December",
            "happened_on": "2026-11-02",
            "visibility": "shared",
            "version": 1,
        },
    ),
    Entry("activity_outcome", "post", WS_WRITE, kwargs=_a, data={"result": "worked"}),
    Entry("activity_comment", "post", WS_WRITE, kwargs=_a, data={"body": "Nice one"}),
]
