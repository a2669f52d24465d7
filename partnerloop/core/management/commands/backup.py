"""`partnerloop backup --to PATH`: a consistent copy of the database while the app runs.

SQLite: SQLite's online backup API, in one step, from a read transaction. In WAL mode a
reader never blocks writers, so the app keeps serving and writing while the copy is made,
and the copy is the database as it was when the backup began (committed transactions
only). The copy is written beside PATH and renamed into place once it passed
`PRAGMA quick_check`, so PATH is never a half-written file.

PostgreSQL: `pg_dump --format=custom` of the database DATABASE_URL names (pg_dump must be
on PATH, of the server's major version or newer); `partnerloop restore` reads it back.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def sqlite_path() -> Path:
    return Path(connection.settings_dict["NAME"])


def pg_environment() -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection options for the configured database; the password
    goes through the environment, never the command line."""
    settings = connection.settings_dict
    options = ["--dbname", str(settings["NAME"])]
    if settings.get("HOST"):
        options += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        options += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        options += ["--username", str(settings["USER"])]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return options, env


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CommandError(f"{name} is not on PATH: install the PostgreSQL client tools.")
    return found


def sqlite_check(path: Path) -> None:
    """Raise CommandError unless `path` is a readable, sound PartnerLoop SQLite database."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
        db.execute("SELECT count(*) FROM django_migrations").fetchone()
    except sqlite3.DatabaseError as error:
        raise CommandError(f"{path} is not a PartnerLoop SQLite database: {error}") from None
    finally:
        db.close()
    if result != "ok":
        raise CommandError(f"{path} failed SQLite's quick_check: {result}")


class Command(BaseCommand):
    help = (
        "Back up the database to PATH while the app runs (SQLite: online backup; "
        "PostgreSQL: pg_dump custom format)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--to", required=True, dest="target", help="The backup file.")
        parser.add_argument("--overwrite", action="store_true", help="Replace PATH if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["target"]).expanduser().resolve()
        if target.exists() and not options["overwrite"]:
            raise CommandError(f"{target} exists; choose a new name or add --overwrite.")
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if connection.vendor == "sqlite":
            self._sqlite(target)
        elif connection.vendor == "postgresql":
            self._postgresql(target)
        else:
            raise CommandError(f"No backup for the {connection.vendor} backend.")
        size = target.stat().st_size / 1_048_576
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up to {target} ({size:,.1f} MB) in {time.perf_counter() - started:.1f} s."
            )
        )

    def _sqlite(self, target: Path) -> None:
        source_path = sqlite_path()
        if not source_path.exists():
            raise CommandError(f"No database at {source_path}.")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(source_path)
        copy = sqlite3.connect(partial)
        try:
            source.execute("PRAGMA busy_timeout = 5000")
            # One step (-1): the whole copy from one read transaction, a single snapshot.
            source.backup(copy, pages=-1)
            # A standalone file: no -wal beside it is needed to read it.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
            source.close()
        try:
            sqlite_check(partial)
        except CommandError:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)

    def _postgresql(self, target: Path) -> None:
        options, env = pg_environment()
        partial = target.with_name(target.name + ".partial")
        command = [
            pg_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--file",
            str(partial),
            *options,
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {done.stderr.strip()}")
        partial.replace(target)
