"""Who is acting, for which organization, with which rights.

Every view and API operation resolves an `Actor` first; selectors take the actor and
never return rows of an organization the actor does not belong to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from partnerloop.accounts.models import (
    ADMIN_ROLES,
    MANAGE_ROLES,
    WRITE_ROLES,
    Membership,
    Organization,
)


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser
    organization: Organization
    role: str
    # API tokens may be read-only whatever the role of their owner.
    read_only: bool = False

    @property
    def can_write(self) -> bool:
        return not self.read_only and self.role in WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return not self.read_only and self.role in MANAGE_ROLES

    @property
    def is_admin(self) -> bool:
        return not self.read_only and self.role in ADMIN_ROLES

    def require_write(self) -> None:
        if not self.can_write:
            raise PermissionDenied("Your role in this organization is read-only.")

    def require_manage(self) -> None:
        if not self.can_manage:
            raise PermissionDenied("Only owners, admins and managers can do this.")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("Only owners and admins of the organization can do this.")


def actor_for(*, user: AbstractBaseUser, org_code: str, read_only: bool = False) -> Actor:
    """The acting user inside one of their organizations; 404 for any other organization."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__code=org_code)
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return Actor(
        user=user, organization=membership.organization, role=membership.role, read_only=read_only
    )
