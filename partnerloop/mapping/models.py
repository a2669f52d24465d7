"""Account lists: each organization's CRM exports, sorted into populations.

A list (e.g. "CRM accounts") has uploads; each upload holds the accounts of one file. At
most one upload per list is *current*: the one every read uses. A new upload becomes
current in one transaction once all its rows are in, so readers see the old list or the
new one, never a mix; failed and cancelled uploads never become current.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization, short_code


class Population(models.Model):
    """A group of accounts: customers, open opportunities, prospects, or one the side adds."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="populations"
    )
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    is_builtin = models.BooleanField(default=False)
    # Rows whose status matches no rule land in the organization's default population.
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="population_key_unique"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_default=True),
                name="population_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PopulationRule(models.Model):
    """A status value (compared case-insensitively) that sorts a row into a population."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    population = models.ForeignKey(Population, on_delete=models.CASCADE, related_name="rules")
    # Folded: trimmed, lower case, inner spaces collapsed (see imports.fold_status).
    value = models.CharField(max_length=120)

    class Meta:
        ordering = ["value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "value"], name="populationrule_value_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} → {self.population_id}"


class AccountList(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="account_lists"
    )
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="accountlist_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class UploadStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for the column mapping"
    PENDING = "pending", "Waiting to run"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (UploadStatus.MAPPING, UploadStatus.PENDING, UploadStatus.RUNNING)
FINISHED_STATUSES = (UploadStatus.DONE, UploadStatus.FAILED, UploadStatus.CANCELLED)


class AccountUpload(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    account_list = models.ForeignKey(AccountList, on_delete=models.CASCADE, related_name="uploads")
    # The stored file, relative to the default storage; deleted once the import finished.
    file = models.CharField(max_length=255, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, default=",")
    source = models.CharField(max_length=20, blank=True, help_text="hubspot, salesforce or ''")
    header = models.JSONField(default=list, blank=True)
    # Target field -> index of the file's column (or null).
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=UploadStatus.choices, default=UploadStatus.PENDING
    )
    cancel_requested = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    # {"message": "...", "duplicates": [...examples], "skipped": [...examples]}
    errors = models.JSONField(default=dict, blank=True)
    # Rows of uploads older than the last few are deleted; the record stays as history.
    rows_pruned = models.BooleanField(default=False)
    is_current = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written with the progress after each batch: a running upload whose worker died stops
    # moving, and a cancel then ends it at once (services.STALE_AFTER).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account_list", "-created_at"], name="upload_by_list")]
        constraints = [
            models.UniqueConstraint(
                fields=["account_list"],
                condition=Q(is_current=True),
                name="accountupload_one_current",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status=UploadStatus.DONE),
                name="accountupload_current_is_done",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in UploadStatus]),
                name="accountupload_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def percent(self) -> int:
        if self.status == UploadStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_processed * 100 // self.rows_total)

    @property
    def encoding_label(self) -> str:
        return {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8 with BOM",
            "utf-16": "UTF-16",
            "utf-16-le": "UTF-16",
            "utf-16-be": "UTF-16",
            "utf-32": "UTF-32",
            "cp1252": "Windows-1252 (Latin-1)",
            "latin-1": "Latin-1",
        }.get(self.encoding, self.encoding)

    @property
    def delimiter_label(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)

    @property
    def source_label(self) -> str:
        return {"hubspot": "HubSpot", "salesforce": "Salesforce"}.get(self.source, "")

    @property
    def message(self) -> str:
        return str((self.errors or {}).get("message", ""))


class Account(models.Model):
    """One row of an upload. Written in bulk (core.bulk.insert_rows), never one by one."""

    # No index of its own: the composite indexes below start with the upload, and every
    # index costs import throughput. No database constraint either: PostgreSQL checks a
    # foreign key row by row at commit (a quarter of an import's time). Uploads are never
    # deleted but with their organization, through Django's cascade, and an import whose
    # upload vanished stops at its next progress report and deletes what it wrote
    # (`services.upload_run`).
    upload = models.ForeignKey(
        AccountUpload,
        on_delete=models.CASCADE,
        related_name="accounts",
        db_index=False,
        db_constraint=False,
    )
    row = models.PositiveIntegerField(help_text="Line of the file's record (header is 1)")
    name = models.CharField(max_length=255, blank=True)
    name_key = models.CharField(max_length=255, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=120, blank=True)
    population_key = models.CharField(max_length=40, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    owner = models.CharField(max_length=255, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["row"]
        indexes = [
            models.Index(fields=["upload", "population_key"], name="account_by_population"),
            models.Index(fields=["upload", "domain"], name="account_by_domain"),
        ]

    def __str__(self) -> str:
        return self.name or self.domain
