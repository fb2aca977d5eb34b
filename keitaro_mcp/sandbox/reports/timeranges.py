"""Report ranges: ``{from, to, timezone, interval}`` resolved to UTC epoch bounds.

Clicks are stored with UTC epoch seconds. Day/hour dimensions must be computed in the
request's IANA zone, and SQLite knows nothing about zones, so :func:`local_time_sql` turns the
zone's UTC offsets over the queried span into a ``CASE`` on the epoch column (a zone changes
offset a couple of times a year at most, so the expression stays tiny and fast).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

INTERVALS = (
    "today",
    "yesterday",
    "7_days_ago",
    "first_day_of_this_week",
    "1_month_ago",
    "first_day_of_this_month",
    "1_year_ago",
    "first_day_of_this_year",
    "all_time",
)


class RangeError(ValueError):
    pass


@dataclass(frozen=True)
class Span:
    start: int | None  # inclusive, UTC epoch seconds; None = unbounded
    end: int | None  # exclusive
    tz: ZoneInfo


def zone(name: Any) -> ZoneInfo:
    if name in (None, ""):
        return ZoneInfo("UTC")
    if not isinstance(name, str):
        raise RangeError("timezone must be a string")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RangeError(f"Unknown timezone {name!r}") from exc


def _local_midnight(day: date, tz: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


_DT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")


def parse_local(value: Any, tz: ZoneInfo, *, end: bool) -> int:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM[:SS]`` in ``tz``. An end bound is inclusive in Keitaro
    (``to: 2026-01-07`` covers that whole day), so it is returned as the exclusive next instant."""
    if not isinstance(value, str):
        raise RangeError(f"Bad date {value!r}: expected YYYY-MM-DD or YYYY-MM-DD HH:MM")
    m = _DT.match(value.strip())
    if not m:
        raise RangeError(f"Bad date {value!r}: expected YYYY-MM-DD or YYYY-MM-DD HH:MM")
    try:
        day = date.fromisoformat(m.group(1))
        hh, mm, ss = (int(g) if g else 0 for g in m.group(2, 3, 4))
        local = datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=tz)
    except ValueError as exc:
        raise RangeError(f"Bad date {value!r}") from exc
    epoch = int(local.timestamp())
    if end:
        if m.group(2) is None:
            return _local_midnight(day + timedelta(days=1), tz)
        return epoch + (1 if m.group(4) else 60)
    return epoch


def resolve(range_: Any, now: datetime) -> Span:
    """Resolve a ``RangeRequest``. ``interval`` wins over ``from``/``to`` when both are sent."""
    if range_ is None:
        range_ = {}
    if not isinstance(range_, dict):
        raise RangeError("range must be an object")
    tz = zone(range_.get("timezone"))
    interval = range_.get("interval")
    if interval not in (None, ""):
        if interval not in INTERVALS:
            raise RangeError(f"Unknown interval {interval!r}; valid: {', '.join(INTERVALS)}")
        today = now.astimezone(tz).date()
        tomorrow = _local_midnight(today + timedelta(days=1), tz)
        starts: dict[str, date | None] = {
            "today": today,
            "yesterday": today - timedelta(days=1),
            "7_days_ago": today - timedelta(days=6),  # seven calendar days including today
            "first_day_of_this_week": today - timedelta(days=today.weekday()),  # Monday
            "1_month_ago": _months_back(today, 1),
            "first_day_of_this_month": today.replace(day=1),
            "1_year_ago": _months_back(today, 12),
            "first_day_of_this_year": today.replace(month=1, day=1),
            "all_time": None,
        }
        start_day = starts[interval]
        if start_day is None:
            return Span(None, None, tz)
        end = _local_midnight(today, tz) if interval == "yesterday" else tomorrow
        return Span(_local_midnight(start_day, tz), end, tz)
    start = parse_local(range_["from"], tz, end=False) if range_.get("from") else None
    stop = parse_local(range_["to"], tz, end=True) if range_.get("to") else None
    return Span(start, stop, tz)


def offsets(tz: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int]]:
    """``[(since_epoch, utc_offset_seconds), ...]`` covering ``[lo, hi]``."""

    def off(t: int) -> int:
        delta = datetime.fromtimestamp(t, UTC).astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    result = [(lo, off(lo))]
    t = lo
    step = 3600
    while t < hi:
        nxt = min(t + step, hi)
        if off(nxt) != result[-1][1]:
            a, b = t, nxt  # the change happens in (a, b]
            while b - a > 1:
                mid = (a + b) // 2
                if off(mid) == result[-1][1]:
                    a = mid
                else:
                    b = mid
            result.append((b, off(b)))
        t = nxt
    return result


def local_time_sql(column: str, tz: ZoneInfo, lo: int, hi: int) -> str:
    """SQL for the local wall-clock epoch of ``column`` (UTC epoch) in ``tz``."""
    table = offsets(tz, lo, hi)
    if len(table) == 1:
        return f"({column} + {table[0][1]})"
    parts = " ".join(
        f"WHEN {column} < {since} THEN {prev_off}"
        for (since, _), (_, prev_off) in zip(table[1:], table[:-1], strict=True)
    )
    return f"({column} + CASE {parts} ELSE {table[-1][1]} END)"
