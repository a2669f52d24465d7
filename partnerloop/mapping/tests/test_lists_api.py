"""The /api/v1/mapping operations: content, privacy, cancel and query counts."""

from __future__ import annotations

import pytest

from partnerloop.api.tests.matrix import headers_for
from partnerloop.mapping.models import AccountUpload, UploadStatus
from partnerloop.mapping.tests.lists_support import (
    _media,  # noqa: F401 (autouse fixture)
    csv_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

M = "/api/v1/mapping"
SF = csv_bytes(
    [
        ["Account ID", "Account Name", "Website", "Type"],
        ["1", "Acme", "acme.com", "Customer"],
        ["2", "Beta", "beta.com", "Prospect"],
        ["3", "Gamma", "gamma.com", "Closed Won"],
        ["4", "Gamma bis", "gamma.com", "Prospect"],
    ]
)


def get(client, world, persona, path):
    return client.get(path, headers=headers_for(world, persona))


def test_lists_with_current_upload_and_counts(client, world):
    actor = world.actor("host_owner")
    upload(actor, SF)
    pending = upload(actor, SF, run=False)
    response = get(client, world, "host_viewer", M + "/lists")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "CRM accounts"
    assert item["accounts"] == 3
    assert item["populations"] == [
        {"key": "customers", "count": 2},
        {"key": "prospects", "count": 1},
    ]
    current = item["current_upload"]
    assert (current["status"], current["is_current"], current["duplicates"]) == ("done", True, 1)
    assert current["source"] == "salesforce" and current["percent"] == 100
    assert [u["code"] for u in item["uploads_in_progress"]] == [pending.code]


def test_other_organizations_see_nothing(client, world):
    up = upload(world.actor("host_owner"), SF)
    for persona in ("partner_user", "other_host"):
        assert get(client, world, persona, M + "/lists").json() == {"items": [], "count": 0}
        assert get(client, world, persona, f"{M}/uploads/{up.code}").status_code == 404
        path = f"{M}/lists/{up.account_list.code}/uploads"
        assert get(client, world, persona, path).status_code == 404


def test_upload_history_and_status(client, world):
    actor = world.actor("host_owner")
    first = upload(actor, SF)
    second = upload(actor, SF)
    body = get(client, world, "host_member", f"{M}/lists/{first.account_list.code}/uploads").json()
    assert [(u["code"], u["is_current"]) for u in body["items"]] == [
        (second.code, True),
        (first.code, False),
    ]
    one = get(client, world, "host_member", f"{M}/uploads/{first.code}").json()
    assert one["list_code"] == first.account_list.code
    assert (one["rows_imported"], one["rows_processed"]) == (3, 4)


def test_cancel(client, world):
    up = upload(world.actor("host_owner"), SF, run=False)
    path = f"{M}/uploads/{up.code}/cancel"
    assert client.post(path, headers=headers_for(world, "host_member")).status_code == 403
    response = client.post(path, headers=headers_for(world, "host_owner"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = client.post(path, headers=headers_for(world, "host_owner"))
    assert again.status_code == 422
    assert "nothing to cancel" in again.content.decode()
    # Running: the flag is set, the worker stops between batches.
    running = upload(world.actor("host_owner"), SF, run=False)
    AccountUpload.objects.filter(pk=running.pk).update(status=UploadStatus.RUNNING)
    body = client.post(
        f"{M}/uploads/{running.code}/cancel", headers=headers_for(world, "host_owner")
    ).json()
    assert (body["status"], body["cancel_requested"]) == ("running", True)


def test_populations(client, world):
    body = get(client, world, "partner_user", M + "/populations").json()
    assert [(p["key"], p["is_default"]) for p in body] == [
        ("customers", False),
        ("opportunities", False),
        ("prospects", True),
    ]
    assert "closed won" in body[0]["status_values"]


def test_list_endpoints_have_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    actor = world.actor("host_owner")
    for i in range(5):
        upload(actor, SF, list_name=f"List {i}")
        upload(actor, SF, list_name=f"List {i}", run=False)
    headers = headers_for(world, "host_owner")
    with django_assert_max_num_queries(6):
        assert client.get(M + "/lists", headers=headers).json()["count"] == 5
    code = upload(actor, SF, list_name="List 0").account_list.code
    with django_assert_max_num_queries(6):
        body = client.get(f"{M}/lists/{code}/uploads", headers=headers).json()
    assert body["count"] == 3
