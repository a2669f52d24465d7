"""Every API operation with every persona, and every write with a read-only token."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from partnerloop.api.models import TokenScope
from partnerloop.api.tests.matrix import (
    API_MATRIX,
    PERSONAS,
    READ_ONLY_WRITE_STATUS,
    ApiOperation,
    headers_for,
    prepare,
)


def _call(op: ApiOperation, url: str, headers: dict[str, str]) -> int:
    client = Client(enforce_csrf_checks=True)
    body = json.dumps(op.body) if op.body is not None else None
    kwargs = {"content_type": "application/json"} if body is not None else {}
    response = client.generic(op.method, url, body or "", headers=headers, **kwargs)
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.status_code


def test_matrix_covers_every_operation_and_persona() -> None:
    from partnerloop.api.api import api

    schema = api.get_openapi_schema()
    documented = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert documented == {(op.method, op.path) for op in API_MATRIX}
    for op in API_MATRIX:
        assert set(op.expected) == set(PERSONAS), op


@pytest.mark.parametrize("op", API_MATRIX, ids=[str(o) for o in API_MATRIX])
def test_api_permission_matrix(world, op: ApiOperation) -> None:
    """Every persona on the same prepared world, each call in a rolled-back savepoint
    (a write by one persona never changes what the next one meets)."""
    url = op.url(**prepare(world))
    headers = {persona: headers_for(world, persona) for persona in PERSONAS}
    failures = []
    for persona in PERSONAS:
        cache.clear()
        with transaction.atomic():
            status = _call(op, url, headers[persona])
            transaction.set_rollback(True)
        if status != op.expected[persona]:
            failures.append(f"{op} as {persona}: expected {op.expected[persona]}, got {status}")
    assert not failures, "\n".join(failures)


WRITES = [op for op in API_MATRIX if op.is_write]


@pytest.mark.parametrize("op", WRITES, ids=[str(o) for o in WRITES])
@pytest.mark.parametrize("persona", ["host_owner", "partner_user"])
def test_read_only_token_refuses_every_write(world, op: ApiOperation, persona: str) -> None:
    url = op.url(**prepare(world))
    status = _call(op, url, headers_for(world, persona, scope=TokenScope.READ))
    assert status == READ_ONLY_WRITE_STATUS
