"""`make bench`: server time and SQL queries of the directory and the workspace.

For each database backend this script starts a worker process (`run.py --worker BACKEND`)
with a production-like environment (DEBUG=0, a random SECRET_KEY, ALLOWED_HOSTS, a temp
DATA_DIR or its own PostgreSQL database, the production settings module). The worker
collects static files, migrates, builds the data set of bench/dataset.py, and times pages
in-process with Django's test Client, so the figures are server time without a network.

SQLite always runs; when DATABASE_URL is set, PostgreSQL runs too, in a database of its
own (`partnerloop_bench`) that is created and dropped on the server DATABASE_URL names.
BENCH_BACKENDS=sqlite,postgresql picks the backends explicitly; BENCH_REQUESTS (default
200) sets the number of timed requests per page. Results go to bench/results.json (only
when every backend ran to the end) and bench/summary.txt. The exit code is 0 even when a
target is missed (the summary says so); it is non-zero only when the bench itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
SUMMARY = ROOT / "bench" / "summary.txt"
PG_DATABASE = "partnerloop_bench"

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 20
TARGET_P95_MS = 150.0
TARGET_P50_MS = 75.0
# Search + filter + sort + page 10 of the directory (page 10 needs >= 226 matches).
SEARCH_QUERY = "q=data&stage=active&sort=-updated&page=10"


# --------------------------------------------------------------------------- orchestrator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, Path(args.out))

    backends = _backends()
    started = time.perf_counter()
    entries: list[dict[str, Any]] = []
    infos: dict[str, dict[str, Any]] = {}
    failed = []
    for backend in backends:
        print(f"== bench on {backend} ...", flush=True)
        result = run_backend(backend)
        if result is None:
            failed.append(backend)
            continue
        entries += result["entries"]
        infos[backend] = result["info"]
    # A failed run keeps the last complete results (the committed figures) as they are.
    if not failed:
        RESULTS.write_text(json.dumps(entries, indent=2) + "\n")
    summary = render_summary(entries, infos, failed, time.perf_counter() - started)
    SUMMARY.write_text(summary)
    print(summary, end="")
    return 1 if failed else 0


def _backends() -> list[str]:
    chosen = os.environ.get("BENCH_BACKENDS", "").strip()
    if chosen:
        backends = [b.strip() for b in chosen.split(",") if b.strip()]
    else:
        backends = ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL") else ["sqlite"]
    for backend in backends:
        if backend not in ("sqlite", "postgresql"):
            sys.exit(f"Unknown backend {backend!r} in BENCH_BACKENDS (sqlite, postgresql).")
        if backend == "postgresql" and not os.environ.get("DATABASE_URL"):
            sys.exit("The postgresql bench needs DATABASE_URL (a server it may create a DB on).")
    return backends


def run_backend(backend: str) -> dict[str, Any] | None:
    tmp = Path(tempfile.mkdtemp(prefix=f"partnerloop-bench-{backend}-"))
    env = {
        key: value
        for key, value in os.environ.items()
        # A clean configuration: local-memory cache, no outside services, our own database.
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY_FILE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="partnerloop.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver,127.0.0.1",
        DATA_DIR=str(tmp / "data"),
        STATIC_ROOT=str(tmp / "static"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONHASHSEED="0",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    server_url = os.environ.get("DATABASE_URL", "")
    out = tmp / "result.json"
    try:
        collectstatic(env)
        if backend == "postgresql":
            env["DATABASE_URL"] = _pg_create(server_url)
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", backend, "--out", str(out)],
            env=env,
            cwd=ROOT,
            check=False,
        )
        if proc.returncode != 0 or not out.exists():
            print(f"!! the {backend} bench failed (exit code {proc.returncode})", flush=True)
            return None
        result = json.loads(out.read_text())
        return result
    finally:
        if backend == "postgresql":
            _pg_drop(server_url)
        shutil.rmtree(tmp, ignore_errors=True)


def collectstatic(env: dict[str, str]) -> None:
    """`collectstatic` exactly as a deployment runs it (hashed, compressed files)."""
    command = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"]
    subprocess.run(command, env=env, cwd=ROOT, check=True)


def _pg_url(server_url: str, database: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{database}").geturl()


def _pg_admin(server_url: str) -> Any:
    """A connection to the server's maintenance database (never the one DATABASE_URL names)."""
    import psycopg

    try:
        return psycopg.connect(_pg_url(server_url, "postgres"), autocommit=True)
    except psycopg.OperationalError:
        return psycopg.connect(_pg_url(server_url, "template1"), autocommit=True)


