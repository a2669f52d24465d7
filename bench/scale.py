"""Scale: the pages and the API on the large ecosystem of `partnerloop demo --scale large`.

Each worker builds `partnerloop.core.scale` twice in its database, beside the other data
sets: the *small* ecosystem (50 partnerships) and the *large* one (5,000 partnerships,
200,000 activities, 50,000 plan steps, 20,000 referrals, 2,000,000 accounts). The large
build is timed (`scale_build_large`, target 300 s on SQLite).

- **Pages**: server time p50/p95 (Django's test client, in-process, as in bench/run.py)
  of the directory, the first partnership's workspace (host owner and partner admin), the
  host's insights dashboard (`insights_host`) and the partnership dashboard from both
  sides (`partnership_dashboard`); target p95 ≤ 150 ms. `BENCH_REQUESTS` timed requests
  after 20 warm-up ones; fewer (at least 10) for a page that would take over 40 s. Query
  counts of each page on the small ecosystem are the target of the same page on the large
  one (they must not grow). A page whose URL name does not reverse (not built yet) is
  skipped with a note in the summary.
- **The host dashboard computing its figures**: its timed requests above read the
  snapshot (insights/snapshots.py); `scale_insights_host_cold_*` empties the cache before
  each of COLD_SAMPLES requests, and counts the queries of one (flat from small to large).
- **API throughput**: gunicorn with two workers on loopback serves the same database; a
  load generator in another process (bench/loadgen.py: 32 keep-alive connections, 15 s
  after 2 s of warm-up) drives `GET /api/v1/partnerships` with a read-only token (target
  ≥ 500 requests/s), then `GET /healthz` (one `SELECT 1`, no auth: the ceiling of the
  same stack on the same machine).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 20
WARMUP_BUDGET_S = 10.0
PAGE_BUDGET_S = 40.0
MIN_SAMPLES = 10
TARGET_P50_MS = 75.0
TARGET_P95_MS = 150.0
TARGET_BUILD_S = 300.0
TARGET_RPS = 500.0
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "15"))
LOAD_CONNECTIONS = 32
GUNICORN_WORKERS = 2


def _pages(world: Any) -> dict[str, tuple[Any, str | None]]:
    """name → (client, url or None when the URL name does not exist yet)."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    host, partner = Client(), Client()
    host.force_login(world.owner)
    partner.force_login(world.partner_user)
    org, partner_org, code = world.host.code, world.first.partner.code, world.first.code

    def url(name: str, **kwargs: str) -> str | None:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            return None

    return {
        "directory": (host, url("directory", org=org)),
        "workspace_host": (host, url("workspace", org=org, code=code)),
        "workspace_partner": (partner, url("workspace", org=partner_org, code=code)),
        "insights_host": (host, url("insights_host", org=org)),
        "partnership_dashboard_host": (host, url("partnership_dashboard", org=org, code=code)),
        "partnership_dashboard_partner": (
            partner,
            url("partnership_dashboard", org=partner_org, code=code),
        ),
    }


def _get(client: Any, url: str) -> Any:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise AssertionError(f"GET {url} answered {response.status_code}")
    return response


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _get(client, url)  # a session's first request may differ; count a steady one
    with CaptureQueriesContext(connection) as ctx:
        _get(client, url)
    return len(ctx.captured_queries)


COLD_SAMPLES = 5


