"""Importing partners from a CSV file: decode, map columns, validate row by row, commit.

The flow is upload -> preview (with a column mapping the user may change) -> commit.
Nothing reaches the directory before the commit, and the commit is all-or-nothing: it
re-validates every row inside one transaction and creates every partnership through
`services.partnership_create`, or none of them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerloop.accounts.models import Membership
from partnerloop.core.csvsafe import looks_like_formula
from partnerloop.core.domains import InvalidWebsite, normalize_website
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships import services
from partnerloop.partnerships.import_models import ImportStatus, PartnerImport
from partnerloop.partnerships.models import Partnership, PartnerType, Stage, Tier

# Rows a single web import may hold; each row is several writes inside one request.
# The `import_partners` command has no row limit. An operator may set IMPORT_MAX_ROWS.
DEFAULT_MAX_ROWS = 5000
PREVIEW_ROWS = 20
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t"
NAME_MAX = 200
WEBSITE_MAX = 200
TAG_MAX = 60

# Target fields in display order: key, label, required.
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("name", "Name", True),
    ("website", "Website", True),
    ("stage", "Stage", False),
    ("tier", "Tier", False),
    ("type", "Type", False),
    ("owner", "Owner e-mail", False),
    ("tags", "Tags", False),
    ("description", "Description", False),
)
FIELD_KEYS = tuple(key for key, _, _ in FIELDS)
FIELD_LABELS = {key: label for key, label, _ in FIELDS}
REQUIRED = tuple(key for key, _, required in FIELDS if required)

# Header names recognised for each field, compared after `norm_header`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "company",
        "company name",
        "partner",
        "partner name",
        "account",
        "account name",
        "organization",
        "organization name",
        "organisation",
        "organisation name",
        "business name",
    ),
    "website": (
        "website",
        "web site",
        "website url",
        "url",
        "domain",
        "company domain",
        "company website",
        "homepage",
        "home page",
        "web",
        "site",
    ),
    "stage": ("stage", "partner stage", "partnership stage", "lifecycle stage", "status"),
    "tier": ("tier", "partner tier", "level", "partner level"),
    "type": ("type", "partner type", "partnership type", "kind"),
    "owner": (
        "owner",
        "owner email",
        "owner e mail",
        "partner manager",
        "partner manager email",
        "account owner",
        "account owner email",
        "host owner",
    ),
    "tags": ("tags", "tag", "labels", "label", "segments", "segment"),
    "description": ("description", "notes", "note", "about", "comments", "comment", "summary"),
}

NOT_UTF8 = (
    "The file is not UTF-8 text{detail}, so its accents and symbols cannot be read reliably. "
    "In Excel use Save As › CSV UTF-8 (Comma delimited) (.csv); Numbers, LibreOffice and "
    "Google Sheets export UTF-8 when you choose CSV. Then upload the new file."
)

_SEP_LINE = re.compile(r"\Asep=(.)\r?\n", re.IGNORECASE)
_TAG_SPLIT = re.compile(r"[,;]")


class PartnerImportError(Exception):
    """Anything that stops an import; the message is written for the person importing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFileRefused(PartnerImportError):
    """The file cannot be imported at all (size, encoding, empty…); nothing was stored."""


class ImportNotReady(PartnerImportError):
    """The mapping is incomplete or rows have errors; nothing was imported."""

    def __init__(self, message: str, check: ImportCheck) -> None:
        super().__init__(message)
        self.check = check


class ImportAlreadyDone(PartnerImportError):
    """The import was committed or discarded before; nothing happened this time."""


class ImportRowFailed(PartnerImportError):
    """Creating one row failed during the commit; the whole commit was rolled back."""


