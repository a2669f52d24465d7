"""Permission-matrix entries for referrals and known accounts."""

from __future__ import annotations

from typing import Any

from partnerloop.referrals.tests.objects import prepare as prepare
from partnerloop.tests.matrix import WS_READ, Entry, ok


def _p(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


def _r(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code, "referral": o.extra["referral"]}


def _accepted(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code, "referral": o.extra["accepted_referral"]}


# The partner's forms: the host's users see the referral but do not act for the partner.
PARTNER_FORM = ok(403, partner_user=200, other_partner=404, other_host=404)
PARTNER_WRITE = ok(403, partner_user=302, other_partner=404, other_host=404)
# The host's pages show the conflict findings: the partner side gets 404, as if absent.
HOST_PAGE = ok(200, partner_user=404, other_partner=404, other_host=404)
HOST_WRITE = ok(302, host_viewer=403, partner_user=404, other_partner=404, other_host=404)
# Each organization's own list of known accounts: managers of any organization add to it.
OWN_LIST_MANAGE = ok(302, host_member=403, host_viewer=403)

ENTRIES: list[Entry] = [
    # Each organization reads its own referrals across partnerships (hosted or registered).
    Entry("referrals_all", "get", ok(200)),
    Entry("referrals_export", "get", ok(200)),
    Entry("known_accounts", "get", ok(200)),
    Entry(
        "known_account_add",
        "post",
        OWN_LIST_MANAGE,
        data={"name": "Soylent", "website": "soylent.com", "status": "prospect"},
    ),
    Entry(
        "known_accounts_import",
        "post",
        OWN_LIST_MANAGE,
        data={"text": "Umbrella, umbrella.com, customer\nTyrell, tyrell.com, opportunity"},
    ),
    # Another organization's account is not in one's own list: 404.
    Entry(
        "known_account_delete",
        "post",
        ok(404, host_owner=302, host_member=403, host_viewer=403),
        kwargs=lambda w, o: {"account": o.extra["known_account"]},
    ),
    Entry("referral_list", "get", WS_READ, kwargs=_p),
    Entry("referral_export", "get", WS_READ, kwargs=_p),
    Entry("referral_new", "get", PARTNER_FORM, kwargs=_p),
    Entry(
        "referral_new",
        "post",
        PARTNER_WRITE,
        kwargs=_p,
        data={"company": "Initrode", "website": "initrode.com", "attribution": "sourced"},
    ),
    Entry("referral_detail", "get", WS_READ, kwargs=_r),
    Entry("referral_edit", "get", PARTNER_FORM, kwargs=_r),
    Entry(
        "referral_edit",
        "post",
        PARTNER_WRITE,
        kwargs=_r,
        data={"company": "Hooli XYZ", "website": "hooli.com", "version": 1},
    ),
    Entry("referral_decide", "get", HOST_PAGE, kwargs=_r),
    Entry(
        "referral_decide",
        "post",
        HOST_WRITE,
        kwargs=_r,
        data={"decision": "declined", "reason": "Already a customer", "version": 1},
    ),
    Entry("referral_stage", "get", HOST_PAGE, kwargs=_accepted),
    Entry(
        "referral_stage",
        "post",
        HOST_WRITE,
        kwargs=_accepted,
        data={
            "stage": "qualified",
            "reason": "Budget confirmed",
            "attribution": "sourced",
            "version": 2,
        },
    ),
]
