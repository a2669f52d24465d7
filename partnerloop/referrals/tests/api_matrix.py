"""API permission-matrix operations of /api/v1/referrals (see partnerloop/api/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from partnerloop.api.tests.matrix import PERSONAS, ApiOperation, _in_partnership
from partnerloop.referrals.tests.objects import prepare as prepare_objects

R = "/api/v1/referrals"
EVERYONE = {p: 200 for p in PERSONAS} | {"anonymous": 401}
# The partner side writes (register, edit); the host's users are refused on their own
# partnership's referral.
PARTNER_WRITES = _in_partnership(403, 403, 403, 200, 200)
# The host side decides and moves stages; the partner is refused.
HOST_WRITES = _in_partnership(200, 200, 403, 403, 403)
# Each organization's own list of known accounts: its owners, admins and managers.
OWN_LIST_MANAGE = {
    "host_owner": 201,
    "host_member": 403,
    "host_viewer": 403,
    "partner_user": 201,
    "partner_member": 403,
    "other_partner": 201,
    "other_host": 201,
    "anonymous": 401,
}

OPERATIONS: list[ApiOperation] = [
    ApiOperation("GET", R + "/known-accounts", side="any", role="read", expected=EVERYONE),
    ApiOperation(
        "POST",
        R + "/known-accounts",
        side="any",
        role="manage",
        body={"name": "Soylent", "website": "soylent.com", "status": "prospect"},
        expected=OWN_LIST_MANAGE,
    ),
    ApiOperation(
        "POST",
        R + "/known-accounts/import",
        side="any",
        role="manage",
        body={"text": "Umbrella, umbrella.com, customer\nTyrell, tyrell.com, opportunity"},
        expected={k: 200 if v == 201 else v for k, v in OWN_LIST_MANAGE.items()},
    ),
    ApiOperation(
        "DELETE",
        R + "/known-accounts/{known_account}",
        side="host",
        role="manage",
        # Another organization's account is not in its own list: 404.
        expected=_in_partnership(200, 403, 403, 404, 404),
    ),
    ApiOperation("GET", R, side="any", role="read", expected=EVERYONE),
    ApiOperation(
        "POST",
        R + "/partnerships/{code}",
        side="partner",
        role="write",
        body={"company": "Initrode", "website": "initrode.com"},
        expected=_in_partnership(403, 403, 403, 201, 201),
    ),
    ApiOperation(
        "GET",
        R + "/{referral}",
        side="either",
        role="read",
        expected=_in_partnership(200, 200, 200, 200, 200),
    ),
    ApiOperation(
        "PATCH",
        R + "/{referral}",
        side="partner",
        role="write",
        body={"version": 1, "company": "Hooli XYZ"},
        expected=PARTNER_WRITES,
    ),
    ApiOperation(
        "POST",
        R + "/{referral}/decide",
        side="host",
        role="write",
        body={"decision": "declined", "reason": "Already a customer", "version": 1},
        expected=HOST_WRITES,
    ),
    # `{referral}` waits for a decision (edit and decide need that), so the host's writers
    # pass the access checks and meet the rule "accept it first" (422); a stage change that
    # succeeds is in test_api.py.
    ApiOperation(
        "POST",
        R + "/{referral}/stage",
        side="host",
        role="write",
        body={"stage": "won", "reason": "Signed", "amount": "12500", "version": 1},
        expected=_in_partnership(422, 422, 403, 403, 403),
    ),
]


def prepare(world: Any) -> dict[str, str]:
    return {k: str(v) for k, v in prepare_objects(world).items()}
