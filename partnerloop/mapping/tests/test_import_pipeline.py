"""The batches of an import are written on a thread of their own while the next batch is
read: outside a transaction (as in the worker), success, failures on either side and a
cancel end the same way as when everything runs in one thread."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from partnerloop.mapping import imports, services
from partnerloop.mapping.models import Account, AccountList, AccountUpload, UploadStatus
from partnerloop.mapping.tests.lists_support import (
    _media,  # noqa: F401 (autouse fixture)
    csv_bytes,
    fail_second_write,
    run_cancelled_during_first_batch,
    upload,
)

# Committed for real: the writer's connection must see the upload the test created.
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["Account ID", "Account Name", "Website", "Type"]


def firms(count: int, *, start: int = 0) -> bytes:
    rows = [[str(i), f"Firm {i}", f"firm{i}.com", "Customer"] for i in range(start, count)]
    return csv_bytes([HEADER, *rows])


@pytest.fixture(autouse=True)
def _not_enqueued(monkeypatch):
    """Outside a transaction the immediate task backend would run the import in
    `upload_create`; the tests run it themselves."""
    monkeypatch.setattr(services, "_enqueue", lambda upload: None)


@pytest.fixture
def writer_threads(monkeypatch):
    """The threads started during the test (the imports' writers)."""
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


def test_batches_are_written_by_another_thread_and_progress_moves(
    world, monkeypatch, writer_threads
):
    actor = world.actor("host_owner")
    created = upload(actor, firms(10), run=False)
    assert not connection.in_atomic_block
    reported = []
    real = imports.BatchWriter._write_one

    def record(self, batch, processed):
        real(self, batch, processed)
        reported.append((threading.current_thread().name, len(batch), processed))

    monkeypatch.setattr(imports.BatchWriter, "_write_one", record)
    assert services.upload_run(upload_id=created.pk, batch_rows=4) == UploadStatus.DONE
    assert [(n, p) for _, n, p in reported] == [(4, 4), (4, 8), (2, 10)]
    assert {name for name, _, _ in reported} == {"account-import-writer"}
    assert writer_threads and not any(t.is_alive() for t in writer_threads)
    created.refresh_from_db()
    assert created.is_current and created.rows_imported == 10 and created.rows_processed == 10
    assert sorted(Account.objects.filter(upload=created).values_list("row", flat=True)) == list(
        range(2, 12)
    )


def test_a_failing_write_fails_the_upload_and_keeps_nothing(world, monkeypatch, writer_threads):
    actor = world.actor("host_owner")
    first = upload(actor, firms(3))
    calls = fail_second_write(monkeypatch)
    created = upload(actor, firms(20), run=False)
    assert services.upload_run(upload_id=created.pk, batch_rows=4) == UploadStatus.FAILED
    assert calls["n"] == 2  # nothing written after the failure
    created.refresh_from_db()
    first.refresh_from_db()
    assert created.status == UploadStatus.FAILED and "unexpected error" in created.message
    assert not Account.objects.filter(upload=created).exists()
    assert first.is_current
    assert not any(t.is_alive() for t in writer_threads)


def test_a_reading_error_waits_for_the_writer_then_keeps_nothing(world, writer_threads):
    actor = world.actor("host_owner")
    first = upload(actor, firms(3))
    # UTF-8 for the first 256 KB (what the request checks), then a Latin-1 byte.
    head = firms(20_000).decode()
    data = head.encode() + "x,Café,cafe.fr,Customer\r\n".encode("latin-1")
    created = upload(actor, data, run=False)
    assert services.upload_run(upload_id=created.pk, batch_rows=1_000) == UploadStatus.FAILED
    created.refresh_from_db()
    assert "not valid UTF-8" in created.message
    assert not Account.objects.filter(upload=created).exists()
    first.refresh_from_db()
    assert first.is_current
    assert not any(t.is_alive() for t in writer_threads)


def test_cancel_while_running_stops_the_writer(world, monkeypatch, writer_threads):
    actor = world.actor("host_owner")
    first = upload(actor, firms(3))
    up = upload(actor, firms(30), run=False)
    assert run_cancelled_during_first_batch(monkeypatch, actor, up) == [3]
    up.refresh_from_db()
    first.refresh_from_db()
    assert up.status == UploadStatus.CANCELLED and not up.is_current
    assert not Account.objects.filter(upload=up).exists()
    assert first.is_current
    assert not any(t.is_alive() for t in writer_threads)


def test_a_list_deleted_during_the_import_leaves_no_rows_behind(world, monkeypatch, writer_threads):
    """Accounts have no foreign-key constraint in the database (import speed): an import
    whose upload vanished between two batches deletes what it wrote after the cascade."""
    actor = world.actor("host_owner")
    up = upload(actor, firms(30), run=False)
    real = imports.insert_rows
    calls = {"n": 0}

    def delete_list_then_insert(model, rows, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            AccountList.objects.filter(pk=up.account_list_id).delete()
        real(model, rows, **kwargs)

    monkeypatch.setattr(imports, "insert_rows", delete_list_then_insert)
    assert services.upload_run(upload_id=up.pk, batch_rows=3) == UploadStatus.CANCELLED
    assert calls["n"] == 2  # stopped at the progress report after the orphaned batch
    assert not AccountUpload.objects.filter(pk=up.pk).exists()
    assert not Account.objects.filter(upload_id=up.pk).exists()
    assert not any(t.is_alive() for t in writer_threads)
