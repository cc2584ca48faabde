"""Times as the vendors send them (ISO strings in any precision, epoch numbers in s, ms or ns) as UTC datetimes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal


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
