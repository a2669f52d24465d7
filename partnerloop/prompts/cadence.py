"""Recurrence of cadence rules (RFC 5545 RRULE text), computed with python-dateutil."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.utils import timezone


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


def anchor() -> datetime:
    """Where every cadence counts from: Monday 1 January 2024, 09:00 in the installation's
    time zone. One anchor for all makes "quarterly" the calendar quarters, puts every
    partnership's fortnightly sync in the same fortnight, and lets a scheduler pass
    compute each recurrence once for thousands of partnerships."""
    return datetime(2024, 1, 1, 9, tzinfo=timezone.get_current_timezone())


@lru_cache(maxsize=512)
def _occurrences(text: str, start: datetime, end: datetime) -> tuple[datetime, ...]:
    return tuple(parse_rrule(text, dtstart=anchor()).between(start, end, inc=True))


def occurrences_between(text: str, start: datetime, end: datetime) -> tuple[datetime, ...]:
    """The cadence's occurrences from `start` to `end`, both included."""
    return _occurrences(text.strip(), start, end)


def latest_occurrence(text: str, *, now: datetime, within: timedelta) -> datetime | None:
    """The latest occurrence in the `within` before `now`, if any (what a scheduler pass
    prompts)."""
    found = occurrences_between(text, now - within, now)
    return found[-1] if found else None


def next_cadence_occurrence(text: str, *, now: datetime, within: timedelta) -> datetime | None:
    """The first occurrence after `now` and no later than `now + within`, if any."""
    found = [o for o in occurrences_between(text, now, now + within) if o > now]
    return found[0] if found else None
