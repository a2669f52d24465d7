"""Reads of the mapping app. Lists belong to one organization: every read is scoped to the
actor's organization, and another organization's list or upload is a 404."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from partnerloop.accounts.models import Organization
from partnerloop.core.tenancy import Actor
from partnerloop.mapping import imports
from partnerloop.mapping.models import (
    Account,
    AccountList,
    AccountUpload,
    Population,
    UploadStatus,
)


def population_keys(*, organization: Organization, population_key: str) -> list[str]:
    """The normalized domains of the organization's current list rows in one population.

    "" excluded, de-duplicated across lists, sorted.
    """
    return list(
        Account.objects.filter(
            upload__account_list__organization=organization,
            upload__is_current=True,
            population_key=population_key,
        )
        .exclude(domain="")
        .order_by("domain")
        .values_list("domain", flat=True)
        .distinct()
    )


def populations(*, organization: Organization) -> list[Population]:
    """The organization's populations with their rules (two queries)."""
    return list(Population.objects.filter(organization=organization).prefetch_related("rules"))


def account_lists(*, actor: Actor) -> QuerySet[AccountList]:
    return AccountList.objects.filter(organization=actor.organization)


def upload_preview(*, upload: AccountUpload, rows: int = 5) -> list[list[str]]:
    """The first rows of a stored file that waits for its column mapping."""
    if not upload.file or not default_storage.exists(upload.file):
        return []
    with default_storage.open(upload.file, "rb") as stream:
        return imports.preview_rows(
            stream, encoding=upload.encoding, delimiter=upload.delimiter, rows=rows
        )


def account_list_for(*, actor: Actor, code: str) -> AccountList:
    found = AccountList.objects.filter(organization=actor.organization, code=code).first()
    if found is None:
        raise Http404("No such account list.")
    return found


def upload_for(*, actor: Actor, code: str) -> AccountUpload:
    found = (
        AccountUpload.objects.select_related("account_list", "uploaded_by")
        .filter(account_list__organization=actor.organization, code=code)
        .first()
    )
    if found is None:
        raise Http404("No such upload.")
    return found


def population_for(*, actor: Actor, key: str) -> Population:
    found = Population.objects.filter(organization=actor.organization, key=key).first()
    if found is None:
        raise Http404("No such population.")
    return found


@dataclass
class ListSummary:
    account_list: AccountList
    current: AccountUpload | None
    open_uploads: list[AccountUpload]
    # population key -> rows of the current upload
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def list_summaries(*, actor: Actor) -> list[ListSummary]:
    """Every list of the organization with its current upload, its uploads in progress and
    its counts per population: three queries whatever the number of lists."""
    lists = list(
        AccountList.objects.filter(organization=actor.organization).prefetch_related(
            Prefetch(
                "uploads",
                queryset=AccountUpload.objects.filter(
                    status__in=[
                        UploadStatus.DONE,
                        UploadStatus.MAPPING,
                        UploadStatus.PENDING,
                        UploadStatus.RUNNING,
                    ]
                ).select_related("uploaded_by"),
                to_attr="live_uploads",
            )
        )
    )
    counts: dict[int, dict[str, int]] = {}
    for row in (
        Account.objects.filter(
            upload__account_list__organization=actor.organization, upload__is_current=True
        )
        .values("upload__account_list_id", "population_key")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(row["upload__account_list_id"], {})[row["population_key"]] = row["n"]
    summaries = []
    for account_list in lists:
        live = account_list.live_uploads  # type: ignore[attr-defined]
        summaries.append(
            ListSummary(
                account_list=account_list,
                current=next((u for u in live if u.is_current), None),
                open_uploads=[u for u in live if u.is_open],
                counts=counts.get(account_list.pk, {}),
            )
        )
    return summaries


def population_counts(*, upload: AccountUpload) -> dict[str, int]:
    return dict(
        Account.objects.filter(upload=upload)
        .values_list("population_key")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("population_key", "n")
    )


def uploads_of(*, account_list: AccountList) -> QuerySet[AccountUpload]:
    return AccountUpload.objects.filter(account_list=account_list).select_related("uploaded_by")


def uploads_recent(*, actor: Actor, limit: int = 20) -> QuerySet[AccountUpload]:
    return (
        AccountUpload.objects.filter(account_list__organization=actor.organization)
        .select_related("account_list", "uploaded_by")
        .order_by("-created_at", "-id")[:limit]
    )


def current_accounts(
    *, account_list: AccountList, population_key: str = "", limit: int | None = None
) -> QuerySet[Account]:
    rows = Account.objects.filter(upload__account_list=account_list, upload__is_current=True)
    if population_key:
        rows = rows.filter(population_key=population_key)
    rows = rows.order_by("row")
    return rows[:limit] if limit else rows


def export_rows(*, account_list: AccountList) -> Iterator[list[object]]:
    """The current rows for the CSV export, streamed in chunks."""
    names = {
        p.key: p.name
        for p in Population.objects.filter(organization_id=account_list.organization_id)
    }
    for account in (
        current_accounts(account_list=account_list)
        .only(
            "row",
            "name",
            "domain",
            "country",
            "status",
            "population_key",
            "external_id",
            "owner",
        )
        .iterator(chunk_size=5000)
    ):
        yield [
            account.name,
            account.domain,
            account.country,
            account.status,
            names.get(account.population_key, account.population_key),
            account.external_id,
            account.owner,
            account.row,
        ]
