"""Uploads over time: atomic replace, history and pruning, cancel, populations and rules."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from partnerloop.mapping import selectors, services
from partnerloop.mapping.models import Account, AccountUpload, Population, UploadStatus
from partnerloop.mapping.tests.lists_support import (
    _media,  # noqa: F401 (autouse fixture)
    csv_bytes,
    fail_second_write,
    run_cancelled_during_first_batch,
    upload,
)

pytestmark = pytest.mark.django_db

HEADER = ["Account ID", "Account Name", "Website", "Type"]


def sf(*rows: tuple[str, str, str, str]) -> bytes:
    return csv_bytes([HEADER, *[list(r) for r in rows]])


FIRST = sf(
    ("1", "Acme", "acme.com", "Customer"),
    ("2", "Beta", "beta.com", "Prospect"),
    ("3", "Gamma", "gamma.com", "Closed Won"),
)


def test_population_keys(world):
    actor = world.actor("host_owner")
    upload(actor, FIRST)
    upload(actor, sf(("9", "Acme EU", "acme.com", "customer")), list_name="EU accounts")
    upload(world.actor("partner_user"), sf(("1", "Zeta", "zeta.com", "Customer")))
    keys = selectors.population_keys(organization=world.host, population_key="customers")
    assert keys == ["acme.com", "gamma.com"]  # de-duplicated across lists, sorted
    assert selectors.population_keys(organization=world.host, population_key="prospects") == [
        "beta.com"
    ]
    assert selectors.population_keys(organization=world.partner, population_key="customers") == [
        "zeta.com"
    ]


def test_population_keys_ignore_rows_without_domain_and_old_uploads(world):
    actor = world.actor("host_owner")
    upload(actor, FIRST)
    upload(actor, sf(("1", "Acme", "", "Customer"), ("2", "Delta", "delta.com", "Customer")))
    keys = selectors.population_keys(organization=world.host, population_key="customers")
    assert keys == ["delta.com"]


def test_a_new_upload_replaces_the_old_one(world):
    actor = world.actor("host_owner")
    first = upload(actor, FIRST)
    second = upload(actor, sf(("7", "Omega", "omega.com", "Customer")))
    first.refresh_from_db()
    assert second.is_current and not first.is_current
    assert second.account_list_id == first.account_list_id
    # History keeps the older upload and its rows.
    assert Account.objects.filter(upload=first).count() == 3
    summary = selectors.list_summaries(actor=actor)[0]
    assert summary.current == second and summary.counts == {"customers": 1}


def test_a_failing_second_upload_keeps_the_first_current(world, monkeypatch):
    actor = world.actor("host_owner")
    first = upload(actor, FIRST)
    fail_second_write(monkeypatch)
    data = sf(*[(str(i), f"Firm {i}", f"firm{i}.com", "Customer") for i in range(10)])
    created = upload(actor, data, run=False)
    assert services.upload_run(upload_id=created.pk, batch_rows=4) == UploadStatus.FAILED
    created.refresh_from_db()
    first.refresh_from_db()
    assert created.status == UploadStatus.FAILED and not created.is_current
    assert "unexpected error" in created.message
    assert not Account.objects.filter(upload=created).exists()  # the first batch went too
    assert first.is_current
    assert selectors.population_keys(organization=world.host, population_key="customers") == [
        "acme.com",
        "gamma.com",
    ]


def test_running_twice_imports_once(world):
    actor = world.actor("host_owner")
    up = upload(actor, FIRST)
    assert services.upload_run(upload_id=up.pk) == ""
    assert Account.objects.filter(upload=up).count() == 3


def test_cancel_before_it_runs(world):
    actor = world.actor("host_owner")
    up = upload(actor, FIRST, run=False)
    services.upload_cancel(actor=actor, upload=up)
    up.refresh_from_db()
    assert up.status == UploadStatus.CANCELLED
    assert services.upload_run(upload_id=up.pk) == ""
    assert not Account.objects.exists()


def test_cancel_while_running_stops_between_batches(world, monkeypatch):
    actor = world.actor("host_owner")
    first = upload(actor, FIRST)
    data = sf(*[(str(i), f"Firm {i}", f"firm{i}.com", "Customer") for i in range(10)])
    up = upload(actor, data, run=False)
    assert run_cancelled_during_first_batch(monkeypatch, actor, up) == [3]
    up.refresh_from_db()
    first.refresh_from_db()
    assert up.status == UploadStatus.CANCELLED and not up.is_current
    assert not Account.objects.filter(upload=up).exists()
    assert first.is_current


def test_cancel_ends_at_once_an_upload_whose_worker_died(world):
    actor = world.actor("host_owner")
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        up = upload(actor, FIRST, run=False)
        AccountUpload.objects.filter(pk=up.pk).update(
            status=UploadStatus.RUNNING, heartbeat_at=timezone.now()
        )
        Account.objects.create(upload=up, row=2, name="Half-written")
    with time_machine.travel("2026-12-01 10:14:00Z", tick=False):
        services.upload_cancel(actor=actor, upload=up)  # still moving: the flag only
        up.refresh_from_db()
        assert (up.status, up.cancel_requested) == (UploadStatus.RUNNING, True)
    with time_machine.travel("2026-12-01 10:16:00Z", tick=False):
        services.upload_cancel(actor=actor, upload=up)
    up.refresh_from_db()
    assert up.status == UploadStatus.CANCELLED and not up.is_current
    assert not Account.objects.filter(upload=up).exists()


def test_cancel_refused_when_finished_and_for_viewers(world):
    up = upload(world.actor("host_owner"), FIRST)
    with pytest.raises(ValidationError):
        services.upload_cancel(actor=world.actor("host_owner"), upload=up)
    with pytest.raises(PermissionDenied):
        services.upload_cancel(actor=world.actor("host_viewer"), upload=up)


def test_progress_is_written_between_batches(world):
    actor = world.actor("host_owner")
    data = sf(*[(str(i), f"Firm {i}", f"firm{i}.com", "Customer") for i in range(10)])
    up = upload(actor, data, run=False)
    services.upload_run(upload_id=up.pk, batch_rows=4)
    up.refresh_from_db()
    assert (up.rows_total, up.rows_processed, up.rows_imported, up.percent) == (10, 10, 10, 100)


def test_rows_of_uploads_older_than_the_last_three_are_pruned(world):
    actor = world.actor("host_owner")
    ups = [upload(actor, sf((str(i), f"Firm {i}", f"firm{i}.com", "Customer"))) for i in range(5)]
    for up in ups:
        up.refresh_from_db()
    assert [u.rows_pruned for u in ups] == [True, True, False, False, False]
    assert [Account.objects.filter(upload=u).count() for u in ups] == [0, 0, 1, 1, 1]
    assert ups[-1].is_current
    assert AccountUpload.objects.count() == 5  # the history stays


def test_only_managers_upload(world):
    with pytest.raises(PermissionDenied):
        upload(world.actor("host_member"), FIRST)


# --- Populations and rules --------------------------------------------------------------


def test_builtin_populations_are_created_once(world):
    services.populations_ensure(organization=world.host)
    services.populations_ensure(organization=world.host)
    pops = selectors.populations(organization=world.host)
    assert [(p.key, p.is_default) for p in pops] == [
        ("customers", False),
        ("opportunities", False),
        ("prospects", True),
    ]


def test_rules_edit_resorts_current_rows(world):
    actor = world.actor("host_owner")
    up = upload(
        actor,
        sf(
            ("1", "Acme", "acme.com", "Customer"),
            ("2", "Beta", "beta.com", "Partner"),
            ("3", "Gamma", "gamma.com", "Former Customer"),
            ("4", "Delta", "delta.com", ""),
        ),
    )
    assert selectors.population_counts(upload=up) == {"customers": 1, "prospects": 3}
    churned = services.population_create(actor=actor, name="Churned", values="former customer")
    assert churned.key == "churned"
    assert selectors.population_counts(upload=up) == {
        "customers": 1,
        "churned": 1,
        "prospects": 2,
    }
    values = {p.key: "\n".join(r.value for r in p.rules.all()) for p in Population.objects.all()}
    values["customers"] += "\n  PARTNER "  # folded: case and spaces do not matter
    services.population_rules_save(
        actor=actor, values=values, default_key="churned", names={"customers": "Clients"}
    )
    assert selectors.population_counts(upload=up) == {"customers": 2, "churned": 2}
    assert Population.objects.get(key="customers").name == "Clients"
    assert Population.objects.get(is_default=True).key == "churned"


def test_a_status_value_belongs_to_one_population(world):
    actor = world.actor("host_owner")
    services.populations_ensure(organization=world.host)
    with pytest.raises(ValidationError) as exc:
        services.population_rules_save(
            actor=actor,
            values={"customers": "customer", "prospects": "Customer"},
            default_key="prospects",
            names={},
        )
    assert "listed under both" in " ".join(exc.value.messages)


def test_deleting_a_custom_population_moves_its_rows_to_the_default(world):
    actor = world.actor("host_owner")
    churned = services.population_create(actor=actor, name="Churned", values="churned")
    up = upload(actor, sf(("1", "Acme", "acme.com", "Churned")))
    assert selectors.population_counts(upload=up) == {"churned": 1}
    services.population_delete(actor=actor, population=churned)
    assert selectors.population_counts(upload=up) == {"prospects": 1}
    with pytest.raises(ValidationError):
        services.population_delete(actor=actor, population=Population.objects.get(key="customers"))


def test_rules_are_per_organization(world):
    services.population_create(actor=world.actor("host_owner"), name="Churned", values="churned")
    up = upload(world.actor("partner_user"), sf(("1", "Acme", "acme.com", "Churned")))
    assert selectors.population_counts(upload=up) == {"prospects": 1}
