"""The account-mapping bench runs at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TINY = ["--rows", "500", "--fuzzy", "100", "--companies", "100"]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_mapping", ROOT / "bench" / "mapping.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_figures_at_a_tiny_size(bench) -> None:
    figures = bench.run(rows=3_000, fuzzy_names=400, companies=300)
    assert figures["rows"] == 3_000
    assert figures["normalize_rows_per_s"] > 0
    # About 80 % of the generated websites carry a company domain (the rest: free mail, empty).
    assert 0.7 * 3_000 < figures["normalize_with_domain"] < 0.9 * 3_000
    # The two joins and the pandas baseline find the same matches: 40 % + 10 % of the rows.
    assert figures["exact_matches"] == figures["pandas_matches"]
    assert 0.45 * 3_000 < figures["exact_matches"] < 0.55 * 3_000
    assert 0 < figures["fuzzy_matches"] <= 400
    assert figures["precision_pct"] >= 99 and figures["recall_pct"] >= 95
    assert figures["peak_rss_mb"] > 0

    entries = []
    bench.report(figures, lambda *entry: entries.append(entry))
    names = {e[0]: e for e in entries}
    assert names["mapping_exact_1m_s"][3] == 10.0
    assert names["mapping_normalize_us_per_row"][3] == 10.0
    assert names["mapping_false_matches"][1] == pytest.approx(100 - figures["precision_pct"], 0.01)
    assert names["mapping_peak_rss"][2:] == ("MB", 2048.0)


def test_bench_runs_once_per_bench(bench, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_BACKENDS", raising=False)
    assert bench._should_run("sqlite") and not bench._should_run("postgresql")
    monkeypatch.setenv("BENCH_BACKENDS", "postgresql")
    assert bench._should_run("postgresql")


def test_bench_command_prints_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.mapping", "--json", *TINY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"] == 500 and figures["exact_matches"] == figures["pandas_matches"]
