"""Personal API tokens: creation, storage, authentication, revocation and the page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from partnerloop.accounts.models import Membership, Role
from partnerloop.api import services
from partnerloop.api.models import ApiToken, TokenScope

TOKEN_RE = re.compile(r"^pl_([0-9a-f]{8})_([A-Za-z0-9_-]{40,})$")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def create(world, persona: str = "host_owner", scope: str = TokenScope.READ_WRITE):
    return services.token_create(actor=world.actor(persona), name="CRM sync", scope=scope)


def test_token_is_shown_once_and_stored_as_a_hash(world) -> None:
    token, value = create(world)
    match = TOKEN_RE.match(value)
    assert match, value
    prefix, secret = match.groups()
    assert token.prefix == prefix
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(v) for v in stored.values())
    assert token.user == world.host_owner
    assert token.organization == world.host
    assert token.last_used_at is None and token.revoked_at is None


def test_token_authenticates_and_records_last_use(world, client: Client) -> None:
    token, value = create(world)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        response = client.get("/api/v1/partnerships", headers=bearer(value))
        assert response.status_code == 200
        token.refresh_from_db()
        first = token.last_used_at
        assert first == timezone.now()
        # Within the minute, reads do not write again.
        traveller.shift(timedelta(seconds=30))
        client.get("/api/v1/partnerships", headers=bearer(value))
        token.refresh_from_db()
        assert token.last_used_at == first
        traveller.shift(timedelta(minutes=2))
        client.get("/api/v1/partnerships", headers=bearer(value))
        token.refresh_from_db()
        assert token.last_used_at == timezone.now()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer ",
        "Bearer pl_nothing",
        "Bearer pl_0123abcd_",
        "Basic dXNlcjpwYXNz",
        "Bearer xx_0123abcd_secretsecretsecret",
    ],
)
def test_missing_or_malformed_token_is_401(world, client: Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/partnerships", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_wrong_secret_for_a_real_prefix_is_401(world, client: Client) -> None:
    token, value = create(world)
    forged = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/partnerships", headers=bearer(forged)).status_code == 401
    token.refresh_from_db()
    assert token.last_used_at is None


def test_revoked_token_stops_working(world, client: Client) -> None:
    token, value = create(world)
    assert client.get("/api/v1/partnerships", headers=bearer(value)).status_code == 200
    services.token_revoke(actor=world.actor("host_owner"), token=token)
    token.refresh_from_db()
    revoked_at = token.revoked_at
    assert revoked_at is not None
    assert client.get("/api/v1/partnerships", headers=bearer(value)).status_code == 401
    services.token_revoke(actor=world.actor("host_owner"), token=token)
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_token_works_only_while_the_user_is_a_member(world, client: Client) -> None:
    _, value = create(world)
    Membership.objects.filter(user=world.host_owner, organization=world.host).delete()
    assert client.get("/api/v1/partnerships", headers=bearer(value)).status_code == 401


def test_token_of_an_inactive_user_is_401(world, client: Client) -> None:
    _, value = create(world)
    world.host_owner.is_active = False
    world.host_owner.save()
    assert client.get("/api/v1/partnerships", headers=bearer(value)).status_code == 401


def test_token_uses_the_current_role(world, client: Client) -> None:
    _, value = create(world)
    body = {"body": "Hello", "visibility": "shared"}
    url = f"/api/v1/partnerships/{world.partnership.code}/notes"
    Membership.objects.filter(user=world.host_owner, organization=world.host).update(
        role=Role.VIEWER
    )
    response = client.post(url, body, content_type="application/json", headers=bearer(value))
    assert response.status_code == 403
    Membership.objects.filter(user=world.host_owner, organization=world.host).update(
        role=Role.MEMBER
    )
    response = client.post(url, body, content_type="application/json", headers=bearer(value))
    assert response.status_code == 201


def test_read_only_token_reads_but_never_writes(world, client: Client) -> None:
    _, value = create(world, scope=TokenScope.READ)
    code = world.partnership.code
    assert client.get(f"/api/v1/partnerships/{code}", headers=bearer(value)).status_code == 200
    response = client.post(
        f"/api/v1/partnerships/{code}/notes",
        {"body": "Hello", "visibility": "shared"},
        content_type="application/json",
        headers=bearer(value),
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not world.partnership.notes.exists()


def test_token_is_scoped_to_its_organization(world, client: Client) -> None:
    _, value = create(world, persona="partner_user")
    items = client.get("/api/v1/partnerships", headers=bearer(value)).json()["items"]
    codes = {item["code"] for item in items}
    assert codes == {world.partnership.code, world.foreign_partnership.code}
    assert {item["side"] for item in items} == {"partner"}
    response = client.get(
        f"/api/v1/partnerships/{world.other_partnership.code}", headers=bearer(value)
    )
    assert response.status_code == 404


def test_read_only_role_cannot_create_a_read_write_token(world) -> None:
    with pytest.raises(ValidationError) as exc:
        create(world, persona="host_viewer", scope=TokenScope.READ_WRITE)
    assert "scope" in exc.value.error_dict
    token, _ = create(world, persona="host_viewer", scope=TokenScope.READ)
    assert token.read_only


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_needs_a_name(world, name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.token_create(actor=world.actor("host_owner"), name=name, scope=TokenScope.READ)
    assert "name" in exc.value.error_dict


def test_active_tokens_are_limited(world) -> None:
    for _ in range(services.MAX_ACTIVE_TOKENS):
        create(world)
    with pytest.raises(ValidationError):
        create(world)


# --- the page ---------------------------------------------------------------------------


def tokens_url(world, org=None) -> str:
    return f"/o/{(org or world.host).code}/tokens/"


def test_page_empty_state_explains_tokens(world) -> None:
    response = world.client("host_owner").get(tokens_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No API tokens yet" in html
    assert "revoke it at any time" in html
    assert '<label for="id_name">' in html


def test_page_creates_and_shows_the_token_once(world) -> None:
    client = world.client("host_owner")
    response = client.post(tokens_url(world), {"name": "Reporting", "scope": "read"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=world.host_owner)
    html = response.content.decode()
    value = re.search(r'value="(pl_[^"]+)"', html).group(1)
    assert value.startswith(token.display_prefix)
    assert Client().get("/api/v1/partnerships", headers=bearer(value)).status_code == 200
    again = client.get(tokens_url(world)).content.decode()
    assert value not in again
    assert "Reporting" in again and token.display_prefix in again


def test_page_shows_form_errors(world) -> None:
    response = world.client("host_owner").post(tokens_url(world), {"name": "", "scope": "read"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_page_lists_only_my_tokens_of_this_organization(world) -> None:
    theirs, _ = services.token_create(
        actor=world.actor("host_member"), name="Member script", scope=TokenScope.READ
    )
    elsewhere, _ = services.token_create(
        actor=world.actor("partner_user"), name="Partner script", scope=TokenScope.READ
    )
    mine, _ = create(world, persona="host_owner")
    html = world.client("host_owner").get(tokens_url(world)).content.decode()
    assert mine.prefix in html
    assert theirs.prefix not in html and "Member script" not in html
    assert elsewhere.prefix not in html


def test_page_revokes_my_token(world) -> None:
    token, value = create(world)
    client = world.client("host_owner")
    response = client.post(f"{tokens_url(world)}{token.prefix}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/partnerships", headers=bearer(value)).status_code == 401
    assert "Revoked tokens (1)" in client.get(tokens_url(world)).content.decode()


def test_page_cannot_revoke_someone_elses_token(world) -> None:
    token, _ = create(world, persona="host_member")
    response = world.client("host_owner").post(f"{tokens_url(world)}{token.prefix}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_needs_post(world) -> None:
    token, _ = create(world)
    response = world.client("host_owner").get(f"{tokens_url(world)}{token.prefix}/revoke/")
    assert response.status_code == 405


def test_page_for_another_organization_is_404(world) -> None:
    client = world.client("host_owner")
    assert client.get(tokens_url(world, world.partner)).status_code == 404
    assert client.post(tokens_url(world, world.partner), {"name": "x"}).status_code == 404


def test_page_needs_login(world) -> None:
    response = Client().get(tokens_url(world))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_viewer_is_offered_read_only_tokens(world) -> None:
    html = world.client("host_viewer").get(tokens_url(world)).content.decode()
    assert 'value="read"' in html
    assert 'value="read_write"' not in html
    response = world.client("host_viewer").post(
        tokens_url(world), {"name": "x", "scope": "read_write"}
    )
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
