"""Times as the vendors send them (ISO strings in any precision, epoch numbers in s, ms or ns) as UTC datetimes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Literal

from .errors import UsageError


def utc(value: datetime | str | float | int | None, *, unit: float = 1.0) -> datetime | None:
    """A UTC datetime from an ISO string or an epoch number in the given unit (1e-9 for nanoseconds)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        try:
            return datetime.fromtimestamp(float(value) * unit, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None  # beyond what a datetime holds: as unusable as an unparsable string
    return _parse_iso(value) if isinstance(value, str) else None


def _parse_iso(value: str) -> datetime | None:
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # trim sub-microsecond digits (Qoder sends nanoseconds)
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_time(value: str | float | None, unit: Literal["s", "ms", "ns"] = "s") -> datetime | None:
    """A UTC time from an epoch number (or numeric string) in seconds, milliseconds or nanoseconds; None if unset."""
    if value is None or value == "":
        return None
    try:
        number = int(value) if not isinstance(value, float) else value
        micros = number // 1000 if unit == "ns" else number * (1000 if unit == "ms" else 1_000_000)
        return _EPOCH + timedelta(microseconds=micros)
    except (ValueError, OverflowError):
        return None


_SPAN = re.compile(r"^(\d{1,6})\s*(m|min|h|d|w)$")
_UNIT = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def moment(text: str, now: datetime | None = None) -> datetime:
    """A point in time: ISO-8601 (a date or a time, UTC unless it names a zone), or a span back from now such as
    ``7d``, ``12h``, ``30m`` or ``2w``. Raises UsageError."""
    value = text.strip().lower()
    span = _SPAN.match(value)
    if span:
        return (now or datetime.now(timezone.utc)) - timedelta(**{_UNIT[span.group(2)]: int(span.group(1))})
    parsed = _parse_iso(text) if value and not value.lstrip("-").isdigit() else None
    if parsed is None:
        raise UsageError(
            f"Not a time: {text[:40]!r}.",
            hint="Give an ISO-8601 date or time (2026-05-01, 2026-05-01T08:00Z) or a "
            "span back from now (30m, 12h, 7d, 2w).",
        )
    return parsed
