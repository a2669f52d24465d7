"""The account flows come from django-allauth; these tests pin the behaviour we rely on."""

from __future__ import annotations

import re

import time_machine
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


def _totp_code(secret: str) -> str:
    """The code an authenticator app shows now (RFC 6238, as allauth computes it)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal import auth

    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return auth.format_hotp_value(auth.hotp_value(secret, counter))


@time_machine.travel("2026-11-22 10:00:05", tick=False)  # codes change every 30 s
def test_optional_totp_two_factor(world: World) -> None:
    from allauth.mfa.models import Authenticator

    credentials = {"login": "owner@northwind.test", "password": "correct-horse-9"}
    client = Client()
    assert client.post("/accounts/login/", credentials).status_code == 302
    # Changing security settings asks for the password again first.
    response = client.get("/accounts/2fa/totp/activate/")
    if response.status_code == 302 and "reauthenticate" in response["Location"]:
        client.post(response["Location"], {"password": "correct-horse-9"})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=world.host_owner, type="totp").exists()

    # From now on the password alone is not enough.
    second = Client()
    response = second.post("/accounts/login/", credentials)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert second.get(f"/o/{world.host.code}/").status_code == 302
    second.post("/accounts/2fa/authenticate/", {"code": _totp_code(secret)})
    assert second.get(f"/o/{world.host.code}/").status_code == 200


def test_a_user_in_two_organizations_switches_between_them(world: World) -> None:
    Membership.objects.create(user=world.partner_user, organization=world.host, role="member")
    client = world.client("partner_user")
    home = client.get(f"/o/{world.partner.code}/")
    assert home.status_code == 200
    body = home.content.decode()
    assert f"/o/{world.host.code}/" in body and "Northwind Analytics" in body
    assert client.get(f"/o/{world.host.code}/partners/").status_code == 200
