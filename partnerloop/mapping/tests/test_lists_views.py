"""Account-list pages: upload flow, progress, mapping step, export, rules, privacy, queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerloop.mapping.models import Account, AccountList, AccountUpload, UploadStatus
from partnerloop.mapping.tests.lists_support import (
    _media,  # noqa: F401 (autouse fixture)
    csv_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

SF = csv_bytes(
    [
        ["Account ID", "Account Name", "Website", "Type"],
        ["1", "=cmd|' /C calc'!A0", "acme.com", "Customer"],
        ["2", "Beta", "beta.com", "Prospect"],
        ["3", "Gamma", "gamma.com", "Closed Won"],
    ]
)


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.code, **kwargs})


def test_empty_state_says_what_to_do(world):
    response = world.client("host_owner").get(url("mapping_lists", world.host))
    assert response.status_code == 200
    assert "No account list yet" in response.content.decode()
    assert "Upload your first list" in response.content.decode()
    viewer = world.client("host_viewer").get(url("mapping_lists", world.host)).content.decode()
    assert "Ask an owner, admin or manager" in viewer


def test_upload_of_a_salesforce_export_runs_and_shows_counts(
    world, django_capture_on_commit_callbacks
):
    client = world.client("host_owner")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("mapping_upload", world.host),
            {
                "account_list": "__new__",
                "new_list_name": "EMEA",
                "file": SimpleUploadedFile("sf.csv", SF, content_type="text/csv"),
            },
        )
    up = AccountUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("mapping_upload_detail", world.host, code=up.code)
    # The immediate task backend ran the import when the request's transaction committed.
    assert up.status == UploadStatus.DONE and up.is_current
    assert up.account_list.name == "EMEA"
    page = client.get(response["Location"]).content.decode()
    assert "3 accounts imported" in page
    lists = client.get(url("mapping_lists", world.host)).content.decode()
    assert "EMEA" in lists and "sf.csv" in lists


def test_unknown_columns_redirect_to_the_mapping_step(world, django_capture_on_commit_callbacks):
    client = world.client("host_owner")
    data = csv_bytes([["Firma", "Netz"], ["Acme", "acme.com"]])
    response = client.post(
        url("mapping_upload", world.host),
        {"account_list": "__new__", "file": SimpleUploadedFile("x.csv", data)},
    )
    up = AccountUpload.objects.get()
    assert response["Location"] == url("mapping_upload_columns", world.host, code=up.code)
    page = client.get(response["Location"]).content.decode()
    assert "“Firma”, “Netz”" in page  # the missing-columns message names the headers
    assert "<td>Acme</td>" in page  # the first rows of the file
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("mapping_upload_columns", world.host, code=up.code), {"name": "0", "website": "1"}
        )
    up.refresh_from_db()
    assert up.status == UploadStatus.DONE
    assert Account.objects.get(upload=up).domain == "acme.com"


def test_refused_file_shows_the_reason(world):
    response = world.client("host_owner").post(
        url("mapping_upload", world.host),
        {"account_list": "__new__", "file": SimpleUploadedFile("x.csv", b"")},
    )
    assert response.status_code == 200
    assert "The file is empty" in response.content.decode()
    assert not AccountUpload.objects.exists()


def test_a_body_over_the_cap_is_refused_unread(world, settings):
    settings.MAPPING_MAX_UPLOAD_MB = 1
    big = b"Account Name,Website\r\n" + b"Acme,acme.com\r\n" * 80_000  # ~1.2 MB
    response = world.client("host_owner").post(
        url("mapping_upload", world.host),
        {"account_list": "__new__", "file": SimpleUploadedFile("big.csv", big)},
    )
    assert response.status_code == 413
    assert "larger than the 1.0 MB limit" in response.content.decode()
    assert not AccountUpload.objects.exists()


def test_progress_fragment_polls_while_running(world):
    up = upload(world.actor("host_owner"), SF, run=False)
    AccountUpload.objects.filter(pk=up.pk).update(
        status=UploadStatus.RUNNING, rows_total=200, rows_processed=50
    )
    client = world.client("host_owner")
    fragment = client.get(
        url("mapping_upload_detail", world.host, code=up.code), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert "50 of about 200 rows read (25%)" in fragment
    assert "<html" not in fragment
    AccountUpload.objects.filter(pk=up.pk).update(status=UploadStatus.CANCELLED)
    done = client.get(
        url("mapping_upload_detail", world.host, code=up.code), headers={"HX-Request": "true"}
    ).content.decode()
    assert "hx-trigger" not in done  # finished: the polling stops


def test_cancel_button(world):
    up = upload(world.actor("host_owner"), SF, run=False)
    response = world.client("host_owner").post(
        url("mapping_upload_cancel", world.host, code=up.code)
    )
    assert response.status_code == 302
    up.refresh_from_db()
    assert up.status == UploadStatus.CANCELLED


def test_export_is_formula_safe_and_only_the_current_upload(world):
    actor = world.actor("host_owner")
    upload(actor, csv_bytes([["Account ID", "Account Name", "Website"], ["0", "Old", "old.com"]]))
    up = upload(actor, SF)
    response = world.client("host_viewer").get(
        url("mapping_list_export", world.host, code=up.account_list.code)
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "name",
        "domain",
        "country",
        "status",
        "population",
        "external_id",
        "owner",
        "row",
    ]
    assert rows[1][:5] == ["'=cmd|' /C calc'!A0", "acme.com", "", "Customer", "Customers"]
    assert [r[0] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "Beta", "Gamma"]


def test_list_page_shows_counts_history_and_filters(world):
    actor = world.actor("host_owner")
    first = upload(
        actor, csv_bytes([["Account ID", "Account Name", "Website"], ["0", "Old", "old.com"]])
    )
    upload(actor, SF)
    client = world.client("host_member")
    page = client.get(
        url("mapping_list", world.host, code=first.account_list.code)
    ).content.decode()
    assert "History" in page and page.count('<span class="badge">Done</span>') == 2
    assert "<td>Beta</td>" in page and "<td>Old</td>" not in page
    customers = client.get(
        url("mapping_list", world.host, code=first.account_list.code) + "?population=customers"
    ).content.decode()
    assert "<td>Gamma</td>" in customers and "<td>Beta</td>" not in customers


def test_another_organization_never_sees_the_lists(world):
    actor = world.actor("host_owner")
    up = upload(actor, SF)
    code = up.account_list.code
    for persona in ("partner_user", "other_host"):
        client = world.client(persona)
        org = world.actor(persona).organization
        assert client.get(url("mapping_list", org, code=code)).status_code == 404
        assert client.get(url("mapping_list_export", org, code=code)).status_code == 404
        assert client.get(url("mapping_upload_detail", org, code=up.code)).status_code == 404
        assert client.get(url("mapping_list", world.host, code=code)).status_code == 404
        page = client.get(url("mapping_lists", org)).content.decode()
        assert "No account list yet" in page and "sf.csv" not in page


def test_rules_page_saves_and_resorts(world):
    actor = world.actor("host_owner")
    up = upload(actor, SF)
    client = world.client("host_owner")
    assert client.get(url("mapping_populations", world.host)).status_code == 200
    response = client.post(
        url("mapping_populations", world.host),
        {
            "name_customers": "Customers",
            "values_customers": "customer\nprospect",
            "name_opportunities": "Open opportunities",
            "values_opportunities": "",
            "name_prospects": "Prospects",
            "values_prospects": "closed won",
            "default": "prospects",
        },
    )
    assert response.status_code == 302
    by_name = dict(Account.objects.filter(upload=up).values_list("name", "population_key"))
    assert by_name == {"=cmd|' /C calc'!A0": "customers", "Beta": "customers", "Gamma": "prospects"}


def test_rules_page_shows_a_conflict(world):
    client = world.client("host_owner")
    client.get(url("mapping_populations", world.host))
    response = client.post(
        url("mapping_populations", world.host),
        {
            "values_customers": "customer",
            "values_prospects": "Customer",
            "default": "prospects",
        },
    )
    assert response.status_code == 200
    assert "listed under both" in response.content.decode()


def test_list_pages_query_counts_do_not_grow(world, django_assert_max_num_queries):
    actor = world.actor("host_owner")
    for i in range(4):
        upload(actor, SF, list_name=f"List {i}")
        upload(actor, SF, list_name=f"List {i}")
    upload(actor, csv_bytes([["Firma"], ["x"]]), list_name="List 0")  # waiting for mapping
    client = world.client("host_owner")
    client.get(url("mapping_lists", world.host))  # populations created on first visit
    with django_assert_max_num_queries(12):
        response = client.get(url("mapping_lists", world.host))
    assert response.content.decode().count("List ") >= 4
    code = AccountList.objects.get(name="List 0").code
    with django_assert_max_num_queries(14):
        assert client.get(url("mapping_list", world.host, code=code)).status_code == 200
