"""Fast inserts of many plain rows, for the jobs that write thousands at once.

bulk_create prepares every value of every model instance; for thousands of rows that
preparation is most of the time. These rows are dicts of plain Python scalars (numbers,
booleans, text, ids, dates), written many per statement.
"""

from __future__ import annotations

import operator
from typing import Any

from django.db import connection, models


def insert_rows(
    model: Any, rows: list[dict[str, Any]], *, batch: int = 500, ignore_conflicts: bool = False
) -> None:
    """INSERT `rows` (all with the same keys) into `model`'s table.

    With `ignore_conflicts`, a row that breaks a unique constraint is skipped (ON CONFLICT
    DO NOTHING), which is what makes concurrent writers of the same keys safe. PostgreSQL
    takes the rows by COPY, its fastest path.
    """
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    # Only dates and date-times need the backend's conversion (and rows share the same
    # few, so convert each once).
    getter = operator.itemgetter(*names)
    temporal = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)]
    converted: dict[Any, Any] = {}

    def values(row: dict[str, Any]) -> list[Any]:
        found = getter(row)
        prepared = list(found) if len(names) > 1 else [found]
        for i in temporal:
            value = prepared[i]
            if value is not None:
                if value not in converted:
                    converted[value] = fields[i].get_db_prep_save(value, connection)
                prepared[i] = converted[value]
        return prepared

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: PostgreSQL's bulk path (a multi-row INSERT with thousands of parameters
            # spends more time in the driver's query parsing than in the server). To skip
            # conflicts, COPY into a temporary copy of the table, then INSERT … SELECT.
            target = table
            if ignore_conflicts:
                target = quote(f"bulk_{model._meta.db_table}")
                # The written columns only, with their types and no constraints.
                cursor.execute(f"DROP TABLE IF EXISTS {target}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {target} AS SELECT {columns} FROM {table} WITH NO DATA"
                )
            with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            if ignore_conflicts:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "
                    "ON CONFLICT DO NOTHING"
                )
                cursor.execute(f"DROP TABLE {target}")
            return
        head = f"INSERT INTO {table} ({columns}) VALUES "
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        if connection.vendor == "sqlite":
            # SQLite (3.32 and later) takes up to 32,766 parameters per statement.
            batch = max(1, min(batch, 32_000 // len(fields)))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = [value for row in chunk for value in values(row)]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)
