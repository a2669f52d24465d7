from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from partnerloop.api.models import TokenScope
from partnerloop.api.tests.matrix import headers_for

ApiCall = Callable[..., HttpResponse]


@pytest.fixture
def api(world: Any) -> ApiCall:
    """`api("GET", "/partnerships", persona="host_owner", body=None, scope=..., **query)`.

    Paths are relative to /api/v1; each persona gets one token per scope, reused.
    """
    client = Client()
    headers: dict[tuple[str, str], dict[str, str]] = {}

    def call(
        method: str,
        path: str,
        persona: str = "host_owner",
        body: Any = None,
        scope: str = TokenScope.READ_WRITE,
        **query: Any,
    ) -> HttpResponse:
        key = (persona, scope)
        if key not in headers:
            headers[key] = headers_for(world, persona, scope)
        url = "/api/v1" + path
        if method == "GET":
            return client.get(url, query, headers=headers[key])
        return client.generic(
            method,
            url,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=headers[key],
        )

    return call
