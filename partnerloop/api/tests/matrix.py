"""Every API operation with the status each persona gets, for permission-matrix tests.

`API_MATRIX` is a list of `ApiOperation`:

- `method`: HTTP method, upper case.
- `path`: full path template under /api/v1/, with `{code}` (the `world.partnership`),
  `{version}` (a draft IPP version of the host, next to an active one),
  `{note}` and `{agreement}` placeholders; fill them with `ApiOperation.url(**ids)` and
  the ids returned by `prepare(world)`.
- `side`: which side of the partnership may call it: `any` (not about one partnership:
  any organization), `either` (host or partner), `host` or `partner`.
- `role`: the least role it needs on that side: `read` (any member, read-only tokens
  too), `write` (owner, admin, manager, member), `manage` (owner, admin, manager) or
  `admin` (owner, admin).
- `body`: the JSON body to send (None for reads); valid for the state `prepare` makes.
- `expected`: persona -> HTTP status, for every name in `PERSONAS` (the personas of the
  `world` fixture in partnerloop/conftest.py), each calling with a read-write token of
  its own organization (`headers_for`). Another tenant gets 404, never 403; anonymous
  (no token) gets 401.

Every write answers 403 with a read-only token of any member (`READ_ONLY_WRITE_STATUS`).
Each case must run against a fresh `world` (one test per case): writes change state.
"""

from __future__ import annotations

import importlib
import importlib.util
import secrets
from dataclasses import dataclass, field
from typing import Any

from partnerloop.api.models import TOKEN_PREFIX, ApiToken, TokenScope, hash_secret
from partnerloop.partnerships import services
from partnerloop.partnerships.models import Visibility

PERSONAS = (
    "host_owner",
    "host_member",
    "host_viewer",
    "partner_user",
    "partner_member",
    "other_partner",
    "other_host",
    "anonymous",
)
READ_ONLY_WRITE_STATUS = 403
OUTSIDERS = {"other_partner": 404, "other_host": 404, "anonymous": 401}


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str
    side: str
    role: str
    body: dict[str, Any] | None = None
    expected: dict[str, int] = field(default_factory=dict)

    def url(self, **ids: str) -> str:
        return self.path.format(**ids)

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _in_partnership(
    host_owner: int,
    host_member: int,
    host_viewer: int,
    partner_user: int,
    partner_member: int,
) -> dict[str, int]:
    return {
        "host_owner": host_owner,
        "host_member": host_member,
        "host_viewer": host_viewer,
        "partner_user": partner_user,
        "partner_member": partner_member,
        **OUTSIDERS,
    }


READ_BOTH = _in_partnership(200, 200, 200, 200, 200)
HOST_MANAGER = _in_partnership(200, 403, 403, 403, 403)
HOST_MANAGER_CREATES = _in_partnership(201, 403, 403, 403, 403)
P = "/api/v1/partnerships"
F = "/api/v1/fit"
HOST_READ = _in_partnership(200, 200, 200, 404, 404)
HOST_VERSION_MANAGE = _in_partnership(200, 403, 403, 404, 404)
ANY_MANAGER_CREATES = {
    "host_owner": 201,
    "host_member": 403,
    "host_viewer": 403,
    "partner_user": 201,
    "partner_member": 403,
    "other_partner": 201,
    "other_host": 201,
    "anonymous": 401,
}

