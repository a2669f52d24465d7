"""Writes for API tokens: each a keyword-only, typed function."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from partnerloop.accounts.models import WRITE_ROLES
from partnerloop.api.models import TOKEN_PREFIX, ApiToken, TokenScope, hash_secret
from partnerloop.core.tenancy import Actor

MAX_ACTIVE_TOKENS = 25
# `last_used_at` is refreshed at most this often, so reads do not write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def _new_prefix() -> str:
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


@transaction.atomic
def token_create(*, actor: Actor, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token for the acting user in the actor's organization.

    Returns the token and its full value `pl_<prefix>_<secret>`: the only moment the
    secret exists in clear; only its SHA-256 digest is stored.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it, e.g. “CRM sync”."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": "Choose read only or read and write."})
    if scope == TokenScope.READ_WRITE and actor.role not in WRITE_ROLES:
        raise ValidationError(
            {"scope": "Your role in this organization is read-only; create a read-only token."}
        )
    active = ApiToken.objects.filter(
        user=actor.user, organization=actor.organization, revoked_at__isnull=True
    ).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": f"You already have {active} active tokens here; revoke one you no longer use."}
        )
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        organization=actor.organization,
        name=name,
        prefix=_new_prefix(),
        secret_hash=hash_secret(secret),
        scope=scope,
    )
    return token, f"{TOKEN_PREFIX}_{token.prefix}_{secret}"


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking twice keeps the first time."""
    if token.user_id != actor.user.pk or token.organization_id != actor.organization.pk:
        raise PermissionDenied("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def token_mark_used(*, token: ApiToken) -> None:
    """Record that the token was used; a single UPDATE, skipped when recorded recently.

    Deliberately not wrapped in `transaction.atomic`: on SQLite that would take the write
    lock for every authenticated request.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
