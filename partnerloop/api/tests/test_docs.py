"""The schema and the server-rendered reference page."""

from __future__ import annotations

import re

from django.test import Client


def test_openapi_schema_is_public_and_declares_bearer_auth(db) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "PartnerLoop API"
    schemes = schema["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    assert "/api/v1/partnerships/{code}/notes/{note}" in schema["paths"]


def test_docs_page_renders_without_outside_scripts(world) -> None:
    for client in (Client(), world.client("host_owner")):
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        html = response.content.decode()
        assert "PATCH /api/v1/partnerships/{code}" in html
        assert 'href="/api/v1/openapi.json"' in html
        assert "cdn" not in html.lower()
        # Only our own static scripts, never inline ones (CSP: script-src 'self').
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag, tag
        assert "script-src 'self'" in response["Content-Security-Policy"]
    # A signed-in user gets a link to the tokens page of each organization.
    assert f"/o/{world.host.code}/tokens/" in html
