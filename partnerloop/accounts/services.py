"""Organizations, memberships and invitations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from partnerloop.accounts.models import Invitation, Membership, Organization, Role
from partnerloop.accounts.tasks import send_invitation_email
from partnerloop.core.domains import InvalidWebsite, normalize_website
from partnerloop.core.tenancy import Actor

INVITATION_SALT = "partnerloop.invitation"


@transaction.atomic
def organization_create(*, user: AbstractBaseUser, name: str, website: str = "") -> Organization:
    """A new organization with its creator as owner."""
    if not name.strip():
        raise ValidationError({"name": "Enter your organization's name."})
    normalized, domain = "", ""
    if website.strip():
        try:
            normalized, domain = normalize_website(website)
        except InvalidWebsite as exc:
            raise ValidationError({"website": str(exc)}) from exc
    org = Organization.objects.create(name=name.strip(), website=normalized, domain=domain)
    Membership.objects.create(user=user, organization=org, role=Role.OWNER)
    return org


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.code), salt=INVITATION_SALT, compress=True)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse(
        "invitation_accept", kwargs={"token": invitation_token(invitation)}
    )


class InvitationInvalid(Exception):
    """The link is expired, tampered with, revoked or already used; the message says which."""


def invitation_from_token(token: str) -> Invitation:
    max_age = timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        code = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvitationInvalid(
            "This invitation has expired. Ask the person who invited you for a new one."
        ) from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid(
            "This invitation link is not valid. Check you copied it whole."
        ) from exc
    invitation = (
        Invitation.objects.select_related("organization", "partnership").filter(code=code).first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has already been used. Log in to continue.")
    return invitation


def _invitable_roles(*, actor: Actor, partner_side: bool) -> set[str]:
    if partner_side:
        return {Role.ADMIN, Role.MEMBER}
    roles = {Role.MANAGER, Role.MEMBER, Role.VIEWER}
    if actor.is_admin:
        roles |= {Role.OWNER, Role.ADMIN}
    return roles


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    email: str,
    role: str,
    partnership_code: str | None = None,
) -> Invitation:
    """Invite a teammate into the actor's organization, or a partner user into a partnership.

    A partner invitation is made by the host (manager or above) and lands the person in the
    partner organization; the partner organization's admins can invite their own teammates.
    """
    from partnerloop.partnerships.selectors import partnership_for
    from partnerloop.partnerships.services import timeline_record

    actor.require_manage()
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid e-mail address."}) from exc
    partnership = None
    organization = actor.organization
    if partnership_code:
        partnership, side = partnership_for(actor=actor, code=partnership_code)
        organization = partnership.partner
        if side == "partner":
            # A partner admin inviting a teammate into the same partnership.
            actor.require_admin()
    if role not in _invitable_roles(actor=actor, partner_side=partnership is not None):
        raise ValidationError({"role": "Choose one of the roles offered."})
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {organization.name}."})
    invitation = Invitation.objects.create(
        organization=organization,
        partnership=partnership,
        email=email,
        role=role,
        invited_by=actor.user,
    )
    if partnership is not None:
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=partnership.side_of(actor.organization.pk),
            kind="invitation",
            summary=f"Invited {email} to the workspace",
        )
    transaction.on_commit(lambda: send_invitation_email.enqueue(invitation_id=invitation.pk))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: AbstractBaseUser) -> Invitation:
    """Single use: the first accept wins, a replay of the link is refused."""
    from partnerloop.partnerships.services import timeline_record

    invitation = invitation_from_token(token)
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(accepted_at=now, accepted_by=user)
    if not claimed:
        raise InvitationInvalid("This invitation has already been used. Log in to continue.")
    Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    if invitation.partnership is not None:
        partnership = invitation.partnership
        if partnership.partner_owner_id is None:
            partnership.partner_owner = user
            partnership.save(update_fields=["partner_owner"])
        timeline_record(
            partnership=partnership,
            actor=user,
            side="partner",
            kind="joined",
            summary=f"{user.get_username()} joined the workspace",
        )
    invitation.accepted_at = now
    return invitation


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> None:
    actor.require_manage()
    if invitation.organization_id != actor.organization.pk and (
        invitation.partnership is None or invitation.partnership.host_id != actor.organization.pk
    ):
        raise PermissionDenied
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def membership_set_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    actor.require_admin()
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the roles offered."})
    if membership.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(
            organization=membership.organization, role=Role.OWNER
        ).count()
        if owners <= 1:
            raise ValidationError({"role": "An organization needs at least one owner."})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership
