"""CSV helpers shared by every export and import."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

# Cells starting with these are run as formulas by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def neutralize(value: object) -> str:
    """Text safe to open in a spreadsheet: a leading quote disarms formula prefixes."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """Stream a formula-safe CSV download (UTF-8 with BOM so spreadsheets read accents)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield "\ufeff" + writer.writerow([neutralize(h) for h in header])
        for row in rows:
            yield writer.writerow([neutralize(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
