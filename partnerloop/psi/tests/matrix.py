"""Permission-matrix entries for the private mode page of a partnership: both sides read it
(consents and the audit log); managers and admins of either side change their own side's
consents; viewers and members are refused, other tenants get 404."""

from __future__ import annotations

from typing import Any

from partnerloop.tests.matrix import WS_READ, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    return {}


def _p(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


SIDE_MANAGE = ok(302, host_member=403, host_viewer=403, other_partner=404, other_host=404)

ENTRIES: list[Entry] = [
    Entry("psi_consent", "get", WS_READ, kwargs=_p),
    Entry(
        "psi_consent",
        "post",
        SIDE_MANAGE,
        kwargs=_p,
        data={"population": "customers", "allow_reveal": "on"},
    ),
    Entry("psi_consent_remove", "post", SIDE_MANAGE, kwargs=_p, data={"population": "customers"}),
]
