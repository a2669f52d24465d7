"""Permission-matrix entries for prompt delivery and events (loaded by
partnerloop/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from partnerloop.partnerships.models import Side
from partnerloop.prompts.models import Event, EventKind, Webhook
from partnerloop.tests.matrix import PERSONAS, WS_READ, WS_WRITE, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """An event of the partnership and a webhook of the host (pointing at a closed port)."""
    event = Event.objects.create(
        partnership=world.partnership,
        kind=EventKind.REVIEW,
        title="Quarterly review",
        starts_at=timezone.now() + dt.timedelta(days=7),
        side=Side.HOST,
    )
    webhook = Webhook.objects.create(
        organization=world.host, url="http://127.0.0.1:9/hook", secret="s" * 64
    )
    return {"event": event.code, "event_version": event.version, "webhook": webhook.code}


def _partnership(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


def _event(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code, "event": o.extra["event"]}


def _webhook(w: Any, o: Any) -> dict[str, Any]:
    return {"webhook": o.extra["webhook"]}


EVENT_DATA = {
    "kind": "review",
    "title": "Kick-off review",
    "starts_at": "2030-03-02T10:00",
    "place": "Video call",
    "version": 1,
}
# Creating or editing an event: writers of both sides; viewers may not even open the form.
WS_WRITE_FORM = {**WS_READ, "host_viewer": 403}
# Admin-only pages of one's own organization; another organization's webhook is a 404.
ADMIN = ok(302, host_member=403, host_viewer=403)
NOT_FOUND_FOR_ALL = dict.fromkeys(PERSONAS, 404)

ENTRIES: list[Entry] = [
    # Personal settings: every member of any organization has their own.
    Entry("delivery_preferences", "get", ok(200)),
    Entry(
        "delivery_preferences",
        "post",
        ok(302),
        data={"email_mode": "digest", "digest_hour": 7, "muted_kinds": ["silence"]},
    ),
    # The new feed's address is shown once, on the answer itself.
    Entry("calendar_feed_create", "post", ok(200)),
    Entry("calendar_feed_revoke", "post", ok(302)),
    Entry("webhook_add", "post", ADMIN, data={"url": "https://hooks.example.test/abc"}),
    Entry(
        "webhook_delete",
        "post",
        ok(404, host_owner=302, host_member=403, host_viewer=403),
        kwargs=_webhook,
    ),
    Entry(
        "webhook_test",
        "post",
        ok(404, host_owner=302, host_member=403, host_viewer=403),
        kwargs=_webhook,
    ),
    Entry("event_new", "get", WS_WRITE_FORM, kwargs=_partnership),
    Entry("event_new", "post", WS_WRITE, kwargs=_partnership, data=EVENT_DATA),
    Entry("event_edit", "get", WS_WRITE_FORM, kwargs=_event),
    Entry("event_edit", "post", WS_WRITE, kwargs=_event, data=EVENT_DATA),
    Entry("event_confirm", "post", WS_WRITE, kwargs=_event),
    Entry("event_cancel", "post", WS_WRITE, kwargs=_event),
    # Public token URLs: no session needed; a bad token is a 404 for everyone.
    Entry(
        "action_link",
        "get",
        NOT_FOUND_FOR_ALL,
        kwargs=lambda w, o: {"token": "not-a-token"},
        org_scoped=False,
    ),
    Entry(
        "action_link",
        "post",
        NOT_FOUND_FOR_ALL,
        kwargs=lambda w, o: {"token": "not-a-token"},
        org_scoped=False,
    ),
    Entry(
        "calendar_feed",
        "get",
        NOT_FOUND_FOR_ALL,
        kwargs=lambda w, o: {"token": "abc.wrong"},
        org_scoped=False,
    ),
]
