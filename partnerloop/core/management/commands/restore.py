"""`partnerloop restore --from PATH --yes`: put a backup made by `partnerloop backup` back.

Stop the app servers and workers first: a restore replaces every table.

SQLite: the backup is checked (`PRAGMA quick_check`, a PartnerLoop schema), then copied
page by page into the configured database file with SQLite's backup API, so the file, its
write-ahead log and any connection still open all see the restored database at once.

PostgreSQL: `pg_restore --clean --if-exists --no-owner --single-transaction` into the
database DATABASE_URL names: either all of the backup is restored or nothing is.

Then run `partnerloop migrate` (a backup from an older release is brought up to date).
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from partnerloop.core.management.commands.backup import (
    pg_environment,
    pg_tool,
    sqlite_check,
    sqlite_path,
)


class Command(BaseCommand):
    help = (
        "Restore the database from a backup made by `partnerloop backup` (stop the app "
        "first; everything in the database is replaced)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", required=True, dest="source", help="The backup file.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Confirm that the current database is to be replaced.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"]).expanduser().resolve()
        if not source.is_file():
            raise CommandError(f"No backup at {source}.")
        if not options["yes"]:
            raise CommandError(
                "A restore replaces everything in the database. Stop the app servers and "
                "workers, then run it again with --yes."
            )
        started = time.perf_counter()
        connection.close()
        if connection.vendor == "sqlite":
            self._sqlite(source)
        elif connection.vendor == "postgresql":
            self._postgresql(source)
        else:
            raise CommandError(f"No restore for the {connection.vendor} backend.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored from {source} in {time.perf_counter() - started:.1f} s. "
                "Now run `partnerloop migrate`."
            )
        )

    def _sqlite(self, source: Path) -> None:
        sqlite_check(source)
        target_path = sqlite_path()
        target_path.parent.mkdir(parents=True, exist_ok=True)
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            target.execute("PRAGMA busy_timeout = 10000")
            backup.backup(target, pages=-1)
            # The app runs the database in WAL mode (settings); keep it so.
            target.execute("PRAGMA journal_mode = WAL")
        finally:
            target.close()
            backup.close()

    def _postgresql(self, source: Path) -> None:
        options, env = pg_environment()
        command = [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *options,
            str(source),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CommandError(f"pg_restore failed: {done.stderr.strip()}")
