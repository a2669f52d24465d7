"""Recurrence of cadence rules (RFC 5545 RRULE text), computed with python-dateutil."""

from __future__ import annotations

from datetime import datetime

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError


def parse_rrule(text: str, *, dtstart: datetime):  # type: ignore[no-untyped-def]
    """The recurrence for `text` ("FREQ=MONTHLY;INTERVAL=1") starting at `dtstart`."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise ValidationError({"rrule": "Give a recurrence rule, such as FREQ=MONTHLY."})
    if "DTSTART" in text.upper():
        raise ValidationError({"rrule": "Leave DTSTART out: each partnership starts its own."})
    try:
        return rrulestr(text, dtstart=dtstart)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {"rrule": f"Not a recurrence rule ({exc}). Try FREQ=MONTHLY;BYMONTHDAY=1."}
        ) from exc


def validate_rrule(text: str) -> str:
    """The rule text, normalised, or a ValidationError that says what to fix."""
    parse_rrule(text, dtstart=datetime(2000, 1, 1))
    text = text.strip()
    return text[6:] if text.upper().startswith("RRULE:") else text


def previous_occurrence(text: str, *, dtstart: datetime, at: datetime) -> datetime | None:
    """The latest occurrence at or before `at` (the one a scheduler pass is due to prompt)."""
    return parse_rrule(text, dtstart=dtstart).before(at, inc=True)


def next_occurrence(text: str, *, dtstart: datetime, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after`."""
    return parse_rrule(text, dtstart=dtstart).after(after, inc=False)
