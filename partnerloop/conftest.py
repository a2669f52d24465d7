"""Personas shared by every test: one host, two of its partners, and another host.

| persona          | who                                                        |
|------------------|------------------------------------------------------------|
| host_owner       | owner of the host organization                             |
| host_member      | member of the host organization                            |
| host_viewer      | viewer of the host organization                            |
| partner_user     | admin of the partner organization of `partnership`         |
| other_partner    | admin of the partner organization of `other_partnership`   |
| other_host       | owner of an unrelated host with its own partnership        |
| anonymous        | not signed in                                              |
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from partnerloop.accounts.models import Membership, Organization, Role
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership

User = get_user_model()


def make_user(email: str) -> object:
    user = User.objects.create_user(username=email, email=email, password="correct-horse-9")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_org(name: str, domain: str) -> Organization:
    return Organization.objects.create(name=name, domain=domain, website=f"https://{domain}")


def make_member(org: Organization, email: str, role: str) -> object:
    user = make_user(email)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


def actor_of(user: object, org: Organization, read_only: bool = False) -> Actor:
    role = Membership.objects.get(user=user, organization=org).role
    return Actor(user=user, organization=org, role=role, read_only=read_only)  # type: ignore[arg-type]


@dataclass
class World:
    host: Organization
    partner: Organization
    other_partner_org: Organization
    other_host_org: Organization
    partnership: Partnership
    other_partnership: Partnership
    foreign_partnership: Partnership
    host_owner: object
    host_member: object
    host_viewer: object
    partner_user: object
    partner_member: object
    other_partner: object
    other_host: object

    def actor(self, persona: str) -> Actor:
        user = getattr(self, persona)
        org = {
            "host_owner": self.host,
            "host_member": self.host,
            "host_viewer": self.host,
            "partner_user": self.partner,
            "partner_member": self.partner,
            "other_partner": self.other_partner_org,
            "other_host": self.other_host_org,
        }[persona]
        return actor_of(user, org)

    def client(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(getattr(self, persona))
        return client


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits (login lock-out) live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    host = make_org("Northwind Analytics", "northwind.test")
    partner = make_org("Acme Integrations", "acme.test")
    other_partner_org = make_org("Globex Consulting", "globex.test")
    other_host_org = make_org("Initech", "initech.test")
    host_owner = make_member(host, "owner@northwind.test", Role.OWNER)
    host_member = make_member(host, "member@northwind.test", Role.MEMBER)
    host_viewer = make_member(host, "viewer@northwind.test", Role.VIEWER)
    partner_user = make_member(partner, "admin@acme.test", Role.ADMIN)
    partner_member = make_member(partner, "member@acme.test", Role.MEMBER)
    other_partner = make_member(other_partner_org, "admin@globex.test", Role.ADMIN)
    other_host = make_member(other_host_org, "owner@initech.test", Role.OWNER)
    partnership = Partnership.objects.create(
        host=host, partner=partner, host_owner=host_owner, partner_owner=partner_user
    )
    other_partnership = Partnership.objects.create(host=host, partner=other_partner_org)
    foreign_partnership = Partnership.objects.create(host=other_host_org, partner=partner)
    return World(
        host=host,
        partner=partner,
        other_partner_org=other_partner_org,
        other_host_org=other_host_org,
        partnership=partnership,
        other_partnership=other_partnership,
        foreign_partnership=foreign_partnership,
        host_owner=host_owner,
        host_member=host_member,
        host_viewer=host_viewer,
        partner_user=partner_user,
        partner_member=partner_member,
        other_partner=other_partner,
        other_host=other_host,
    )
