"""A CSV file of partners on its way into a host's directory: uploaded, previewed, committed.

The decoded text is kept so the preview can be re-computed with another column mapping
and re-validated at commit time; nothing reaches the directory before the commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from partnerloop.accounts.models import Organization, short_code


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    COMMITTED = "committed", "Committed"
    DISCARDED = "discarded", "Discarded"


class PartnerImport(models.Model):
    code = models.CharField(max_length=12, unique=True, default=short_code, editable=False)
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="partner_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=1, default=",")
    # Target field -> index of the file's column (or null when not imported).
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["host", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ImportStatus]),
                name="partnerimport_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=ImportStatus.COMMITTED, committed_at__isnull=False)
                | (~Q(status=ImportStatus.COMMITTED) & Q(committed_at__isnull=True)),
                name="partnerimport_committed_at_iff_committed",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.code} ({self.filename}) into {self.host_id}"

    @property
    def encoding_label(self) -> str:
        return {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8 with BOM",
            "utf-16": "UTF-16",
            "utf-32": "UTF-32",
        }.get(self.encoding, self.encoding)

    @property
    def delimiter_label(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)
