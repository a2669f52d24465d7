"""Writes of the mapping app: lists, uploads and their import, populations and rules.

An upload goes: stored file -> (column mapping, when the file's CRM is not recognized)
-> pending -> running (the worker) -> done (and current) / failed / cancelled. Only
`_finish` makes an upload current, in one transaction, after all its rows are in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from partnerloop.accounts.models import Organization, short_code
from partnerloop.core.tenancy import Actor
from partnerloop.mapping import imports
from partnerloop.mapping.models import (
    Account,
    AccountList,
    AccountUpload,
    Population,
    PopulationRule,
    UploadStatus,
)
from partnerloop.mapping.signals import current_lists_changed

logger = logging.getLogger(__name__)

# Uploads whose rows are kept per list: the current one and the two before it. Older
# uploads stay in the history with their counts; their rows are deleted.
KEEP_UPLOADS_WITH_ROWS = 3
DEFAULT_LIST_NAME = "CRM accounts"
# A running upload whose progress has not moved for this long is taken as dead.
STALE_AFTER = timedelta(minutes=15)

# key, name, status values (folded) that sort a row into it. Prospects is the default.
BUILTIN_POPULATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "customers",
        "Customers",
        (
            "customer",
            "customers",
            "closed won",
            "won",
            "customer - direct",
            "customer - channel",
            "evangelist",
        ),
    ),
    (
        "opportunities",
        "Open opportunities",
        (
            "opportunity",
            "open opportunity",
            "sales qualified lead",
            "salesqualifiedlead",
            "prospecting",
            "qualification",
            "needs analysis",
            "value proposition",
            "id. decision makers",
            "perception analysis",
            "proposal/price quote",
            "negotiation/review",
        ),
    ),
    (
        "prospects",
        "Prospects",
        (
            "prospect",
            "lead",
            "subscriber",
            "marketing qualified lead",
            "marketingqualifiedlead",
        ),
    ),
)
DEFAULT_POPULATION = "prospects"
MAX_POPULATIONS = 20
MAX_RULE_VALUES = 200


# --- Populations and rules --------------------------------------------------------------


def populations_ensure(*, organization: Organization) -> None:
    """Create the built-in populations and their rules once per organization (idempotent)."""
    if Population.objects.filter(organization=organization, is_builtin=True).exists():
        return
    try:
        with transaction.atomic():
            for position, (key, name, values) in enumerate(BUILTIN_POPULATIONS):
                population = Population.objects.create(
                    organization=organization,
                    key=key,
                    name=name,
                    is_builtin=True,
                    is_default=key == DEFAULT_POPULATION,
                    position=position,
                )
                PopulationRule.objects.bulk_create(
                    PopulationRule(organization=organization, population=population, value=v)
                    for v in values
                )
    except IntegrityError:
        pass  # created concurrently by another request


def rules_map(*, organization: Organization) -> tuple[dict[str, str], str]:
    """{folded status value: population key} and the default population's key."""
    populations_ensure(organization=organization)
    rules = dict(
        PopulationRule.objects.filter(organization=organization).values_list(
            "value", "population__key"
        )
    )
    default = (
        Population.objects.filter(organization=organization, is_default=True)
        .values_list("key", flat=True)
        .first()
    ) or DEFAULT_POPULATION
    return rules, default


def _parse_values(text: str) -> list[str]:
    values: list[str] = []
    for line in text.replace(";", "\n").splitlines():
        folded = imports.fold_status(line)
        if folded and folded not in values:
            values.append(folded[:120])
    return values


@transaction.atomic
def population_create(*, actor: Actor, name: str, values: str = "") -> Population:
    actor.require_manage()
    organization = actor.organization
    populations_ensure(organization=organization)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the population, e.g. Churned."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    existing = Population.objects.filter(organization=organization)
    if existing.count() >= MAX_POPULATIONS:
        raise ValidationError(
            {"name": f"You have {MAX_POPULATIONS} populations, the most allowed; remove one."}
        )
    if existing.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"There is already a population “{name}”."})
    base = slugify(name)[:32] or "population"
    key, n = base, 2
    while existing.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    population = Population.objects.create(
        organization=organization,
        key=key,
        name=name,
        position=(existing.order_by("-position").values_list("position", flat=True).first() or 0)
        + 1,
    )
    if values.strip():
        _set_rules(organization=organization, population=population, values=_parse_values(values))
        populations_resort(organization=organization)
    return population


