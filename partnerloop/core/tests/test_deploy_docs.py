"""docs/deploy.md: every shell block marked *tested* runs here, as an operator would run it.

Blocks are fenced as ```sh tested (run to completion, exit 0), ```sh tested server (a
server: started, asked for /healthz, stopped) or ```sh tested postgres (needs
DATABASE_URL: run against a database of their own, skipped without it). They run with
bash in a production environment: DEBUG unset, a random SECRET_KEY, ALLOWED_HOSTS, and
DATA_DIR, STATIC_ROOT, MEDIA_ROOT and BACKUP_DIR in a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "deploy.md"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```sh tested(?: (?P<kind>server|postgres))?\n(?P<body>.*?)^```$", re.M | re.S)
PG_DATABASE = "partnerloop_deploy_docs"


def blocks(kind: str | None = None) -> list[str]:
    return [m["body"] for m in FENCE.finditer(DOC.read_text()) if m["kind"] == kind]


def block(containing: str, kind: str | None = None) -> str:
    found = [body for body in blocks(kind) if containing in body]
    assert len(found) == 1, f"expected one tested block with {containing!r}, found {len(found)}"
    return found[0]


def production_env(base: Path) -> dict[str, str]:
    # Nothing the test run itself set: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for
    # Playwright in this process, which the deploy checks rightly refuse.
    dropped = {
        "DEBUG",
        "DATABASE_URL",
        "REDIS_URL",
        "PARTNERLOOP_TESTING",
        "SECRET_KEY_FILE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith("PYTEST")
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="partners.example.com,127.0.0.1",
        DATA_DIR=str(base / "data"),
        STATIC_ROOT=str(base / "static"),
        MEDIA_ROOT=str(base / "media"),
        BACKUP_DIR=str(base / "backups"),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="partnerloop.settings",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    (base / "media").mkdir(parents=True, exist_ok=True)
    return env


def run(body: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", body],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{body}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def django_shell(code: str, env: dict[str, str], cwd: Path) -> str:
    return run(f"partnerloop shell -v 0 -c {json.dumps(code)}", env, cwd)


ORGS = (
    "from partnerloop.accounts.models import Organization as O; "
    "print(sorted(O.objects.values_list('name', flat=True)))"
)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A fresh SQLite database brought up by the first-start block (migrate, static, check)."""
    base = tmp_path_factory.mktemp("deploy")
    env = production_env(base)
    run(block("collectstatic"), env, base, timeout=120)
    return env, base


def test_every_tested_block_has_a_runner_here() -> None:
    # A new tested block must be given a runner in this module (one per block below).
    texts = [m[0] for m in FENCE.finditer(DOC.read_text())]
    assert len(texts) == 8, texts
    assert len(blocks()) == 4 and len(blocks("server")) == 1 and len(blocks("postgres")) == 3


def test_check_deploy_passes_with_the_production_environment(tmp_path: Path) -> None:
    body = blocks()[0]
    assert body.strip() == "partnerloop check --deploy --fail-level WARNING"
    out = run(body, production_env(tmp_path), tmp_path)
    assert "no issues" in out
    # The same check does fail on a development configuration (the test can fail).
    env = production_env(tmp_path) | {"DEBUG": "1"}
    failed = subprocess.run(
        ["bash", "-c", body], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert failed.returncode != 0 and "DEBUG" in failed.stderr


def test_first_start_migrates_a_fresh_database(migrated: tuple[dict[str, str], Path]) -> None:
    env, base = migrated
    run("partnerloop migrate --check", env, base)
    assert (base / "data" / "partnerloop.sqlite3").exists()
    assert (base / "static" / "staticfiles.json").exists()  # hashed names, manifest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_starts_and_answers_healthz(tmp_path: Path) -> None:
    port = free_port()
    env = production_env(tmp_path) | {"PORT": str(port), "WEB_CONCURRENCY": "2"}
    server = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", "exec " + block("gunicorn", "server").strip()],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        answer = None
        while answer is None:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    answer = (response.status, json.loads(response.read()))
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not answer within 20 s"
                time.sleep(0.3)
        assert answer == (200, {"status": "ok", "database": "ok", "vendor": "sqlite"})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_sqlite_backup_and_restore_round_trip(migrated: tuple[dict[str, str], Path]) -> None:
    env, base = migrated
    django_shell(
        "from partnerloop.accounts.models import Organization as O; O.objects.create(name='Kept')",
        env,
        base,
    )
    (base / "media" / "upload.csv").write_text("Company name\nAcme\n")
    run(block("partnerloop backup"), env, base)
    backups = sorted((base / "backups").iterdir())
    assert [p.suffix for p in backups] == [".gz", ".sqlite3"]
    assert "./upload.csv" in run(f"tar -tzf {backups[0]}", env, base)
    # After the backup: one organization added, the other one gone.
    changed = django_shell(
        "from partnerloop.accounts.models import Organization as O; "
        "O.objects.filter(name='Kept').delete(); O.objects.create(name='After the backup'); "
        + ORGS.split("; ", 1)[1],
        env,
        base,
    )
    assert changed.strip() == "['After the backup']"
    run(block("partnerloop restore"), env, base)  # restore, then migrate
    assert django_shell(ORGS, env, base).strip() == "['Kept']"


def test_restore_refuses_without_yes_and_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", "--from", str(junk))
    from django.db import connection

    refused = (
        "does not appear to be a valid archive"
        if connection.vendor == "postgresql"
        else "not a PartnerLoop SQLite database"
    )
    with pytest.raises(CommandError, match=refused):
        call_command("restore", "--from", str(junk), "--yes")
    with pytest.raises(CommandError, match="No backup at"):
        call_command("restore", "--from", str(tmp_path / "missing"), "--yes")


@pytest.fixture
def pg_database() -> str:
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        pytest.skip("the PostgreSQL blocks need DATABASE_URL")
    import psycopg

    admin_url = urlsplit(server)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    yield urlsplit(server)._replace(path=f"/{PG_DATABASE}").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def test_postgresql_migrate_dump_and_restore_round_trip(tmp_path: Path, pg_database: str) -> None:
    env = production_env(tmp_path) | {"DATABASE_URL": pg_database}
    run(block("check --deploy", "postgres"), env, tmp_path, timeout=120)
    django_shell(
        "from partnerloop.accounts.models import Organization as O; O.objects.create(name='Kept')",
        env,
        tmp_path,
    )
    run(block("pg_dump", "postgres"), env, tmp_path)
    django_shell(
        "from partnerloop.accounts.models import Organization as O; "
        "O.objects.filter(name='Kept').delete(); O.objects.create(name='After the backup')",
        env,
        tmp_path,
    )
    run(block("pg_restore", "postgres"), env, tmp_path, timeout=120)
    assert django_shell(ORGS, env, tmp_path).strip() == "['Kept']"
    # `partnerloop backup` makes the same kind of dump.
    run('partnerloop backup --to "$BACKUP_DIR/again.dump"', env, tmp_path)
    assert (tmp_path / "backups" / "again.dump").stat().st_size > 0
