"""Bearer authentication with personal API tokens."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from partnerloop.api import selectors, services
from partnerloop.core.tenancy import Actor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pl_<prefix>_<secret>` -> the `Actor` the token stands for.

    The operation receives the actor as `request.auth`; an unknown, revoked or orphaned
    token answers 401. A read-only token is refused (403) on any write before the
    operation runs; the services check the role again whatever the method.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        found = selectors.token_authenticate(raw=token)
        if found is None:
            return None
        api_token, actor = found
        services.token_mark_used(token=api_token)
        if actor.read_only and request.method not in SAFE_METHODS:
            raise AuthorizationError(
                message="This token is read-only; create a read-write token to make changes."
            )
        return actor
