"""Helpers shared by the account-list tests: files in any encoding, uploads run inline."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from partnerloop.core.tenancy import Actor
from partnerloop.mapping import imports, services
from partnerloop.mapping.models import AccountUpload, UploadStatus


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


def csv_bytes(
    rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False
) -> bytes:
    text = "\r\n".join(delimiter.join(_quote(c, delimiter) for c in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


def _quote(cell: str, delimiter: str) -> str:
    if any(ch in cell for ch in (delimiter, '"', "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def upload(
    actor: Actor,
    data: bytes,
    *,
    filename: str = "accounts.csv",
    list_name: str = "",
    run: bool = True,
    **kwargs: Any,
) -> AccountUpload:
    """Store a file and, when it needs no column mapping, run its import inline."""
    created = services.upload_create(
        actor=actor,
        stream=io.BytesIO(data),
        size=len(data),
        filename=filename,
        list_name=list_name,
        **kwargs,
    )
    if run and created.status == "pending":
        services.upload_run(upload_id=created.pk)
    created.refresh_from_db()
    return created


HUBSPOT_HEADER = [
    "Record ID",
    "Company name",
    "Company owner",
    "Create Date",
    "Company Domain Name",
    "Website URL",
    "Lifecycle Stage",
    "Country/Region",
    "Industry",
]
SALESFORCE_HEADER = [
    "Account ID",
    "Account Name",
    "Account Owner",
    "Type",
    "Website",
    "Billing City",
    "Billing Country",
    "Industry",
]


def run_cancelled_during_first_batch(
    monkeypatch: pytest.MonkeyPatch, actor: Actor, up: AccountUpload
) -> list[int]:
    """Run `up` in batches of 3 rows while the user presses Cancel as the first batch is
    written; returns the sizes of the batches written."""
    real = imports.insert_rows
    seen: list[int] = []

    def insert_then_cancel(model: Any, rows: Any, **kwargs: Any) -> None:
        real(model, rows, **kwargs)
        seen.append(len(rows))
        if len(seen) == 1:
            services.upload_cancel(actor=actor, upload=AccountUpload.objects.get(pk=up.pk))

    monkeypatch.setattr(imports, "insert_rows", insert_then_cancel)
    assert services.upload_run(upload_id=up.pk, batch_rows=3) == UploadStatus.CANCELLED
    return seen


def fail_second_write(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Make the second batch write of an import fail ("disk full"); returns the counter
    of write calls."""
    calls = {"n": 0}
    real = imports.insert_rows

    def flaky(model: Any, rows: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(model, rows, **kwargs)

    monkeypatch.setattr(imports, "insert_rows", flaky)
    return calls
