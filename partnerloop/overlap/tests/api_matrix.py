"""API permission-matrix operations of /api/v1/overlap (see partnerloop/api/tests/matrix.py).

`prepare` gives both sides one current list with one account each (Acme, matched by
domain), both sharing their customers at the accounts level (version 1), a rejected pair
(`{rejection_id}`) and the host's intro on the Acme match (`{action}`). It writes rows
directly, without files: it runs for every operation of the matrix.
"""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import ApiOperation, _in_partnership
from partnerloop.mapping import services as mapping_services
from partnerloop.mapping.models import Account, AccountList, AccountUpload, UploadStatus
from partnerloop.overlap import services
from partnerloop.overlap.models import AccountMatch, MatchRejection

OVERLAP = "/api/v1/overlap/partnerships/{code}"
READ_BOTH = _in_partnership(200, 200, 200, 200, 200)
WRITERS = _in_partnership(200, 200, 403, 200, 200)
WRITERS_CREATE = _in_partnership(201, 201, 403, 201, 201)
# partner_user is an admin of the partner; partner_member is not a manager.
MANAGERS = _in_partnership(200, 403, 403, 200, 403)


def _current_list(organization: Any, user: Any, name: str, domain: str) -> None:
    mapping_services.populations_ensure(organization=organization)
    account_list = AccountList.objects.create(organization=organization, name="CRM")
    upload = AccountUpload.objects.create(
        account_list=account_list,
        filename="accounts.csv",
        status=UploadStatus.DONE,
        is_current=True,
        uploaded_by=user,
    )
    Account.objects.create(
        upload=upload,
        row=2,
        name=name,
        name_key=name.lower(),
        domain=domain,
        country="US",
        status="Customer",
        population_key="customers",
        owner="Someone",
    )


def prepare(world: Any) -> dict[str, str]:
    _current_list(world.host, world.host_owner, "Acme Corporation", "acme.com")
    _current_list(world.partner, world.partner_user, "ACME Corp.", "acme.com")
    services.matches_refresh(partnership_id=world.partnership.pk)
    for persona in ("host_owner", "partner_user"):
        services.sharing_set(
            actor=world.actor(persona),
            partnership=world.partnership,
            population_key="customers",
            level="accounts",
            fields=["name", "domain"],
        )
    match = AccountMatch.objects.get(partnership=world.partnership)
    rejection = MatchRejection.objects.create(
        partnership=world.partnership,
        host_key="globex.de",
        partner_key="globex.de",
        side="partner",
        rejected_by=world.partner_user,
    )
    action = services.overlap_act(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        match_id=match.pk,
        kind="intro",
    )
    return {
        "ours": "customers",
        "theirs": "customers",
        "population": "customers",
        "match_id": str(match.pk),
        "rejection_id": str(rejection.pk),
        "action": action.code,
    }


OPERATIONS: list[ApiOperation] = [
    ApiOperation("GET", OVERLAP, side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "GET", OVERLAP + "/cells/{ours}/{theirs}", side="either", role="read", expected=READ_BOTH
    ),
    ApiOperation(
        "GET", OVERLAP + "/sharing/{population}", side="either", role="read", expected=READ_BOTH
    ),
    ApiOperation(
        "PUT",
        OVERLAP + "/sharing/{population}",
        side="either",
        role="manage",
        body={"level": "counts", "version": 1},
        expected=MANAGERS,
    ),
    ApiOperation(
        "POST",
        OVERLAP + "/matches/{match_id}/reject",
        side="either",
        role="write",
        body={"reason": "Not the same company"},
        expected=WRITERS_CREATE,
    ),
    ApiOperation("GET", OVERLAP + "/rejections", side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "DELETE",
        OVERLAP + "/rejections/{rejection_id}",
        side="either",
        role="write",
        expected=WRITERS,
    ),
    ApiOperation("GET", OVERLAP + "/actions", side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "POST",
        OVERLAP + "/matches/{match_id}/actions",
        side="either",
        role="write",
        # The host's intro is there already: a co-selling action is new for everyone.
        body={"kind": "co_sell", "note": "Joint call with their AE"},
        expected=WRITERS_CREATE,
    ),
    ApiOperation(
        "POST",
        OVERLAP + "/actions/{action}/outcome",
        side="either",
        role="write",
        body={"result": "worked", "notes": "Intro led to a meeting"},
        expected=WRITERS,
    ),
]
