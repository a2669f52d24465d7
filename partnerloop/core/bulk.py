"""Fast inserts of many plain rows, for the jobs that write thousands at once.

bulk_create prepares every value of every model instance; for thousands of rows that
preparation is most of the time. These rows are plain Python scalars (numbers, booleans,
text, ids, dates): dicts with the same keys, or tuples in a given column order for the
hottest paths (no dict per row).

- SQLite takes them by multi-row INSERTs of as many rows as it takes parameters (about
  3,600 rows of nine columns), with `?` placeholders on the DB-API cursor: Django's
  placeholder rewriting, a regular expression over tens of thousands of `%s`, is skipped.
  Each statement runs in one call that releases the GIL, so another thread (the reader of
  an account-list import) keeps running meanwhile; `executemany` released and took back
  the GIL for every row, and a busy thread next to it then made each row wait for its
  turn (up to the interpreter's 5 ms switch interval).
- PostgreSQL takes them by COPY, its fastest path.
- `constants` are values every row shares (the upload a row belongs to, an empty JSON
  object): on SQLite they are written into the statement once instead of bound per row.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

# Page cache of the connection during a large write on SQLite (KiB; the default is 2 MB).
# Every row also goes into the table's indexes; with the default cache their pages are
# evicted and read again from the file, which made up a third of an account-list import.
BULK_CACHE_KIB = 64 * 1024


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Around a job that writes many batches: a larger page cache for this connection on
    SQLite (restored afterwards). Nothing to do on PostgreSQL."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous:d}")


def relaxed_commit() -> None:
    """Inside a transaction: on PostgreSQL, let its COMMIT return before the WAL is on disk.

    Only for intermediate batches that nobody reads until a later, normal commit switches
    them in: a crash may lose such a batch, never reorder it after that later commit (it
    flushes the WAL written before it), and its job is then restarted anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _sqlite_literal(value: Any) -> str | None:
    """`value` as an SQL literal for SQLite, or None when it should stay a parameter."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def insert_rows(
    model: Any,
    rows: Sequence[Any],
    *,
    columns: Sequence[str] | None = None,
    constants: Mapping[str, Any] | None = None,
    batch: int = 500,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT `rows` into `model`'s table.

    `rows` are dicts with the same keys, or, when `columns` names the fields, tuples in that
    order. `constants` maps more fields to one value for every row. With
    `ignore_conflicts`, a row that breaks a unique constraint is skipped (ON CONFLICT DO
    NOTHING), which is what makes concurrent writers of the same keys safe.
    """
    if not rows:
        return
    if columns is None:
        names = list(rows[0])
        getter = operator.itemgetter(*names)
        tuples: Sequence[tuple[Any, ...]] = (
            [getter(row) for row in rows] if len(names) > 1 else [(getter(row),) for row in rows]
        )
    else:
        names = list(columns)
        tuples = rows
    fields = [model._meta.get_field(name) for name in names]
    # Only dates and date-times need the backend's conversion (and rows share the same
    # few, so convert each once).
    temporal = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)]
    if temporal:
        converted: dict[Any, Any] = {}

        def prepare(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = list(row)
            for i in temporal:
                value = values[i]
                if value is not None:
                    if value not in converted:
                        converted[value] = fields[i].get_db_prep_save(value, connection)
                    values[i] = converted[value]
            return tuple(values)

        tuples = [prepare(row) for row in tuples]
    shared = dict(constants or {})
    for name, value in shared.items():
        field = model._meta.get_field(name)
        if isinstance(field, models.DateField) and value is not None:
            shared[name] = field.get_db_prep_save(value, connection)
        fields.append(field)
        names.append(name)

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns_sql = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(
                cursor, model, table, columns_sql, tuples, tuple(shared.values()), ignore_conflicts
            )
            return
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        if connection.vendor == "sqlite":
            _sqlite_insert(table, columns_sql, len(fields) - len(shared), tuples, shared, tail)
            return
        extra = tuple(shared.values())
        head = f"INSERT INTO {table} ({columns_sql}) VALUES "
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(tuples), batch):
            chunk = tuples[start : start + batch]
            params = [value for row in chunk for value in (*row, *extra)]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)


def _sqlite_insert(
    table: str,
    columns_sql: str,
    width: int,
    rows: Sequence[tuple[Any, ...]],
    shared: Mapping[str, Any],
    tail: str,
) -> None:
    """Multi-row INSERTs with `?` placeholders on the DB-API cursor of `connection` (in its
    current transaction); `shared` values are written into the statement as literals."""
    marks = ["?"] * width
    per_row: list[Any] = []
    for value in shared.values():
        literal = _sqlite_literal(value)
        if literal is None:
            marks.append("?")
            per_row.append(value)
        else:
            marks.append(literal)
    one = "(" + ", ".join(marks) + ")"
    params = width + len(per_row)
    raw = connection.connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = max(1, limit // params) if params else 1_000
    head = f"INSERT INTO {table} ({columns_sql}) VALUES "
    full = head + ", ".join([one] * size) + tail
    extra = tuple(per_row)
    flatten = itertools.chain.from_iterable
    with connection.wrap_database_errors:
        cursor = raw.cursor()
        try:
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                if extra:
                    chunk = [row + extra for row in chunk]
                sql = full if len(chunk) == size else head + ", ".join([one] * len(chunk)) + tail
                cursor.execute(sql, list(flatten(chunk)))
        finally:
            cursor.close()


def _copy(
    cursor: Any,
    model: Any,
    table: str,
    columns_sql: str,
    rows: Sequence[tuple[Any, ...]],
    shared: tuple[Any, ...],
    ignore_conflicts: bool,
) -> None:
    """COPY: PostgreSQL's bulk path (a multi-row INSERT with thousands of parameters spends
    more time in the driver's query parsing than in the server). To skip conflicts, COPY
    into a temporary copy of the table, then INSERT … SELECT."""
    quote = connection.ops.quote_name
    target = table
    if ignore_conflicts:
        target = quote(f"bulk_{model._meta.db_table}")
        # The written columns only, with their types and no constraints.
        cursor.execute(f"DROP TABLE IF EXISTS {target}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {target} AS SELECT {columns_sql} FROM {table} WITH NO DATA"
        )
    # Rows go one by one to psycopg's C formatter: the client's share is small next to the
    # server's (one text buffer per batch, formatted in Python, was no faster).
    with cursor.cursor.copy(f"COPY {target} ({columns_sql}) FROM STDIN") as copy:
        write = copy.write_row
        if shared:
            for row in rows:
                write(row + shared)
        else:
            for row in rows:
                write(row)
    if ignore_conflicts:
        cursor.execute(
            f"INSERT INTO {table} ({columns_sql}) SELECT {columns_sql} FROM {target} "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {target}")
