"""Personal API tokens: one user, one organization, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization

TOKEN_PREFIX = "pl"


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class ApiToken(models.Model):
    """A bearer token `pl_<prefix>_<secret>`.

    The prefix is public (it names the token in lists and URLs); the secret is kept only as
    its SHA-256 hex digest. What the token may do is the owner's *current* role in the
    organization, narrowed to reads when the scope is read-only; it stops working when
    the membership ends or the token is revoked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=16, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "organization"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=TokenScope.values), name="apitoken_scope_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="apitoken_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_PREFIX}_{self.prefix}_"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def read_only(self) -> bool:
        return self.scope != TokenScope.READ_WRITE


def hash_secret(secret: str) -> str:
    """The stored form of a token's secret: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ListStamp(models.Model):
    """A number the database raises whenever something an organization's partnership list
    shows changes: one of its partnerships (added, edited, removed), the name, website or
    domain of either organization, a tag, an owner's e-mail.

    Database triggers raise it (installed after every `migrate` by
    `partnerloop.api.list_cache.install_triggers`), so every write counts, whatever code
    path makes it (services, bulk imports, `SET NULL` on a deleted user, a shell). A
    trigger also creates the row when the organization is inserted; Django only reads it,
    to key the list's cached answers.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.stamp}"