def _set_rules(*, organization: Organization, population: Population, values: list[str]) -> None:
    if len(values) > MAX_RULE_VALUES:
        raise ValidationError(
            {population.key: f"At most {MAX_RULE_VALUES} status values per population."}
        )
    taken = dict(
        PopulationRule.objects.filter(organization=organization, value__in=values)
        .exclude(population=population)
        .values_list("value", "population__name")
    )
    if taken:
        value, other = next(iter(taken.items()))
        raise ValidationError(
            {
                population.key: f"“{value}” already sorts rows into {other}; a status value "
                "belongs to one population only. Remove it from one of them."
            }
        )
    PopulationRule.objects.filter(population=population).exclude(value__in=values).delete()
    have = set(PopulationRule.objects.filter(population=population).values_list("value", flat=True))
    PopulationRule.objects.bulk_create(
        PopulationRule(organization=organization, population=population, value=v)
        for v in values
        if v not in have
    )


@transaction.atomic
def population_rules_save(
    *, actor: Actor, values: Mapping[str, str], default_key: str, names: Mapping[str, str]
) -> None:
    """Replace the status values of each population (one per line) and the default.

    `values` and `names` are keyed by population key; the current rows are re-sorted.
    """
    actor.require_manage()
    organization = actor.organization
    populations_ensure(organization=organization)
    populations = {p.key: p for p in Population.objects.filter(organization=organization)}
    if default_key not in populations:
        raise ValidationError({"default": "Choose the population for unmatched statuses."})
    parsed = {key: _parse_values(values.get(key, "")) for key in populations}
    seen: dict[str, str] = {}
    for key, population_values in parsed.items():
        for value in population_values:
            if value in seen:
                raise ValidationError(
                    {
                        key: f"“{value}” is listed under both {populations[seen[value]].name} "
                        f"and {populations[key].name}; keep it in one of them."
                    }
                )
            seen[value] = key
    # Replaced as a whole, so values may move from one population to another in one save.
    PopulationRule.objects.filter(organization=organization).delete()
    PopulationRule.objects.bulk_create(
        PopulationRule(organization=organization, population=populations[key], value=value)
        for value, key in seen.items()
    )
    for key, population in populations.items():
        new_name = (names.get(key) or "").strip()
        if new_name and new_name != population.name:
            if len(new_name) > 80:
                raise ValidationError({key: "Keep the name under 80 characters."})
            Population.objects.filter(pk=population.pk).update(name=new_name)
    Population.objects.filter(organization=organization, is_default=True).exclude(
        key=default_key
    ).update(is_default=False)
    Population.objects.filter(organization=organization, key=default_key).update(is_default=True)
    populations_resort(organization=organization)


@transaction.atomic
def population_delete(*, actor: Actor, population: Population) -> None:
    """Remove a custom population; its rows go to the default population."""
    actor.require_manage()
    if population.organization_id != actor.organization.pk:
        raise ValidationError("This population is not yours.")
    if population.is_builtin:
        raise ValidationError(
            "Built-in populations stay; empty their status values instead if you do not use them."
        )
    if population.is_default:
        raise ValidationError(
            "This is the population for unmatched statuses; choose another default first."
        )
    population.delete()
    populations_resort(organization=actor.organization)


def populations_resort(*, organization: Organization) -> int:
    """Sort the rows of every current upload again with the rules as they are now.

    One UPDATE per population and list, over the few distinct status values of the list.
    """
    rules, default = rules_map(organization=organization)
    changed = 0
    for upload_id in AccountUpload.objects.filter(
        account_list__organization=organization, is_current=True
    ).values_list("pk", flat=True):
        rows = Account.objects.filter(upload_id=upload_id)
        statuses = rows.values_list("status", flat=True).distinct().order_by()
        target: dict[str, list[str]] = {}
        for status in statuses:
            target.setdefault(rules.get(imports.fold_status(status), default), []).append(status)
        for key, values in target.items():
            changed += (
                rows.filter(status__in=values)
                .exclude(population_key=key)
                .update(population_key=key)
            )
    if changed:
        current_lists_changed.send(sender=Population, organization_id=organization.pk)
    return changed


# --- Lists and uploads ------------------------------------------------------------------


@transaction.atomic
def account_list_create(*, actor: Actor, name: str) -> AccountList:
    actor.require_manage()
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the list, e.g. CRM accounts."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if AccountList.objects.filter(organization=actor.organization, name__iexact=name).exists():
        raise ValidationError({"name": f"There is already a list “{name}”; pick it instead."})
    return AccountList.objects.create(organization=actor.organization, name=name)


