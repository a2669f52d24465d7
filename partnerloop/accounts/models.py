from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def short_code() -> str:
    """Opaque public identifier for URLs (never a sequential id)."""
    return secrets.token_hex(6)


class Role(models.TextChoices):
    """Roles in an organization.

    Host side: owner, manager, member, viewer. Partner side: admin, member.
    An organization that both hosts a program and partners in another one uses the same
    membership on both sides; `owner` and `admin` are full administrators on either side.
    """

    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# What each role may do. Views and services ask these sets, never compare strings.
ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
MANAGE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})
WRITE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.MEMBER})


class Organization(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    domain = models.CharField(max_length=253, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


class Invitation(models.Model):
    """An e-mailed, signed, expiring, single-use invitation into an organization.

    When `partnership` is set the invitee joins the partner organization of that
    partnership and lands in its workspace.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