def _pg_create(server_url: str) -> str:
    _pg_drop(server_url)
    with _pg_admin(server_url) as conn:
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return _pg_url(server_url, PG_DATABASE)


def _pg_drop(server_url: str) -> None:
    import psycopg

    with _pg_admin(server_url) as conn:
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        except psycopg.errors.SyntaxError:  # PostgreSQL before 13
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')


# --------------------------------------------------------------------------------- summary


def passed(entry: dict[str, Any]) -> bool | None:
    target = entry.get("target")
    if target is None:
        return None
    if entry["better"] == "lower":
        return entry["value"] <= target
    return entry["value"] >= target


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def render_summary(
    entries: list[dict[str, Any]],
    infos: dict[str, dict[str, Any]],
    failed: list[str],
    seconds: float,
) -> str:
    lines = [
        f"PartnerLoop bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{REQUESTS} timed requests per page after {WARMUP} warm-up requests",
    ]
    for backend, info in infos.items():
        counts = ", ".join(f"{k} {v:,}" for k, v in info["counts"].items())
        lines.append(f"{backend}: {info['server']}; setup {info['setup_s']:.1f} s; data: {counts}")
        lines.append(f"{backend}: directory search {info['search_url']} matches {info['matches']}")
        lines += [f"{backend}: note: {note}" for note in info.get("notes", [])]
    lines.append("")
    rows = [("name", "value", "unit", "target", "result")]
    for e in entries:
        ok = passed(e)
        rows.append(
            (
                e["name"],
                _fmt(e["value"], e["unit"]),
                e["unit"],
                _fmt(e["target"], e["unit"]),
                "—" if ok is None else ("pass" if ok else "FAIL"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for i, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(widths[j]) if j in (0, 2, 4) else cell.rjust(widths[j])
                for j, cell in enumerate(row)
            ).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    missed = [e for e in entries if passed(e) is False]
    if missed:
        lines.append(f"MISSED {len(missed)} target(s):")
        for e in missed:
            lines.append(
                f"  - {e['name']}: {_fmt(e['value'], e['unit'])} {e['unit']} "
                f"(target {_fmt(e['target'], e['unit'])}, {e['better']} is better)"
            )
    elif not failed:
        lines.append("All targets met.")
    else:
        lines.append("No target missed among the figures measured; some were not measured:")
    for backend in failed:
        lines.append(f"ERROR: the {backend} bench failed; see the output above.")
    lines.append(f"Total bench time {seconds:.0f} s.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- worker


def worker(backend: str, out: Path) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench import dataset

    assert not settings.DEBUG, "the bench measures with DEBUG off"
    assert connection.vendor == backend, f"expected {backend}, got {connection.vendor}"
    setup_started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        if backend == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            assert journal == "wal", f"SQLite journal mode is {journal}, not WAL"
            cursor.execute("select sqlite_version()")
            server = f"SQLite {cursor.fetchone()[0]} (WAL)"
        else:
            cursor.execute("show server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"

    world = dataset.build_base()
    dataset.add_partnerships(world, 0, dataset.SMALL_PARTNERSHIPS)

    host = Client()
    host.force_login(world.owner)
    partner = Client()
    partner.force_login(world.partner_user)
    org, partner_org = world.host.code, world.partner_org.code
    heavy = world.heavy.code
    urls = {
        "directory": (host, reverse("directory", kwargs={"org": org})),
        "directory_search": (
            host,
            reverse("directory", kwargs={"org": org}) + "?" + SEARCH_QUERY,
        ),
        "workspace_host": (host, reverse("workspace", kwargs={"org": org, "code": heavy})),
        "workspace_partner": (
            partner,
            reverse("workspace", kwargs={"org": partner_org, "code": heavy}),
        ),
    }
    show_sql = os.environ.get("BENCH_SHOW_SQL") == "1"

    def get(name: str) -> Any:
        client, url = urls[name]
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise AssertionError(f"{name}: GET {url} answered {response.status_code}")
        return response

    def count_queries(name: str, label: str) -> int:
        get(name)  # the first request of a session may differ; count a steady one
        with CaptureQueriesContext(connection) as ctx:
            get(name)
        if show_sql:
            print(f"-- {name} at {label}: {len(ctx.captured_queries)} queries")
            for q in ctx.captured_queries:
                print(f"   {q['time']}s {q['sql'][:300]}")
        return len(ctx.captured_queries)

    small = {
        "directory": count_queries("directory", "200"),
        "workspace_host": count_queries("workspace_host", "200"),
        "workspace_partner": count_queries("workspace_partner", "200"),
    }

    dataset.add_partnerships(world, dataset.SMALL_PARTNERSHIPS, dataset.TOTAL_PARTNERSHIPS)
    dataset.add_heavy_history(world)
    if backend == "postgresql":
        # What autovacuum does soon after a real import, done now so that it neither runs
        # during the timed requests nor leaves the planner without statistics.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    setup_s = time.perf_counter() - setup_started

    from partnerloop.partnerships.models import Partnership, TimelineEvent

    assert Partnership.objects.filter(host=world.host).count() == dataset.TOTAL_PARTNERSHIPS
    assert TimelineEvent.objects.count() == dataset.TOTAL_EVENTS
    assert TimelineEvent.objects.filter(partnership=world.heavy).count() == dataset.HEAVY_EVENTS
    html = get("directory_search").content.decode()
    found = re.search(r"([\d,]+) partnerships?</p>", html)
    matches = int(found.group(1).replace(",", "")) if found else 0
    if "Page 10 of" not in html:
        raise AssertionError(f"the directory search has {matches} matches, fewer than 10 pages")
    workspace = get("workspace_host").content.decode()
    assert "Show older" in workspace, "the heavy workspace should paginate its timeline"

    large = {
        "directory": count_queries("directory", "2000"),
        "directory_search": count_queries("directory_search", "2000"),
        "workspace_host": count_queries("workspace_host", "2000"),
        "workspace_partner": count_queries("workspace_partner", "2000"),
    }

    timings = {}
    for name in urls:
        for _ in range(WARMUP):
            get(name)
        samples = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            get(name)
            samples.append((time.perf_counter() - started) * 1000)
        timings[name] = samples
        print(f"   {backend} {name}: median {statistics.median(samples):.1f} ms", flush=True)

    b = backend
    entries: list[dict[str, Any]] = []

    def add(
        name: str, value: float, unit: str, target: float | None, better: str = "lower"
    ) -> None:
        entries.append(
            {"name": name, "value": value, "unit": unit, "target": target, "better": better}
        )

    for name, samples in timings.items():
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        add(f"{name}_p50_{b}", round(cuts[49], 2), "ms", TARGET_P50_MS)
        add(f"{name}_p95_{b}", round(cuts[94], 2), "ms", TARGET_P95_MS)
    # Query counts must not grow with the data: the 2,000-partnership figure's target is
    # the 200-partnership figure (the heavy workspace goes from 25 to 5,000 entries).
    add(f"directory_queries_200_{b}", small["directory"], "queries", None)
    add(f"directory_queries_2000_{b}", large["directory"], "queries", small["directory"])
    add(f"directory_search_queries_2000_{b}", large["directory_search"], "queries", None)
    for name in ("workspace_host", "workspace_partner"):
        add(f"{name}_queries_200_{b}", small[name], "queries", None)
        add(f"{name}_queries_2000_{b}", large[name], "queries", small[name])

    from bench import fit

    fit.measure(b, add)

    from bench import health

    health.measure(b, add)

    from bench import prompts

    prompts.measure(b, add)

    from bench import accountability

    accountability.measure(b, add)

    from bench import overlap

    overlap.measure(b, add)

    # Matching and private mode do not touch the database: measured once, in the first pass.
    from bench import mapping, psi

    mapping.measure(b, add)
    # The whole upload path writes to the database: measured in every backend's pass.
    mapping.measure_import(b, add)
    if b == _backends()[0]:
        psi.measure(b, add)

    # The large ecosystem (`demo --scale large`): pages, query counts and API throughput.
    from bench import scale

    notes: list[str] = []
    scale.measure(b, add, notes)

    counts = dict(world.counts)
    out.write_text(
        json.dumps(
            {
                "entries": entries,
                "info": {
                    "server": server,
                    "setup_s": setup_s,
                    "counts": counts,
                    "search_url": "?" + SEARCH_QUERY,
                    "matches": matches,
                    "notes": notes,
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
