"""A dashboard panel: one figure as a chart, the same figures as an accessible table, and
the same rows as a CSV download. Every chart of the insights pages is a `Panel`, so the
table, the chart and the CSV cannot disagree: all three are built from `rows`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.text import slugify

from partnerloop.core.csvsafe import csv_response


@dataclass
class Panel:
    # Stable key: the chart's element id and the `?csv=<key>` of its download.
    key: str
    title: str
    columns: Sequence[str]
    rows: list[Sequence[Any]]
    # A Chart.js configuration (rendered by static/partnerloop/charts.js), or None for a
    # table-only panel.
    chart: dict[str, Any] | None = None
    # One sentence under the title: how to read it.
    description: str = ""
    # What to do when there are no rows yet.
    empty: str = "Nothing to show yet."
    # Extra per-row link targets for the table (same order as rows), optional.
    links: list[str | None] = field(default_factory=list)

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def table_rows(self) -> list[tuple[str | None, Any, Sequence[Any]]]:
        """(link or None, first cell, other cells) per row, for the table."""
        links = list(self.links) + [None] * (len(self.rows) - len(self.links))
        return [(link, row[0], row[1:]) for link, row in zip(links, self.rows, strict=False)]

    @property
    def label(self) -> str:
        """The canvas's accessible name: the title and where the figures are in text."""
        return f"{self.title}; the table beside it has the same figures"


def panel_csv(panel: Panel, *, prefix: str) -> StreamingHttpResponse:
    """The panel's rows as a formula-safe CSV, with the columns of its table."""
    return csv_response(
        filename=f"{slugify(prefix)}-{panel.key}.csv",
        header=list(panel.columns),
        rows=panel.rows,
    )