def upload_create(
    *,
    actor: Actor,
    stream: IO[bytes],
    size: int | None,
    filename: str,
    account_list: AccountList | None = None,
    list_name: str = "",
) -> AccountUpload:
    """Check and store an uploaded file; start its import when its columns are recognized.

    A refused file (imports.UploadRefused) stores nothing. The import runs in the worker.
    """
    actor.require_manage()
    if account_list is not None and account_list.organization_id != actor.organization.pk:
        raise ValidationError("This list is not yours.")
    info = imports.inspect_file(stream, size=size)
    stream.seek(0)
    populations_ensure(organization=actor.organization)
    with transaction.atomic():
        if account_list is None:
            name = list_name.strip() or DEFAULT_LIST_NAME
            account_list = AccountList.objects.filter(
                organization=actor.organization, name__iexact=name
            ).first() or account_list_create(actor=actor, name=name)
        code = short_code()
        stored = default_storage.save(
            f"mapping/{actor.organization.code}/{code}.csv", File(stream, name=f"{code}.csv")
        )
        auto = bool(info.source) and info.complete
        upload = AccountUpload.objects.create(
            code=code,
            account_list=account_list,
            file=stored,
            filename=PurePath(filename or "").name[:255],
            size=size or 0,
            encoding=info.encoding,
            delimiter=info.delimiter,
            source=info.source,
            header=info.header,
            mapping=info.mapping,
            status=UploadStatus.PENDING if auto else UploadStatus.MAPPING,
            uploaded_by=actor.user,
        )
        if auto:
            _enqueue(upload)
    return upload


def _enqueue(upload: AccountUpload) -> None:
    from partnerloop.mapping.tasks import run_upload

    upload_id = upload.pk
    transaction.on_commit(lambda: run_upload.enqueue(upload_id=upload_id))


@transaction.atomic
def upload_set_mapping(
    *, actor: Actor, upload: AccountUpload, mapping: Mapping[str, Any]
) -> AccountUpload:
    """Confirm the column mapping and start the import."""
    actor.require_manage()
    cleaned = imports.clean_mapping(mapping, upload.header)
    updated = AccountUpload.objects.filter(
        pk=upload.pk,
        account_list__organization=actor.organization,
        status=UploadStatus.MAPPING,
    ).update(mapping=cleaned, status=UploadStatus.PENDING)
    if not updated:
        raise ValidationError(
            "This upload is already importing or finished; upload the file again to change "
            "its columns."
        )
    upload.refresh_from_db()
    _enqueue(upload)
    return upload