def _cold(client: Any, url: str) -> tuple[list[float], int]:
    """The host dashboard computing its figures (no snapshot in the cache): server time of
    a few requests and the queries of one."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples = []
    for _ in range(COLD_SAMPLES):
        cache.clear()
        begun = time.perf_counter()
        _get(client, url)
        samples.append((time.perf_counter() - begun) * 1000)
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        _get(client, url)
    return samples, len(ctx.captured_queries)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(url: str, headers: list[str]) -> dict[str, Any]:
    command = [
        sys.executable,
        str(ROOT / "bench" / "loadgen.py"),
        url,
        "--connections",
        str(LOAD_CONNECTIONS),
        "--seconds",
        str(LOAD_SECONDS),
    ]
    for header in headers:
        command += ["--header", header]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)


def throughput(world: Any) -> dict[str, dict[str, Any]]:
    """gunicorn (two workers) on loopback against this database, driven by bench/loadgen.py."""
    from django.db import connections

    from partnerloop.api.services import token_create
    from partnerloop.core.tenancy import Actor

    actor = Actor(user=world.owner, organization=world.host, role="owner")
    _token, raw = token_create(actor=actor, name="Load test", scope="read")
    connections.close_all()  # the server's workers open their own
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "partnerloop.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(GUNICORN_WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    # Behind the TLS proxy the production settings expect: without the header every
    # request would be redirected to https.
    proxy = "X-Forwarded-Proto: https"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    f"{base}/healthz", headers={"X-Forwarded-Proto": "https"}
                )
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not answer /healthz") from None
                time.sleep(0.5)
        api = _load(f"{base}/api/v1/partnerships", [proxy, f"Authorization: Bearer {raw}"])
        health = _load(f"{base}/healthz", [proxy])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    for name, result in (("api", api), ("healthz", health)):
        if result["errors"] or not result["requests"]:
            raise AssertionError(f"the {name} load answered errors: {result['statuses']}")
    return {"api": api, "healthz": health}


def measure(
    backend: str, add: Callable[..., None], notes: list[str] | None = None
) -> dict[str, Any]:
    from django.db import connection

    from partnerloop.core.scale import SIZES, build_ecosystem

    notes = notes if notes is not None else []
    small = build_ecosystem(SIZES["small"], label="small")
    small_pages = _pages(small)
    small_queries = {
        name: _queries(client, url) for name, (client, url) in small_pages.items() if url
    }
    insights_client, insights_url = small_pages["insights_host"]
    small_cold_queries = _cold(insights_client, insights_url)[1] if insights_url else 0
    started = time.perf_counter()
    world = build_ecosystem(SIZES["large"], label="large")
    build_s = round(time.perf_counter() - started, 1)
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in world.seconds.items() if k != "total")
    print(f"   {backend} scale: large ecosystem built in {build_s} s ({phases})", flush=True)
    if connection.vendor == "postgresql":
        # As for the other data sets: what autovacuum does soon after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    add(
        f"scale_build_large_{backend}",
        build_s,
        "s",
        TARGET_BUILD_S if backend == "sqlite" else None,
    )

    pages = _pages(world)
    for name, (_client, url) in pages.items():
        if url is None:
            note = f"scale: {name} skipped on {backend}: its URL name does not exist yet"
            if note not in notes:
                notes.append(note)
            print(f"   {note}", flush=True)
    for name, (client, url) in pages.items():
        if url is None:
            continue
        large_queries = _queries(client, url)
        # A slow page gets fewer requests (at least MIN_SAMPLES), so the bench stays bounded.
        until = time.perf_counter() + WARMUP_BUDGET_S
        for _ in range(WARMUP):
            _get(client, url)
            if time.perf_counter() > until:
                break
        samples: list[float] = []
        until = time.perf_counter() + PAGE_BUDGET_S
        while len(samples) < REQUESTS:
            begun = time.perf_counter()
            _get(client, url)
            samples.append((time.perf_counter() - begun) * 1000)
            if len(samples) >= MIN_SAMPLES and time.perf_counter() > until:
                break
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        print(
            f"   {backend} scale {name}: p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms "
            f"over {len(samples)} requests, {large_queries} queries "
            f"({small_queries[name]} at 50 partnerships)",
            flush=True,
        )
        add(f"scale_{name}_p50_{backend}", round(cuts[49], 2), "ms", TARGET_P50_MS)
        add(f"scale_{name}_p95_{backend}", round(cuts[94], 2), "ms", TARGET_P95_MS)
        add(f"scale_{name}_queries_50_{backend}", small_queries[name], "queries", None)
        add(
            f"scale_{name}_queries_5000_{backend}",
            large_queries,
            "queries",
            small_queries[name],
        )

    client, url = pages["insights_host"]
    if url:
        cold, cold_queries = _cold(client, url)
        cold_p50 = statistics.median(cold)
        print(
            f"   {backend} scale insights_host computing its figures: median {cold_p50:.0f} ms, "
            f"max {max(cold):.0f} ms over {len(cold)} requests, {cold_queries} queries "
            f"({small_cold_queries} at 50 partnerships)",
            flush=True,
        )
        add(f"scale_insights_host_cold_p50_{backend}", round(cold_p50, 1), "ms", None)
        add(
            f"scale_insights_host_cold_queries_5000_{backend}",
            cold_queries,
            "queries",
            small_cold_queries,
        )

    loads = throughput(world)
    api, health = loads["api"], loads["healthz"]
    print(
        f"   {backend} API: GET /api/v1/partnerships {api['rps']:.0f} requests/s "
        f"(p50 {api['p50_ms']} ms, p95 {api['p95_ms']} ms); /healthz {health['rps']:.0f} "
        f"requests/s; gunicorn {GUNICORN_WORKERS} workers, {LOAD_CONNECTIONS} connections, "
        f"{LOAD_SECONDS:.0f} s each",
        flush=True,
    )
    add(f"api_partnerships_rps_{backend}", api["rps"], "req/s", TARGET_RPS, "higher")
    add(f"api_partnerships_p95_{backend}", api["p95_ms"], "ms", None)
    add(f"healthz_rps_{backend}", health["rps"], "req/s", None, "higher")
    return {"build_s": build_s, "counts": dict(world.counts), "loads": loads}
