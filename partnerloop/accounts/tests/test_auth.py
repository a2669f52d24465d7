"""The account flows come from django-allauth; these tests pin the behaviour we rely on."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from partnerloop.accounts.models import Membership
from partnerloop.conftest import World


def test_sign_up_then_create_an_organization(db: None) -> None:
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "founder@startup.test",
            "password1": "a-long-Passphrase-7",
            "password2": "a-long-Passphrase-7",
        },
    )
    assert response.status_code == 302
    assert client.get("/").url == "/orgs/new/"
    response = client.post("/orgs/new/", {"name": "Startup", "website": "startup.io"})
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="founder@startup.test")
    assert membership.role == "owner" and membership.organization.domain == "startup.io"


def test_login_and_logout_with_a_password(world: World) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "owner@northwind.test", "password": "correct-horse-9"}
    )
    assert response.status_code == 302
    assert client.get("/").url == f"/o/{world.host.code}/"
    client.post("/accounts/logout/")
    assert client.get(f"/o/{world.host.code}/").status_code == 302


def test_partner_user_logs_in_with_a_one_time_code(world: World) -> None:
    client = Client()
    response = client.post("/accounts/login/code/", {"email": "admin@acme.test"})
    assert response.status_code == 302
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.MULTILINE)
    assert code, mail.outbox[-1].body
    response = client.post(response["Location"], {"code": code.group(1)})
    assert response.status_code == 302
    assert client.get(f"/o/{world.partner.code}/").status_code == 200


def test_password_reset_by_email(world: World) -> None:
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "owner@northwind.test"})
    assert response.status_code == 302
    assert "owner@northwind.test" in mail.outbox[-1].to
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body


def test_brute_force_is_locked_out(world: World) -> None:
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"login": "owner@northwind.test", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"login": "owner@northwind.test", "password": "correct-horse-9"}
    )
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


def test_two_factor_setup_page_offers_totp(world: World) -> None:
    response = world.client("host_owner").get("/accounts/2fa/totp/activate/")
    # allauth asks for recent authentication first, or shows the QR code.
    assert response.status_code in {200, 302}
    assert world.client("host_owner").get("/accounts/2fa/").status_code == 200


def test_a_user_in_two_organizations_switches_between_them(world: World) -> None:
    Membership.objects.create(user=world.partner_user, organization=world.host, role="member")
    client = world.client("partner_user")
    home = client.get(f"/o/{world.partner.code}/")
    assert home.status_code == 200
    body = home.content.decode()
    assert f"/o/{world.host.code}/" in body and "Northwind Analytics" in body
    assert client.get(f"/o/{world.host.code}/partners/").status_code == 200
