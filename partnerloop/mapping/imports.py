"""Reading CRM exports into account lists: encoding, delimiter, columns, rows.

Two halves:

- `inspect_file` runs in the request, on the first bytes of the file only: it finds the
  encoding, the delimiter, the header row, which CRM exported it (HubSpot, Salesforce) and
  a first guess of the column mapping. A file it cannot read is refused before anything
  is stored.
- `import_rows` runs in the background worker (`tasks.run_upload`): it streams the whole
  file, normalizes each row (registrable domain, folded name, country code, population)
  and writes the rows in batches through `core.bulk.insert_rows`, checking the cancel
  flag and writing the progress between batches. It never builds a model instance per
  row. The rows belong to the upload, which is not current until `services` switches it
  in one transaction, so a failure half-way changes nothing anyone reads.
  The batches are written by `BatchWriter` on a thread of its own (with its own database
  connection) while the next batch is read and normalized: sqlite3 and psycopg release
  the GIL while the database works, so the two halves overlap on two cores.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import operator
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from partnerloop.core.bulk import bulk_writes, insert_rows, relaxed_commit
from partnerloop.partnerships.imports import (
    column_indexes,
    human_size,
    norm_header,
    sniff_delimiter,
)

SAMPLE_BYTES = 256 * 1024
# Rows per transaction: each batch is committed on its own (SQLite's write lock is held for
# one batch, a fraction of a second, never for the whole file), and the progress and the
# cancel flag are read between two batches.
BATCH_ROWS = 20_000
# Account columns written per row, in the order of the tuples `import_rows` builds.
ROW_COLUMNS = (
    "row",
    "name",
    "name_key",
    "domain",
    "country",
    "status",
    "population_key",
    "external_id",
    "owner",
)
# Examples of duplicate and skipped rows kept for the upload page.
EXAMPLES = 20
EXTRA_CELL_MAX = 500

# Target fields in display order: key, label, help.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Company name", "The account's name."),
    ("domain", "Domain", "The company's domain, e.g. example.com."),
    ("website", "Website", "The company's website; used when the domain cell is empty."),
    ("status", "Status", "Lifecycle stage, type or deal stage: sorts rows into populations."),
    ("country", "Country", "Country name or ISO code."),
    ("external_id", "Record ID", "The CRM's id of the account; duplicates are dropped."),
    ("owner", "Owner", "The account owner in your CRM."),
)
FIELD_KEYS = tuple(key for key, _, _ in FIELDS)
FIELD_LABELS = {key: label for key, label, _ in FIELDS}
MAX_LENGTHS = {
    "name": 255,
    "domain": 255,
    "status": 120,
    "external_id": 120,
    "owner": 255,
}

# Header names recognised for each field, compared after `norm_header` (lower case,
# punctuation to spaces). Earlier names win. HubSpot and Salesforce exports first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "company name",  # HubSpot
        "account name",  # Salesforce
        "name",
        "company",
        "account",
        "organization",
        "organization name",
        "organisation",
        "organisation name",
        "business name",
    ),
    "domain": (
        "company domain name",  # HubSpot
        "domain",
        "domain name",
        "company domain",
        "email domain",
    ),
    "website": (
        "website url",  # HubSpot
        "website",  # Salesforce
        "web site",
        "url",
        "company website",
        "homepage",
        "home page",
        "web",
        "site",
        "email",
        "e mail",
    ),
    "status": (
        "lifecycle stage",  # HubSpot
        "type",  # Salesforce
        "account type",
        "status",
        "account status",
        "customer status",
        "stage",
        "deal stage",
        "opportunity stage",
        "lead status",
        "population",
        "segment",
    ),
    "country": (
        "country region",  # HubSpot "Country/Region"
        "billing country",  # Salesforce
        "billingcountry",
        "country",
        "shipping country",
        "shippingcountry",
        "hq country",
        "country code",
    ),
    "external_id": (
        "record id",  # HubSpot
        "account id",  # Salesforce
        "id",
        "crm id",
        "external id",
        "account number",
        "company id",
    ),
    "owner": (
        "company owner",  # HubSpot
        "account owner",  # Salesforce
        "account owner alias",
        "owner",
        "owner name",
        "ownerid",
        "owner id",
        "account manager",
        "sales rep",
    ),
}

# Headers that tell which CRM exported the file (normalized); all of one set must appear.
SOURCES: tuple[tuple[str, frozenset[str]], ...] = (
    ("hubspot", frozenset({"record id", "company name"})),
    ("hubspot", frozenset({"company name", "company domain name"})),
    ("salesforce", frozenset({"account name", "account id"})),
    ("salesforce", frozenset({"account name", "billing country"})),
    ("salesforce", frozenset({"account name", "account owner"})),
)

_SEP_LINE = re.compile(r"\Asep=(.)\r?\n", re.IGNORECASE)


class UploadRefused(Exception):
    """The file cannot be imported (size, encoding, empty…); the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFailed(Exception):
    """The import stopped; the message is written for the person who uploaded the file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportCancelled(Exception):
    """The cancel flag was seen between two batches."""


# --- Size, encoding, delimiter, header --------------------------------------------------


def max_bytes() -> int:
    return int(settings.MAPPING_MAX_UPLOAD_MB) * 1024 * 1024


def check_size(size: int | None) -> None:
    limit = max_bytes()
    if size is not None and size > limit:
        raise UploadRefused(
            f"The file is {human_size(size)}, larger than the {human_size(limit)} limit for "
            "account lists. Export fewer columns (name, website, status, country, id and "
            "owner are enough), or split the list into several files."
        )


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
NOT_TEXT = (
    "The file is not a CSV text file{detail}. Export the list from your CRM as CSV (or, in "
    "Excel, use Save As › CSV UTF-8) and upload that file."
)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 (BOM, or UTF-16 by its zero bytes), else
    Windows-1252 (Latin-1 with the euro sign and curly quotes), else Latin-1.

    `complete` says the sample is the whole file (so a cut multi-byte character at its end
    is an error, not the edge of the sample).
    """
    if sample.startswith(b"PK\x03\x04") or sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadRefused(NOT_TEXT.format(detail=" (it is an Excel workbook)"))
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        half = max(1, len(sample) // 2)
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > half * 0.2 and even < half * 0.02:
            return "utf-16-le"
        if even > half * 0.2 and odd < half * 0.02:
            return "utf-16-be"
        raise UploadRefused(NOT_TEXT.format(detail=" (it contains binary data)"))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _records(text_stream: IO[str], delimiter: str) -> Iterator[list[str]]:
    return csv.reader(text_stream, delimiter=delimiter, strict=False)


def _is_sep_line(record: list[str]) -> bool:
    return len(record) <= 2 and record[0].strip().lower().startswith("sep=")


def _has_content(record: list[str]) -> bool:
    return any(cell.strip() for cell in record)


def detect_source(header: list[str]) -> str:
    names = {norm_header(name) for name in header}
    for source, needed in SOURCES:
        if needed <= names:
            return source
    return ""


def guess_mapping(header: list[str]) -> dict[str, int | None]:
    """Target field -> column index, from the header's names; each column used once."""
    normalized = [norm_header(name) for name in header]
    used: set[int] = set()
    mapping: dict[str, int | None] = dict.fromkeys(FIELD_KEYS)
    # The domain and website are read before the looser name synonyms ("company", "url").
    for key in FIELD_KEYS:
        for synonym in SYNONYMS[key]:
            index = next(
                (i for i, n in enumerate(normalized) if n == synonym and i not in used), None
            )
            if index is not None:
                mapping[key] = index
                used.add(index)
                break
    return mapping


def headers_found(header: list[str]) -> str:
    names = [name or f"(unnamed column {i + 1})" for i, name in enumerate(header)]
    return ", ".join(f"“{n}”" for n in names[:30]) + (" …" if len(names) > 30 else "")


def missing_columns_message(header: list[str]) -> str:
    return (
        "The file needs a column with the company name or one with its website or domain; "
        f"its header has {headers_found(header)}. Pick the columns below, or add a "
        "“Company name” or “Website” column to the file."
    )


def clean_mapping(mapping: Mapping[str, Any], header: list[str]) -> dict[str, int | None]:
    """Every target field with a column index of the file (or None); each column once.

    Needs a name or a domain/website column (ValidationError saying which headers exist).
    """
    cleaned = column_indexes(mapping=mapping, header=header, keys=FIELD_KEYS)
    chosen = [i for i in cleaned.values() if i is not None]
    if len(chosen) != len(set(chosen)):
        raise ValidationError("Each column can be used for one field only; change the duplicates.")
    if cleaned["name"] is None and cleaned["domain"] is None and cleaned["website"] is None:
        raise ValidationError({"name": missing_columns_message(header)})
    return cleaned


@dataclass
class FileInfo:
    encoding: str
    delimiter: str
    header: list[str]
    source: str
    mapping: dict[str, int | None]
    # Whether the guess found a name or a domain/website column.
    complete: bool


def inspect_file(stream: IO[bytes], *, size: int | None) -> FileInfo:
    """Encoding, delimiter, header and a guessed mapping from the first bytes of the file.

    Refuses (UploadRefused) an oversized, empty, binary or headerless file.
    """
    check_size(size)
    sample = stream.read(SAMPLE_BYTES + 1)
    complete = len(sample) <= SAMPLE_BYTES
    sample = sample[:SAMPLE_BYTES]
    if not sample.strip():
        raise UploadRefused(
            "The file is empty. Export your accounts from your CRM as CSV, with a header row "
            "and one account per row, and upload that file."
        )
    encoding = detect_encoding(sample, complete=complete)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        text = decoder.decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        raise UploadRefused(NOT_TEXT.format(detail=f" ({encoding} that cannot be read)")) from exc
    text = text.removeprefix("\ufeff")
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # whole lines only
    delimiter = sniff_delimiter(text=text)
    records = [r for r in _records(io.StringIO(_SEP_LINE.sub("", text, count=1)), delimiter)]
    body = [r for r in records if _has_content(r)]
    if body and _is_sep_line(body[0]):
        body = body[1:]
    if not body:
        raise UploadRefused(
            "The file has no rows. Export your accounts from your CRM as CSV, with a header "
            "row and one account per row, and upload that file."
        )
    header = [cell.strip() for cell in body[0]]
    if complete and len(body) == 1:
        raise UploadRefused(
            "The file has a header row but no accounts below it. Export the list again with "
            "its rows, or check that you picked the right file."
        )
    mapping = guess_mapping(header)
    complete_guess = any(mapping[k] is not None for k in ("name", "domain", "website"))
    return FileInfo(
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        source=detect_source(header),
        mapping=mapping,
        complete=complete_guess,
    )


def count_lines(stream: IO[bytes]) -> int:
    """Lines in the file (a quick pass for the progress bar; quoted line breaks count too)."""
    lines, last = 0, b""
    while chunk := stream.read(1024 * 1024):
        lines += chunk.count(b"\n")
        last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    return lines


# --- Populations ------------------------------------------------------------------------


def fold_status(value: str) -> str:
    """How status values are compared: trimmed, case-folded, inner spaces collapsed."""
    return " ".join(value.casefold().split())


# --- Writing the batches ----------------------------------------------------------------

# The interpreter's thread switch interval while a writer runs (the default is 5 ms). The
# writer gives the GIL away at every database call (each statement on SQLite, each network
# write of a COPY on PostgreSQL) and then waits for the reader to hand it back: up to a
# whole interval each time, so that the writer mostly waited while the reader ran.
WRITER_SWITCH_INTERVAL_S = 0.0002
_switching_lock = threading.Lock()
_switching: list[float] = []  # the interval to restore, while writers run


@contextlib.contextmanager
def _fast_switching() -> Iterator[None]:
    """A short switch interval for as long as any import's writer runs in this process."""
    with _switching_lock:
        if not _switching:
            _switching.append(sys.getswitchinterval())
            sys.setswitchinterval(WRITER_SWITCH_INTERVAL_S)
        else:
            _switching.append(_switching[0])
    try:
        yield
    finally:
        with _switching_lock:
            restored = _switching.pop()
            if not _switching:
                sys.setswitchinterval(restored)


class BatchWriter:
    """Writes the batches of one import, each in a transaction of its own, then reports the
    progress (`progress(rows_processed)`, False when the upload was cancelled).

    With `threaded`, a thread of its own does it, on its own database connection (closed
    at the end), while the caller reads and normalizes the next batch; at most one batch
    waits for it. A failure of the writer is raised again in the caller by the next
    `submit` or by `close`, and nothing is written after a failure, a cancel or an `abort`.
    Without `threaded` (the caller is inside a transaction, whose uncommitted rows another
    connection could not see), each batch is written at once in the caller's thread.
    """

    _DONE = None

    def __init__(
        self,
        *,
        write: Callable[[Sequence[tuple[Any, ...]]], None],
        progress: Callable[[int], bool],
        threaded: bool,
    ) -> None:
        self._write = write
        self._progress = progress
        self.rows_written = 0
        self.cancelled = False
        self.error: BaseException | None = None
        self._stop = False
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue[tuple[list[tuple[Any, ...]], int] | None] = queue.Queue(1)
        if threaded:
            self._thread = threading.Thread(target=self._run, name="account-import-writer")
            self._thread.start()

    def submit(self, batch: list[tuple[Any, ...]], processed: int) -> None:
        """Write `batch` (the writer owns it from now on), then report `processed` rows."""
        self._check()
        if self._thread is None:
            self._write_one(batch, processed)
            self._check()
        else:
            self._queue.put((batch, processed))

    def close(self) -> None:
        """Wait for every submitted batch, then raise what stopped the writer, if anything."""
        self._join()
        self._check()

    def abort(self) -> None:
        """Stop without writing the batches still waiting (the import failed)."""
        self._stop = True
        self._join()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error
        if self.cancelled:
            raise ImportCancelled

    def _join(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(self._DONE)
            self._thread.join()

    def _write_one(self, batch: list[tuple[Any, ...]], processed: int) -> None:
        if batch:
            self._write(batch)
            self.rows_written += len(batch)
        if not self._progress(processed):
            self.cancelled = True

    def _run(self) -> None:
        drained = False
        try:
            with _fast_switching(), bulk_writes():
                while (item := self._queue.get()) is not self._DONE:
                    # After a failure or a cancel, take what is still submitted and drop it.
                    if not (self._stop or self.cancelled or self.error is not None):
                        try:
                            self._write_one(*item)
                        except BaseException as exc:  # raised again in the reader's thread
                            self.error = exc
                drained = True
        except BaseException as exc:
            self.error = self.error or exc
        finally:
            # The reader must never wait on a full queue: empty it until it says done.
            while not drained:
                drained = self._queue.get() is self._DONE
            connection.close()


# --- The import itself ------------------------------------------------------------------


@dataclass
class ImportResult:
    rows_total: int = 0
    rows_processed: int = 0
    rows_imported: int = 0
    duplicates: int = 0
    rows_skipped: int = 0
    duplicate_examples: list[dict[str, Any]] = field(default_factory=list)
    skipped_examples: list[int] = field(default_factory=list)


def import_rows(
    *,
    stream: IO[bytes],
    encoding: str,
    delimiter: str,
    mapping: Mapping[str, int | None],
    upload_id: int,
    rules: Mapping[str, str],
    default_population: str,
    progress: Callable[[int], bool],
    batch_rows: int | None = None,
) -> ImportResult:
    """Read, normalize and insert every row; `progress(rows_processed)` is called after each
    batch and returns False when the upload was cancelled (ImportCancelled is raised).

    Outside a transaction the batches are written (and the progress reported) by a
    `BatchWriter` thread while the next batch is read; whatever ends the import, that
    thread has stopped when this returns or raises."""
    from partnerloop.mapping.models import Account
    from partnerloop.mapping.normalize import (
        normalize_company_name,
        normalize_country,
        normalize_domain,
    )

    batch_rows = batch_rows or BATCH_ROWS
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    reader = _records(text, delimiter)
    result = ImportResult()

    def read_header() -> list[str]:
        for record in reader:
            if not _has_content(record):
                continue
            if _is_sep_line(record):
                continue
            return [cell.strip().removeprefix("\ufeff") for cell in record]
        raise ImportFailed("The file has no header row; nothing was imported.")

    row_number = 0
    try:
        header = read_header()
        row_number = reader.line_num
    except UnicodeDecodeError as exc:
        raise ImportFailed(_decode_message(encoding, 1)) from exc
    width = len(header)
    col = {key: mapping.get(key) for key in FIELD_KEYS}
    if any(index is not None and index >= width for index in col.values()):
        raise ImportFailed(
            "The file's columns changed since the mapping was chosen; upload it again."
        )
    # One C-level call picks every mapped cell; an unmapped field reads the empty cell
    # appended at index `width` of each record.
    pick = operator.itemgetter(*(width if col[key] is None else col[key] for key in FIELD_KEYS))
    mapped = {i for i in col.values() if i is not None}
    extras = [(i, name) for i, name in enumerate(header) if i not in mapped and name]

    # Every row of the upload shares its id; without extra columns, its `extra` is "{}".
    # Both go into the statement once instead of into every row.
    columns = ROW_COLUMNS + (("extra",) if extras else ())
    constants: dict[str, Any] = {"upload_id": upload_id}
    if not extras:
        constants["extra"] = "{}"

    country_cache: dict[str, str] = {}
    population_cache: dict[str, str] = {}
    seen_domains: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    batch: list[tuple[Any, ...]] = []
    append = batch.append
    dumps = orjson.dumps
    processed = 0

    def write(rows: Sequence[tuple[Any, ...]]) -> None:
        # The batch is not read before `services` makes the upload current, in a commit
        # of its own that is durable as usual.
        with transaction.atomic():
            relaxed_commit()
            insert_rows(Account, rows, columns=columns, constants=constants)

    # Inside a transaction (tests), another connection would not see the upload's row.
    threaded = not transaction.get_connection().in_atomic_block
    writer = BatchWriter(write=write, progress=progress, threaded=threaded)
    try:
        with contextlib.nullcontext() if threaded else bulk_writes():
            try:
                for record in reader:
                    row_number += 1
                    if len(record) < width:
                        if not _has_content(record):
                            continue
                        record += [""] * (width - len(record))
                    processed += 1
                    record.append("")
                    name, raw, website, status, raw_country, external_id, owner = pick(record)
                    name = name.strip()
                    raw = raw.strip() or website.strip()
                    domain = normalize_domain(raw)[:255] if raw else ""
                    if not name and not domain:
                        if _has_content(record):
                            result.rows_skipped += 1
                            if len(result.skipped_examples) < EXAMPLES:
                                result.skipped_examples.append(row_number)
                        continue
                    external_id = external_id.strip()[:120]
                    first = seen_domains.get(domain) if domain else None
                    if first is None and external_id:
                        first = seen_ids.get(external_id)
                    if first is not None:
                        result.duplicates += 1
                        if len(result.duplicate_examples) < EXAMPLES:
                            result.duplicate_examples.append(
                                {
                                    "row": row_number,
                                    "first_row": first,
                                    "key": domain or external_id,
                                }
                            )
                        continue
                    if domain:
                        seen_domains[domain] = row_number
                    if external_id:
                        seen_ids[external_id] = row_number
                    name_key = normalize_company_name(name)[:255] if name else ""
                    country = country_cache.get(raw_country)
                    if country is None:
                        country = country_cache[raw_country] = normalize_country(raw_country)
                    status = status.strip()[:120]
                    population = population_cache.get(status)
                    if population is None:
                        population = population_cache[status] = rules.get(
                            fold_status(status), default_population
                        )
                    # In ROW_COLUMNS order (plus `extra` when the file has more columns).
                    values = (
                        row_number,
                        name[:255],
                        name_key,
                        domain,
                        country,
                        status,
                        population,
                        external_id,
                        owner.strip()[:255],
                    )
                    if extras:
                        extra = {c: v[:EXTRA_CELL_MAX] for i, c in extras if (v := record[i])}
                        values += (dumps(extra).decode() if extra else "{}",)
                    append(values)
                    if len(batch) >= batch_rows:
                        writer.submit(batch, processed)
                        batch = []
                        append = batch.append
            except UnicodeDecodeError as exc:
                raise ImportFailed(_decode_message(encoding, row_number + 1)) from exc
            except csv.Error as exc:
                raise ImportFailed(
                    f"Row {row_number + 1} cannot be read as CSV ({exc}); nothing was "
                    "imported. Check its quotes, fix the file and upload it again."
                ) from exc
            writer.submit(batch, processed)
            writer.close()
    except BaseException:
        # Nothing more is written once the import failed: `services` then deletes the
        # upload's rows, which must not race with a batch still being written.
        writer.abort()
        raise
    result.rows_processed = processed
    result.rows_imported = writer.rows_written
    return result


def _decode_message(encoding: str, row: int) -> str:
    return (
        f"Around row {row} the file is not valid {encoding.upper()} text (its first part "
        "was), so its accents and symbols cannot be read reliably; nothing was imported. "
        "Export the list again as CSV UTF-8 (in Excel: Save As › CSV UTF-8) and upload it."
    )


def preview_rows(
    stream: IO[bytes], *, encoding: str, delimiter: str, rows: int = 5
) -> list[list[str]]:
    """The first few records under the header, for the column-mapping page."""
    sample = stream.read(SAMPLE_BYTES)
    text = sample.decode(encoding, errors="replace").removeprefix("\ufeff")
    found: list[list[str]] = []
    header_seen = False
    try:
        for record in _records(io.StringIO(text, newline=""), delimiter):
            if not _has_content(record) or (not header_seen and _is_sep_line(record)):
                continue
            if not header_seen:
                header_seen = True
                continue
            found.append(record)
            if len(found) >= rows:
                break
    except csv.Error:
        pass
    return found
