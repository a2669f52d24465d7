"""The overlap bench runs at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_overlap_bench_at_a_tiny_size(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_overlap", ROOT / "bench" / "overlap.py")
    assert spec and spec.loader
    bench: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "ACCOUNTS", 3_000)
    monkeypatch.setattr(bench, "SMALL", 300)
    monkeypatch.setattr(bench, "RUNS", 2)
    figures: dict[str, float] = {}
    bench.measure("sqlite", lambda name, value, unit, target: figures.__setitem__(name, value))
    assert figures["overlap_refresh_3k_sqlite"] > 0
    # The matrix reads the same number of queries at 300 and at 3,000 accounts a side.
    assert (
        figures["overlap_matrix_queries_3k_sqlite"] == figures["overlap_matrix_queries_300_sqlite"]
    )
    assert figures["overlap_cell_3k_sqlite"] > 0
