from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from partnerloop.accounts import services
from partnerloop.accounts.models import Invitation, Membership, Role
from partnerloop.conftest import World, make_user


def _link_from_mail() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https?://\S+/invitations/(\S+)/", body)
    assert match, body
    return f"/invitations/{match.group(1)}/"


def test_host_invites_a_partner_user_who_lands_in_the_workspace(
    world: World, django_capture_on_commit_callbacks
) -> None:
    client = world.client("host_owner")
    # The e-mail is sent by a background task queued when the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/{world.host.code}/p/{world.partnership.code}/invite/",
            {"email": "Newbie@Acme.test", "role": "admin"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newbie@acme.test"]
    assert "Northwind Analytics" in message.subject
    assert message.alternatives and "Accept the invitation" in message.alternatives[0][0]
    link = _link_from_mail()

    newbie = make_user("newbie@acme.test")
    guest = Client()
    guest.force_login(newbie)
    assert guest.get(link).status_code == 200
    response = guest.post(link)
    assert response.status_code == 302
    assert response["Location"] == f"/o/{world.partner.code}/p/{world.partnership.code}/"
    membership = Membership.objects.get(user=newbie)
    assert membership.organization == world.partner and membership.role == Role.ADMIN
    assert guest.get(response["Location"]).status_code == 200

    # Single use: the same link again is refused, for anyone.
    again = guest.post(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_the_link_expires(world: World) -> None:
    invitation = services.invitation_create(
        actor=world.actor("host_owner"), email="late@northwind.test", role=Role.MEMBER
    )
    token = services.invitation_token(invitation)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = world.client("other_host").get(f"/invitations/{token}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_tampered_link_is_refused(world: World) -> None:
    invitation = services.invitation_create(
        actor=world.actor("host_owner"), email="x@northwind.test", role=Role.MEMBER
    )
    token = services.invitation_token(invitation)
    response = Client().get(f"/invitations/{token[:-2]}xx/")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_a_withdrawn_invitation_cannot_be_used(world: World) -> None:
    actor = world.actor("host_owner")
    invitation = services.invitation_create(actor=actor, email="y@northwind.test", role="member")
    services.invitation_revoke(actor=actor, invitation=invitation)
    with pytest.raises(services.InvitationInvalid, match="withdrawn"):
        services.invitation_accept(
            token=services.invitation_token(invitation), user=world.other_host
        )


def test_teammate_invitation_joins_the_host_with_the_role(world: World) -> None:
    client = world.client("host_owner")
    response = client.post(
        f"/o/{world.host.code}/members/", {"email": "ops@northwind.test", "role": "viewer"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="ops@northwind.test")
    user = make_user("ops@northwind.test")
    services.invitation_accept(token=services.invitation_token(invitation), user=user)
    assert Membership.objects.get(user=user, organization=world.host).role == Role.VIEWER


def test_members_cannot_invite_and_partner_side_roles_are_limited(world: World) -> None:
    response = world.client("host_member").post(
        f"/o/{world.host.code}/members/", {"email": "a@b.test", "role": "member"}
    )
    assert response.status_code == 403
    with pytest.raises(Exception, match="roles offered"):
        services.invitation_create(
            actor=world.actor("host_owner"),
            email="p@acme.test",
            role=Role.OWNER,
            partnership_code=world.partnership.code,
        )


def test_anonymous_visitor_is_offered_login_by_code(world: World) -> None:
    invitation = services.invitation_create(
        actor=world.actor("host_owner"),
        email="z@acme.test",
        role="member",
        partnership_code=world.partnership.code,
    )
    response = Client().get(f"/invitations/{services.invitation_token(invitation)}/")
    assert response.status_code == 200
    assert "E-mail me a login code" in response.content.decode()
