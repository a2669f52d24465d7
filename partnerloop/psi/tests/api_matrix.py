"""API permission-matrix operations of /api/v1/psi (see partnerloop/api/tests/matrix.py).

`prepare` gives the host's consent for its customers (count mode), a run of the partner
waiting for its request (`{run}`) and a finished one; the request body is a valid 20-domain request.
"""

from __future__ import annotations

import base64
from typing import Any

from partnerloop.api.tests.matrix import ApiOperation, _in_partnership
from partnerloop.psi import engine, services
from partnerloop.psi.models import PsiRun, RunStatus

P = "/api/v1/psi"
READ_BOTH = _in_partnership(200, 200, 200, 200, 200)
# The partner's writers use the partner's runs; the host side may read the log, not use them.
PARTNER_RUN = _in_partnership(403, 403, 403, 200, 200)
SIZE = 20
REQUEST = base64.b64encode(
    engine.ClientSession(engine.Mode.COUNT, [f"probe{i}.com" for i in range(SIZE)]).request()
).decode()


def _run(world: Any, status: str) -> PsiRun:
    server = engine.ServerSession(engine.Mode.COUNT)
    return PsiRun.objects.create(
        partnership=world.partnership,
        requested_by=world.partner_user,
        requesting_org=world.partner,
        requesting_side="partner",
        population_key="customers",
        mode="count",
        client_set_size=SIZE,
        server_set_size=0,
        status=status,
        server_key=server.key if status == RunStatus.AWAITING else b"",
    )


def prepare(world: Any) -> dict[str, str]:
    services.consent_set(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side="host",
        population="customers",
        allow_reveal=False,
    )
    _run(world, RunStatus.FINISHED)
    return {"run": _run(world, RunStatus.AWAITING).code}


OPERATIONS: list[ApiOperation] = [
    ApiOperation(
        "GET", P + "/partnerships/{code}/consents", side="either", role="read", expected=READ_BOTH
    ),
    ApiOperation(
        "GET", P + "/partnerships/{code}/runs", side="either", role="read", expected=READ_BOTH
    ),
    # Only the partner has the host's consent; the host has none from the partner (403).
    ApiOperation(
        "POST",
        P + "/partnerships/{code}/runs",
        side="either",
        role="write",
        body={"population": "customers", "mode": "count", "client_set_size": SIZE},
        expected=_in_partnership(403, 403, 403, 201, 201),
    ),
    ApiOperation(
        "POST",
        P + "/runs/{run}/request",
        side="partner",
        role="write",
        body={"request": REQUEST},
        expected=PARTNER_RUN,
    ),
    ApiOperation(
        "POST",
        P + "/runs/{run}/result",
        side="partner",
        role="write",
        body={"count": 0},
        # The run still waits for its request: past the permission checks, 410.
        expected=_in_partnership(403, 403, 403, 410, 410),
    ),
]