API_MATRIX: list[ApiOperation] = [
    ApiOperation(
        "GET",
        P,
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
    ApiOperation(
        "POST",
        P,
        side="any",
        role="manage",
        body={"name": "Umbrella Labs", "website": "https://umbrella-labs.com"},
        # Any organization can host a program: its managers add partners to it.
        expected={
            "host_owner": 201,
            "host_member": 403,
            "host_viewer": 403,
            "partner_user": 201,
            "partner_member": 403,
            "other_partner": 201,
            "other_host": 201,
            "anonymous": 401,
        },
    ),
    ApiOperation("GET", P + "/{code}", side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "PATCH",
        P + "/{code}",
        side="host",
        role="manage",
        body={"version": 1, "tier": "gold", "reason": "Won a deal"},
        expected=HOST_MANAGER,
    ),
    ApiOperation(
        "GET", P + "/{code}/stage-changes", side="either", role="read", expected=READ_BOTH
    ),
    ApiOperation(
        "POST",
        P + "/{code}/stage",
        side="host",
        role="manage",
        body={"to_stage": "evaluating", "reason": "The kick-off call went well."},
        expected=HOST_MANAGER_CREATES,
    ),
    ApiOperation("GET", P + "/{code}/notes", side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "POST",
        P + "/{code}/notes",
        side="either",
        role="write",
        body={"body": "Met at the conference.", "visibility": "shared"},
        expected=_in_partnership(201, 201, 403, 201, 201),
    ),
    ApiOperation(
        "PATCH",
        P + "/{code}/notes/{note}",
        side="either",
        role="write",
        # The note is the host owner's: its author or a host manager may change it.
        body={"visibility": "private"},
        expected=HOST_MANAGER,
    ),
    ApiOperation("GET", P + "/{code}/agreements", side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "POST",
        P + "/{code}/agreements",
        side="host",
        role="manage",
        body={"notice_days": 30},
        expected=HOST_MANAGER_CREATES,
    ),
    ApiOperation(
        "POST",
        P + "/{code}/agreements/{agreement}/accept",
        side="partner",
        role="admin",
        body={"text_version": 1},
        expected=_in_partnership(403, 403, 403, 200, 403),
    ),
    ApiOperation(
        "POST",
        P + "/{code}/agreements/{agreement}/end",
        side="either",
        role="manage",
        body={"reason": "Not the right time for us."},
        expected=_in_partnership(200, 403, 403, 200, 403),
    ),
    ApiOperation("GET", P + "/{code}/timeline", side="either", role="read", expected=READ_BOTH),
    # Fit. Every organization has its own IPP; another organization's version is a 404.
    ApiOperation(
        "GET",
        F + "/versions",
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
    ApiOperation("POST", F + "/versions", side="any", role="manage", expected=ANY_MANAGER_CREATES),
    ApiOperation("GET", F + "/versions/{version}", side="host", role="read", expected=HOST_READ),
    ApiOperation(
        "POST",
        F + "/versions/{version}/activate",
        side="host",
        role="manage",
        body={"change_note": "Sharper criteria"},
        expected=HOST_VERSION_MANAGE,
    ),
    ApiOperation(
        "POST",
        F + "/versions/{version}/rescore",
        side="host",
        role="manage",
        expected=HOST_VERSION_MANAGE,
    ),
    ApiOperation(
        "GET",
        F + "/versions/{version}/test",
        side="host",
        role="manage",
        expected=HOST_VERSION_MANAGE,
    ),
    ApiOperation(
        "GET",
        F + "/scores",
        side="any",
        role="read",
        expected={p: 200 for p in PERSONAS} | {"anonymous": 401},
    ),
    ApiOperation("GET", F + "/partnerships/{code}", side="either", role="read", expected=READ_BOTH),
    ApiOperation(
        "GET", F + "/partnerships/{code}/evaluation", side="either", role="read", expected=READ_BOTH
    ),
    ApiOperation(
        "PUT",
        F + "/partnerships/{code}/evaluation",
        side="either",
        role="write",
        body={"answers": {"executive-sponsor": {"value": "yes"}}, "revision": 0},
        expected=_in_partnership(200, 200, 403, 200, 200),
    ),
]


def prepare(world: Any) -> dict[str, str]:
    """Make the objects the paths name, and return the placeholder values.

    `world.partnership` gets a shared note by the host owner and a proposed agreement
    (text version 1); its `version` stays 1.
    """
    host = world.actor("host_owner")
    note = services.note_create(
        actor=host,
        partnership=world.partnership,
        body="Kick-off agenda",
        visibility=Visibility.SHARED,
    )
    agreement = services.agreement_propose(
        actor=host,
        partnership=world.partnership,
        title="Open partnership agreement",
        terms="Either side can end it at any time.",
        notice_days=30,
    )
    # The host's active IPP (from the template) and a draft of the next version.
    from partnerloop.fit import services as fit_services

    version = fit_services.ipp_create_from_template(actor=host)
    fit_services.ipp_version_activate(actor=host, version=version, change_note="First")
    draft = fit_services.ipp_version_new_draft(actor=host, based_on=version)
    ids = {
        "code": world.partnership.code,
        "note": note.code,
        "agreement": agreement.code,
        # A draft: it can be read, previewed, tested and activated.
        "version": draft.code,
    }
    for module in API_EXTENSIONS:
        ids.update(module.prepare(world))
    return ids


def make_token(user: Any, organization: Any, scope: str = TokenScope.READ_WRITE) -> str:
    """A token stored directly (no role check), so a viewer can hold a read-write one and
    the API's own role checks are what the matrix exercises."""
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        organization=organization,
        name=f"test {prefix}",
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scope=scope,
    )
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def headers_for(world: Any, persona: str, scope: str = TokenScope.READ_WRITE) -> dict[str, str]:
    """Request headers for a persona: a bearer token of its organization, none for anonymous."""
    if persona == "anonymous":
        return {}
    actor = world.actor(persona)
    return {"Authorization": f"Bearer {make_token(actor.user, actor.organization, scope)}"}


# Apps add their operations here: each module has `OPERATIONS: list[ApiOperation]` and
# `prepare(world) -> dict[str, str]` for the placeholders its paths name.
# A missing module cannot hide an operation: the OpenAPI coverage test fails instead.
API_EXTENSIONS: list[Any] = [
    importlib.import_module(name)
    for name in (
        *(
            f"partnerloop.{app}.tests.api_matrix"
            for app in (
                "plans",
                "prompts",
                "health",
                "activities",
                "referrals",
                "accountability",
                "psi",
                "mapping",
                "overlap",
                "insights",
            )
        ),
        "partnerloop.prompts.tests.api_matrix_delivery",
        "partnerloop.insights.tests.api_matrix_partnership",
    )
    if importlib.util.find_spec(name) is not None
]
API_MATRIX += [op for module in API_EXTENSIONS for op in module.OPERATIONS]