# --- Reading the file -------------------------------------------------------------------


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def max_bytes() -> int:
    return int(settings.IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def check_size(*, size: int | None, limit: int) -> None:
    """Refuse a file over the limit before a single byte of it is read."""
    if size is not None and size > limit:
        raise ImportFileRefused(
            f"The file is {human_size(size)}, larger than the {human_size(limit)} limit for "
            "imports. Split it into smaller files, or leave out columns you do not import."
        )


def read_limited(*, stream: IO[bytes], size: int | None, limit: int) -> bytes:
    check_size(size=size, limit=limit)
    data = stream.read(limit + 1)
    # `size` comes from the upload handler; the bounded read guards a stream that lied.
    check_size(size=len(data), limit=limit)
    return data


def decode_csv(*, data: bytes) -> tuple[str, str]:
    """The file's text and encoding: UTF-8 (with or without BOM), or UTF-16/32 with a BOM."""
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = next((name for bom, name in boms if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        detail = ""
        if encoding == "utf-8":
            bad = data[exc.start : exc.start + 1].hex().upper()
            detail = f" (byte 0x{bad} at position {exc.start + 1} is not valid UTF-8)"
        raise ImportFileRefused(NOT_UTF8.format(detail=detail)) from exc
    if "\x00" in text:
        # Binary data, or UTF-16 without the byte-order mark that says so.
        raise ImportFileRefused(NOT_UTF8.format(detail=" (it contains binary data)"))
    return text.removeprefix("\ufeff"), encoding


def sniff_delimiter(*, text: str) -> str:
    """Comma, semicolon or tab, as csv.Sniffer sees the first lines; comma when unsure."""
    sep = _SEP_LINE.match(text)
    if sep and sep.group(1) in DELIMITERS:
        return sep.group(1)
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # Undecided (e.g. one column, or ragged rows): the separator the header uses most.
        header = next((line for line in sample.splitlines() if line.strip()), "")
        best = max(DELIMITERS, key=header.count)
        return best if header.count(best) else ","


@dataclass
class Table:
    """The file's header and records; `records[i]` is spreadsheet row `header_row + 1 + i`."""

    header: list[str]
    records: list[list[str]]
    header_row: int = 1

    @property
    def columns(self) -> list[tuple[int, str]]:
        return [(i, name or f"Column {i + 1}") for i, name in enumerate(self.header)]

    def column_name(self, index: int | None) -> str:
        if index is None or index >= len(self.header):
            return ""
        return self.header[index] or f"Column {index + 1}"

    @property
    def data_rows(self) -> int:
        return sum(1 for record in self.records if _has_content(record))


def _has_content(record: list[str]) -> bool:
    return any(cell.strip() for cell in record)


def read_table(*, text: str, delimiter: str) -> Table:
    """Parse the text with the file's delimiter and standard double-quote quoting."""
    text = _SEP_LINE.sub("", text, count=1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append(record)
    except csv.Error as exc:
        raise ImportFileRefused(
            f"Row {len(rows) + 1} cannot be read as CSV ({exc}). Check its quotes and that "
            "no single cell holds a very long text."
        ) from exc
    blank_above = 0
    while blank_above < len(rows) and not _has_content(rows[blank_above]):
        blank_above += 1  # Blank lines above the header.
    rows = rows[blank_above:]
    if not rows:
        raise ImportFileRefused(
            "The file is empty. Upload a CSV file with a header row (name, website, …) and "
            "one partner per row."
        )
    header = [cell.strip() for cell in rows[0]]
    table = Table(header=header, records=rows[1:], header_row=blank_above + 1)
    if table.data_rows == 0:
        raise ImportFileRefused(
            "The file has a header row but no partner rows below it. Add one partner per row "
            "under the header and upload it again."
        )
    return table


# --- Column mapping ---------------------------------------------------------------------


def norm_header(value: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", value.lower()).split())


def guess_mapping(*, header: list[str]) -> dict[str, int | None]:
    """Target field -> column index, from the header's names; each column used once."""
    normalized = [norm_header(name) for name in header]
    used: set[int] = set()
    mapping: dict[str, int | None] = {}
    for key in FIELD_KEYS:
        mapping[key] = None
        for synonym in SYNONYMS[key]:
            index = next(
                (i for i, n in enumerate(normalized) if n == synonym and i not in used), None
            )
            if index is not None:
                mapping[key] = index
                used.add(index)
                break
    return mapping


def clean_mapping(*, mapping: Mapping[str, Any], header: list[str]) -> dict[str, int | None]:
    """A mapping with every target field, and only column indexes that exist in the file."""
    return column_indexes(mapping=mapping, header=header, keys=FIELD_KEYS)


def column_indexes(
    *, mapping: Mapping[str, Any], header: list[str], keys: Sequence[str]
) -> dict[str, int | None]:
    """Each of `keys` with the file column chosen for it in a column-mapping form (None when
    left empty); ValidationError on a column the file does not have."""
    cleaned: dict[str, int | None] = {}
    for key in keys:
        value = mapping.get(key)
        if value in (None, ""):
            cleaned[key] = None
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            raise ValidationError({key: "Choose one of the file's columns."}) from None
        if not 0 <= index < len(header):
            raise ValidationError({key: "Choose one of the file's columns."})
        cleaned[key] = index
    return cleaned


def mapping_from_names(*, names: Mapping[str, str], header: list[str]) -> dict[str, int | None]:
    """`{"name": "Company"}` -> column indexes, for the command line (case-insensitive)."""
    mapping = guess_mapping(header=header)
    lowered = [h.strip().lower() for h in header]
    for key, column in names.items():
        if key not in FIELD_KEYS:
            raise ValidationError(
                f"“{key}” is not a field that can be imported; use one of: {', '.join(FIELD_KEYS)}."
            )
        if not column.strip():
            mapping[key] = None
            continue
        if column.strip().lower() not in lowered:
            raise ValidationError(
                f"The file has no column “{column}” for {key}; its columns are: "
                f"{_column_list(header)}."
            )
        mapping[key] = lowered.index(column.strip().lower())
    return mapping


def _column_list(header: list[str]) -> str:
    return ", ".join(name or f"(unnamed column {i + 1})" for i, name in enumerate(header))


# --- Row validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, column “{self.column}”" if self.column else f"row {self.row}"
        return f"{where[0].upper()}{where[1:]}: {self.message}"


@dataclass
class ImportRow:
    number: int
    name: str = ""
    website: str = ""
    domain: str = ""
    stage: str = Stage.PROSPECT
    tier: str = Tier.NONE
    partner_type: str = PartnerType.REFERRAL
    owner: AbstractBaseUser | None = None
    owner_email: str = ""
    tags: list[str] = field(default_factory=list)
    description: str = ""
    errors: list[RowError] = field(default_factory=list)
    # The file's text of the cells that have an error, shown as-is in the preview.
    bad: dict[str, str] = field(default_factory=dict)

    @property
    def cells(self) -> list[tuple[str, bool]]:
        """(text as it will be imported, has an error) per target field, for the preview."""
        good = {
            "name": self.name,
            "website": self.domain,
            "stage": self.stage_label,
            "tier": self.tier_label,
            "type": self.type_label,
            "owner": self.owner_email,
            "tags": ", ".join(self.tags),
            "description": self.description,
        }
        return [
            (self.bad[key], True) if key in self.bad else (good[key], False) for key in FIELD_KEYS
        ]

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    @property
    def tier_label(self) -> str:
        return Tier(self.tier).label if self.tier else ""

    @property
    def type_label(self) -> str:
        return PartnerType(self.partner_type).label


@dataclass
class ImportCheck:
    """Everything the preview shows and the commit needs."""

    table: Table
    mapping: dict[str, int | None]
    problems: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def rows_with_errors(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def total(self) -> int:
        return self.table.data_rows

    @property
    def invalid(self) -> int:
        return len(self.rows_with_errors)

    @property
    def valid(self) -> int:
        return 0 if self.problems else self.total - self.invalid

    @property
    def ready(self) -> bool:
        return not self.problems and not self.invalid and self.total > 0

    @property
    def preview(self) -> list[ImportRow]:
        return self.rows[:PREVIEW_ROWS]

    @property
    def mapped_columns(self) -> list[tuple[str, str, str]]:
        """(field key, field label, file column name) for the fields being imported."""
        return [
            (key, FIELD_LABELS[key], self.table.column_name(self.mapping.get(key)))
            for key in FIELD_KEYS
            if self.mapping.get(key) is not None
        ]


def _choice_lookup(choices: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Accept a choice's value or its label, case-insensitive (the export writes labels)."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
    return lookup


STAGES = _choice_lookup(Stage.choices)
TIERS = {**_choice_lookup(Tier.choices), "none": Tier.NONE}
TYPES = _choice_lookup(PartnerType.choices)


def _describe_prefix(value: str) -> str:
    return {"\t": "a tab", "\r": "a carriage return"}.get(value[:1], f"“{value[:1]}”")


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(v for v in values if v)


def check_rows(*, actor: Actor, table: Table, mapping: dict[str, int | None]) -> ImportCheck:
    """Validate every row against the directory as it is now; two queries whatever the size."""
    check = ImportCheck(table=table, mapping=mapping)
    missing = [key for key in REQUIRED if mapping.get(key) is None]
    if missing:
        fields = " and ".join(FIELD_LABELS[key].lower() for key in missing)
        columns = f"{fields} columns" if len(missing) > 1 else f"a {fields} column"
        check.problems.append(
            f"No column is chosen for {fields} (required). Columns found in the file: "
            f"{_column_list(table.header)}. Choose the matching column below, or add "
            f"{columns} to the file and upload it again."
        )
        return check

    host = actor.organization
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.filter(organization=host).select_related("user")
        if m.user.email
    }
    existing = dict(
        Partnership.objects.filter(host=host).values_list("partner__domain", "partner__name")
    )
    first_row_of: dict[str, int] = {}

    for offset, record in enumerate(table.records):
        if not _has_content(record):
            continue
        row = ImportRow(number=table.header_row + 1 + offset)
        check.rows.append(row)

        def cell(key: str, row: ImportRow = row, record: list[str] = record) -> str | None:
            """The stripped cell for a field; None when unmapped or a formula (error added)."""
            index = mapping.get(key)
            if index is None:
                return ""
            raw = record[index] if index < len(record) else ""
            if looks_like_formula(raw) or looks_like_formula(raw.strip()):
                shown = _describe_prefix(raw if looks_like_formula(raw) else raw.strip())
                row.bad[key] = raw.strip()
                row.errors.append(
                    RowError(
                        row.number,
                        table.column_name(index),
                        f"The cell starts with {shown}, which spreadsheets run as a formula. "
                        "Remove the formula (or the leading =, +, - or @) and upload the file "
                        "again.",
                    )
                )
                return None
            return raw.strip()

        def error(key: str, message: str, row: ImportRow = row, record: list[str] = record) -> None:
            index = mapping.get(key)
            row.errors.append(RowError(row.number, table.column_name(index), message))
            if index is not None:
                row.bad[key] = record[index].strip() if index < len(record) else ""

        name = cell("name")
        if name == "":
            error("name", "The name is empty; enter the partner's name.")
        elif name is not None and len(name) > NAME_MAX:
            error("name", f"The name is longer than {NAME_MAX} characters; shorten it.")
        elif name is not None:
            row.name = name

        website = cell("website")
        if website == "":
            error("website", "The website is empty; enter the partner's website, e.g. acme.com.")
        elif website is not None:
            try:
                row.website, row.domain = normalize_website(website)
            except InvalidWebsite as exc:
                error("website", f"{exc} Fix the website.")
            else:
                if len(row.website) > WEBSITE_MAX:
                    error("website", f"The website is longer than {WEBSITE_MAX} characters.")
                elif row.domain == host.domain:
                    error(
                        "website",
                        f"{row.domain} is your own organization's domain; remove this row.",
                    )
                elif row.domain in existing:
                    error(
                        "website",
                        f"{existing[row.domain]} ({row.domain}) is already in your directory; "
                        "remove this row.",
                    )
                elif row.domain in first_row_of:
                    error(
                        "website",
                        f"Rows {first_row_of[row.domain]} and {row.number} are the same partner "
                        f"({row.domain}); keep only one of them.",
                    )
                else:
                    first_row_of[row.domain] = row.number

        stage = cell("stage")
        if stage:
            if stage.lower() in STAGES:
                row.stage = STAGES[stage.lower()]
            else:
                error(
                    "stage",
                    f"Unknown stage “{stage}”; use one of: {_allowed(Stage.values)} "
                    "(or leave it empty for prospect).",
                )

        tier = cell("tier")
        if tier:
            if tier.lower() in TIERS:
                row.tier = TIERS[tier.lower()]
            else:
                error(
                    "tier",
                    f"Unknown tier “{tier}”; use one of: {_allowed(Tier.values)} "
                    "(or leave it empty for no tier).",
                )

        partner_type = cell("type")
        if partner_type:
            if partner_type.lower() in TYPES:
                row.partner_type = TYPES[partner_type.lower()]
            else:
                error(
                    "type",
                    f"Unknown type “{partner_type}”; use one of: {_allowed(PartnerType.values)} "
                    "(or leave it empty for referral).",
                )

        owner = cell("owner")
        if owner:
            row.owner = members.get(owner.lower())
            row.owner_email = row.owner.email if row.owner is not None else owner
            if row.owner is None:
                error(
                    "owner",
                    f"{owner} is not a member of {host.name}; invite them first, use a "
                    "member's e-mail, or leave the cell empty.",
                )

        tags = cell("tags")
        if tags:
            seen: set[str] = set()
            for tag in (t.strip() for t in _TAG_SPLIT.split(tags)):
                if not tag or tag.lower() in seen:
                    continue
                seen.add(tag.lower())
                if looks_like_formula(tag):
                    error(
                        "tags",
                        f"The tag “{tag}” starts with {_describe_prefix(tag)}, which "
                        "spreadsheets run as a formula; remove that character.",
                    )
                elif len(tag) > TAG_MAX:
                    error("tags", f"The tag “{tag[:20]}…” is longer than {TAG_MAX} characters.")
                else:
                    row.tags.append(tag)

        description = cell("description")
        if description:
            row.description = description
    return check


# --- The import record: services and scoped reads ---------------------------------------


def partner_import_for(*, actor: Actor, code: str) -> PartnerImport:
    """One import of the actor's organization; another tenant's import is a 404."""
    actor.require_manage()
    partner_import = PartnerImport.objects.filter(host=actor.organization, code=code).first()
    if partner_import is None:
        raise Http404("No such import.")
    return partner_import


def partner_imports_recent(*, actor: Actor, limit: int = 10) -> QuerySet[PartnerImport]:
    actor.require_manage()
    return (
        PartnerImport.objects.filter(host=actor.organization)
        .select_related("created_by")
        .defer("text")[:limit]
    )


def partner_import_create(
    *,
    actor: Actor,
    stream: IO[bytes],
    size: int | None,
    filename: str,
    limit_rows: bool = True,
) -> PartnerImport:
    """Store an uploaded file for preview. Refused files (ImportFileRefused) store nothing."""
    actor.require_manage()
    text, encoding = decode_csv(data=read_limited(stream=stream, size=size, limit=max_bytes()))
    delimiter = sniff_delimiter(text=text)
    table = read_table(text=text, delimiter=delimiter)
    if limit_rows and table.data_rows > max_rows():
        raise ImportFileRefused(
            f"The file has {table.data_rows:,} partner rows; a web import takes at most "
            f"{max_rows():,}. Split the file, or ask an administrator to run "
            "`partnerloop import_partners`."
        )
    return PartnerImport.objects.create(
        host=actor.organization,
        created_by=actor.user,
        filename=PurePath(filename or "").name[:255],
        text=text,
        encoding=encoding,
        delimiter=delimiter,
        mapping=guess_mapping(header=table.header),
    )


def partner_import_table(*, partner_import: PartnerImport) -> Table:
    return read_table(text=partner_import.text, delimiter=partner_import.delimiter)


def partner_import_check(*, actor: Actor, partner_import: PartnerImport) -> ImportCheck:
    actor.require_manage()
    table = partner_import_table(partner_import=partner_import)
    mapping = clean_mapping(mapping=partner_import.mapping, header=table.header)
    return check_rows(actor=actor, table=table, mapping=mapping)


def _require_open(partner_import: PartnerImport) -> None:
    if partner_import.status == ImportStatus.COMMITTED:
        raise ImportAlreadyDone(
            f"This import was already committed ({partner_import.created_count} partners); "
            "nothing was imported again."
        )
    if partner_import.status == ImportStatus.DISCARDED:
        raise ImportAlreadyDone("This import was discarded; upload the file again.")


@transaction.atomic
def partner_import_set_mapping(
    *, actor: Actor, partner_import: PartnerImport, mapping: Mapping[str, Any]
) -> PartnerImport:
    actor.require_manage()
    _require_open(partner_import)
    table = partner_import_table(partner_import=partner_import)
    cleaned = clean_mapping(mapping=mapping, header=table.header)
    updated = PartnerImport.objects.filter(
        pk=partner_import.pk, host=actor.organization, status=ImportStatus.UPLOADED
    ).update(mapping=cleaned)
    if not updated:
        partner_import.refresh_from_db()
        _require_open(partner_import)
    partner_import.mapping = cleaned
    return partner_import


@transaction.atomic
def partner_import_discard(*, actor: Actor, partner_import: PartnerImport) -> PartnerImport:
    """Drop an uploaded file; its text is deleted, the record stays as history."""
    actor.require_manage()
    updated = PartnerImport.objects.filter(
        pk=partner_import.pk, host=actor.organization, status=ImportStatus.UPLOADED
    ).update(status=ImportStatus.DISCARDED, text="")
    partner_import.refresh_from_db()
    if not updated:
        _require_open(partner_import)
    return partner_import


def _not_ready_message(check: ImportCheck) -> str:
    if check.problems:
        return "Nothing was imported. " + " ".join(check.problems)
    rows = "row has" if check.invalid == 1 else "rows have"
    return (
        f"Nothing was imported: {check.invalid} {rows} errors. Fix them in the file and "
        "upload it again, or change the column mapping."
    )


@transaction.atomic
def partner_import_commit(*, actor: Actor, partner_import: PartnerImport) -> int:
    """Create every row's partnership, or none; returns how many were created.

    The conditional UPDATE claims the import first, so of two concurrent commits only one
    proceeds; any failure rolls the claim back together with every row created so far.
    """
    actor.require_manage()
    claimed = PartnerImport.objects.filter(
        pk=partner_import.pk, host=actor.organization, status=ImportStatus.UPLOADED
    ).update(status=ImportStatus.COMMITTED, committed_at=timezone.now())
    if not claimed:
        partner_import.refresh_from_db()
        _require_open(partner_import)
        raise Http404("No such import.")
    partner_import.refresh_from_db()
    # Re-validate now: members, the directory or the mapping may have changed since.
    check = partner_import_check(actor=actor, partner_import=partner_import)
    if not check.ready:
        raise ImportNotReady(_not_ready_message(check), check)
    for row in check.rows:
        try:
            services.partnership_create(
                actor=actor,
                name=row.name,
                website=row.website,
                stage=row.stage,
                tier=row.tier,
                partner_type=row.partner_type,
                host_owner=row.owner,
                tags=row.tags,
                description=row.description,
            )
        except ValidationError as exc:
            raise ImportRowFailed(
                f"Nothing was imported: row {row.number} ({row.name}) could not be created: "
                f"{' '.join(exc.messages)}"
            ) from exc
    PartnerImport.objects.filter(pk=partner_import.pk).update(created_count=len(check.rows))
    partner_import.created_count = len(check.rows)
    return len(check.rows)


def sample_rows(*, owner_email: str) -> tuple[list[str], list[list[str]]]:
    """The sample file offered on the upload page."""
    header = ["name", "website", "stage", "tier", "type", "owner", "tags", "description"]
    rows = [
        [
            "Example Analytics",
            "example.com",
            "prospect",
            "",
            "technology",
            owner_email,
            "EMEA; data",
            "Integration with our reporting API",
        ],
        [
            "Example Services",
            "https://www.example.org",
            "active",
            "gold",
            "services",
            "",
            "implementation",
            "",
        ],
        ["Example Referrals", "example.net", "", "", "", "", "", "Introduced at the summit"],
    ]
    return header, rows
