"""Permission-matrix entries for accountability: commitments and the scorecard (both sides
of a partnership), and the organization's own reports (each organization reads its own:
a partner organization's are empty, and another organization's are a 404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from partnerloop.accountability import services
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.tests.matrix import WS_READ, WS_WRITE, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """A host promise, and a tier on the partnership so that it has a peer group."""
    commitment = services.commitment_add(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side=Side.HOST,
        what="Send the co-branded deck",
        due_on=date(2026, 12, 15),
    )
    Partnership.objects.filter(pk=world.partnership.pk).update(tier="gold")
    return {"commitment": commitment.code}


def _p(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


# Managers of any organization set their own program's targets.
ANY_MANAGER = ok(302, host_member=403, host_viewer=403)

ENTRIES: list[Entry] = [
    Entry(
        "commitment_add",
        "post",
        WS_WRITE,
        kwargs=_p,
        data={"whose": "theirs", "what": "Intro to their CRO", "due_on": "2026-12-20"},
    ),
    Entry(
        "commitment_close",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code, "commitment": o.extra["commitment"]},
        data={"status": "kept", "version": 1},
    ),
    Entry("commitments_export", "get", WS_READ, kwargs=_p),
    Entry("scorecard", "get", WS_READ, kwargs=_p),
    # Without htmx, a redirect to the scorecard (which shows the same figures).
    Entry(
        "partnership_responsiveness", "get", ok(302, other_partner=404, other_host=404), kwargs=_p
    ),
    Entry("responsiveness", "get", ok(200)),
    Entry("responsiveness_export", "get", ok(200)),
    Entry("response_targets", "get", ok(200)),
    Entry(
        "response_targets",
        "post",
        ANY_MANAGER,
        data={"referral": 24, "check_in": 48, "comment": 12},
    ),
    Entry("fairness", "get", ok(200)),
    Entry("fairness_export", "get", ok(200)),
    # Host managers only: the partner side of the partnership gets 404, like a stranger.
    Entry(
        "fairness_handle",
        "post",
        ok(
            302,
            host_member=403,
            host_viewer=403,
            partner_user=404,
            other_partner=404,
            other_host=404,
        ),
        kwargs=_p,
        data={"metric": "touches", "group": "tier:gold", "note": "Booked a review"},
    ),
]
