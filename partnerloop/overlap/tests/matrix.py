"""Permission-matrix entries for the account overlap pages of a partnership (see
partnerloop/tests/matrix.py).

Both sides read the matrix, the cells both share as accounts and the exports; writers of
either side reject matches, act on accounts and record outcomes; managers change their own
side's sharing (viewers and members are refused); other tenants get 404."""

from __future__ import annotations

from typing import Any

from partnerloop.mapping import services as mapping_services
from partnerloop.mapping.models import Account, AccountList, AccountUpload, UploadStatus
from partnerloop.overlap import selectors, services
from partnerloop.overlap.models import (
    AccountMatch,
    Level,
    MatchRejection,
    MatchState,
    OverlapSharing,
    RefreshStatus,
)
from partnerloop.partnerships.models import Side
from partnerloop.tests.matrix import WS_READ, WS_WRITE, Entry, ok


def _current_account(organization: Any, user: Any, name: str, domain: str) -> Account:
    """A one-account current list, written directly (no file, no worker)."""
    mapping_services.populations_ensure(organization=organization)
    account_list = AccountList.objects.create(organization=organization, name="CRM")
    upload = AccountUpload.objects.create(
        account_list=account_list,
        filename="accounts.csv",
        status=UploadStatus.DONE,
        is_current=True,
        uploaded_by=user,
    )
    return Account.objects.create(
        upload=upload,
        row=2,
        name=name,
        name_key=name.lower(),
        domain=domain,
        population_key="customers",
    )


def prepare(world: Any) -> dict[str, Any]:
    """Both sides share their customers as accounts; Acme is in that cell, already marked
    "intro asked", and an older match was rejected."""
    p = world.partnership
    host_account = _current_account(world.host, world.host_owner, "Acme", "acme.com")
    partner_account = _current_account(world.partner, world.partner_user, "ACME", "acme.com")
    match = AccountMatch.objects.create(
        partnership=p,
        host_account=host_account,
        partner_account=partner_account,
        host_population="customers",
        partner_population="customers",
        host_key="acme.com",
        partner_key="acme.com",
        method="domain",
        confidence=1.0,
    )
    MatchState.objects.create(
        partnership=p,
        signature=selectors.signature(partnership=p),
        status=RefreshStatus.CURRENT,
        matches=1,
    )
    for side in (Side.HOST, Side.PARTNER):
        OverlapSharing.objects.create(
            partnership=p,
            side=side,
            population_key="customers",
            level=Level.ACCOUNTS,
            fields=["name", "domain"],
        )
    action = services.overlap_act(
        actor=world.actor("host_owner"), partnership=p, match_id=match.pk, kind="intro"
    )
    rejection = MatchRejection.objects.create(
        partnership=p, host_key="oldco.com", partner_key="oldco.com", side=Side.HOST
    )
    return {
        "overlap_match": match.pk,
        "overlap_action": action.code,
        "overlap_rejection": rejection.pk,
    }


def _p(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


def _cell(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code, "ours": "customers", "theirs": "customers"}


def _match(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code, "match": o.extra["overlap_match"]}


# Managers and admins of either side change their own side's sharing.
SIDE_MANAGE = ok(302, host_member=403, host_viewer=403, other_partner=404, other_host=404)

ENTRIES: list[Entry] = [
    Entry("overlap_matrix", "get", WS_READ, kwargs=_p),
    Entry("overlap_summary", "get", WS_READ, kwargs=_p),
    Entry("overlap_matrix_export", "get", WS_READ, kwargs=_p),
    Entry("overlap_sharing", "get", WS_READ, kwargs=_p),
    Entry(
        "overlap_sharing",
        "post",
        SIDE_MANAGE,
        kwargs=_p,
        data={"level_customers": "counts", "version_customers": "1"},
    ),
    Entry("overlap_cell", "get", WS_READ, kwargs=_cell),
    Entry("overlap_cell_export", "get", WS_READ, kwargs=_cell),
    Entry("overlap_match_reject", "post", WS_WRITE, kwargs=_match, data={"reason": "Other"}),
    Entry("overlap_act", "post", WS_WRITE, kwargs=_match, data={"kind": "co_sell"}),
    Entry(
        "overlap_action_outcome",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code, "action": o.extra["overlap_action"]},
        data={"result": "worked"},
    ),
    Entry(
        "overlap_rejection_undo",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code, "rejection": o.extra["overlap_rejection"]},
    ),
]