@transaction.atomic
def upload_cancel(*, actor: Actor, upload: AccountUpload) -> AccountUpload:
    """Stop an upload: at once when it is not running yet, else between two batches."""
    actor.require_manage()
    scoped = AccountUpload.objects.filter(
        pk=upload.pk, account_list__organization=actor.organization
    )
    now = timezone.now()
    if scoped.filter(status__in=[UploadStatus.MAPPING, UploadStatus.PENDING]).update(
        status=UploadStatus.CANCELLED,
        finished_at=now,
        errors={"message": "Cancelled before the import started; nothing was imported."},
    ):
        upload.refresh_from_db()
        _delete_file(upload)
        return upload
    # A worker that stopped writing its progress died: nothing will read the flag.
    stale = scoped.filter(status=UploadStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    if stale.update(
        status=UploadStatus.CANCELLED,
        cancel_requested=True,
        finished_at=now,
        errors={"message": "Cancelled after its import stopped; nothing was imported."},
    ):
        Account.objects.filter(upload_id=upload.pk).delete()
        upload.refresh_from_db()
        _delete_file(upload)
        return upload
    if not scoped.filter(status=UploadStatus.RUNNING).update(cancel_requested=True):
        upload.refresh_from_db()
        raise ValidationError(
            f"This upload is {upload.get_status_display().lower()}; there is nothing to cancel."
        )
    upload.refresh_from_db()
    return upload


def _delete_file(upload: AccountUpload) -> None:
    if upload.file:
        try:
            default_storage.delete(upload.file)
        except OSError:
            logger.warning("Could not delete the stored file of upload %s", upload.pk)


def upload_run(*, upload_id: int, batch_rows: int | None = None) -> str:
    """The worker's part: import a pending upload and make it current. Safe to run twice
    (only the run that claims the pending upload does anything). Returns the final status."""
    now = timezone.now()
    claimed = AccountUpload.objects.filter(pk=upload_id, status=UploadStatus.PENDING).update(
        status=UploadStatus.RUNNING, started_at=now, heartbeat_at=now, rows_processed=0
    )
    if not claimed:
        return ""
    upload = AccountUpload.objects.select_related("account_list__organization").get(pk=upload_id)
    organization = upload.account_list.organization
    rules, default = rules_map(organization=organization)

    def progress(rows_processed: int) -> bool:
        return bool(
            AccountUpload.objects.filter(pk=upload_id, cancel_requested=False).update(
                rows_processed=rows_processed, heartbeat_at=timezone.now()
            )
        )

    try:
        with default_storage.open(upload.file, "rb") as counting:
            total = imports.count_lines(counting)
        AccountUpload.objects.filter(pk=upload_id).update(rows_total=max(0, total - 1))
        with default_storage.open(upload.file, "rb") as stream:
            result = imports.import_rows(
                stream=stream,
                encoding=upload.encoding,
                delimiter=upload.delimiter,
                mapping=upload.mapping,
                upload_id=upload_id,
                rules=rules,
                default_population=default,
                progress=progress,
                batch_rows=batch_rows,
            )
    except imports.ImportCancelled:
        return _abandon(upload, UploadStatus.CANCELLED, "Cancelled; nothing was imported.")
    except imports.ImportFailed as exc:
        return _abandon(upload, UploadStatus.FAILED, exc.message)
    except Exception:
        logger.exception("Import of upload %s failed", upload_id)
        return _abandon(
            upload,
            UploadStatus.FAILED,
            "The import stopped on an unexpected error; nothing was imported and your current "
            "list is unchanged. Try again, and tell your administrator if it happens again.",
        )
    if result.rows_imported == 0:
        return _abandon(
            upload,
            UploadStatus.FAILED,
            "No row had a company name or a website, so nothing was imported; check the column "
            "mapping and upload the file again.",
            result,
        )
    return _finish(upload, result)


def _summary(result: imports.ImportResult) -> dict[str, Any]:
    return {
        "rows_total": result.rows_processed,
        "rows_processed": result.rows_processed,
        "rows_imported": result.rows_imported,
        "duplicates": result.duplicates,
        "rows_skipped": result.rows_skipped,
    }


def _examples(result: imports.ImportResult) -> dict[str, Any]:
    return {"duplicates": result.duplicate_examples, "skipped": result.skipped_examples}


def _abandon(
    upload: AccountUpload,
    status: str,
    message: str,
    result: imports.ImportResult | None = None,
) -> str:
    """A failed or cancelled upload: its rows go, it never becomes current."""
    Account.objects.filter(upload_id=upload.pk).delete()
    fields: dict[str, Any] = {
        "status": status,
        "finished_at": timezone.now(),
        "errors": {"message": message, **(_examples(result) if result else {})},
    }
    if result is not None:
        fields.update(_summary(result))
        fields["rows_imported"] = 0
    AccountUpload.objects.filter(pk=upload.pk).update(**fields)
    _delete_file(upload)
    return status


def _finish(upload: AccountUpload, result: imports.ImportResult) -> str:
    """Switch the list to this upload in one transaction, unless it was cancelled meanwhile
    or a newer upload already became current."""
    with transaction.atomic():
        AccountList.objects.select_for_update().filter(pk=upload.account_list_id).first()
        done = AccountUpload.objects.filter(
            pk=upload.pk, status=UploadStatus.RUNNING, cancel_requested=False
        ).update(
            status=UploadStatus.DONE,
            finished_at=timezone.now(),
            errors=_examples(result),
            **_summary(result),
        )
        if done:
            newer = AccountUpload.objects.filter(
                account_list_id=upload.account_list_id,
                is_current=True,
                created_at__gt=upload.created_at,
            ).exists()
            if not newer:
                AccountUpload.objects.filter(
                    account_list_id=upload.account_list_id, is_current=True
                ).update(is_current=False)
                AccountUpload.objects.filter(pk=upload.pk).update(is_current=True)
    if not done:
        return _abandon(upload, UploadStatus.CANCELLED, "Cancelled; nothing was imported.")
    _delete_file(upload)
    uploads_prune(account_list_id=upload.account_list_id)
    organization_id = AccountList.objects.values_list("organization_id", flat=True).get(
        pk=upload.account_list_id
    )
    current_lists_changed.send(sender=AccountUpload, organization_id=organization_id)
    return UploadStatus.DONE


def uploads_prune(*, account_list_id: int, keep: int = KEEP_UPLOADS_WITH_ROWS) -> int:
    """Delete the rows of finished uploads older than the last `keep` done ones."""
    done = AccountUpload.objects.filter(
        account_list_id=account_list_id, status=UploadStatus.DONE
    ).order_by("-is_current", "-created_at", "-id")
    old = [pk for pk in done.values_list("pk", flat=True)[keep:]]
    old_pruned = AccountUpload.objects.filter(pk__in=old, rows_pruned=False)
    ids = list(old_pruned.values_list("pk", flat=True))
    if ids:
        Account.objects.filter(upload_id__in=ids).delete()
        AccountUpload.objects.filter(pk__in=ids).update(rows_pruned=True)
    return len(ids)
