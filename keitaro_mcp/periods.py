"""Periods people say, turned into Keitaro's report `range` body.

Keitaro knows nine interval presets (`today` ... `all_time`) and explicit `from`/`to`. People also say "last 30
days", "last week", "this month", "on March 3rd". `PeriodArgs` is the one argument set every period-taking tool
shares (build_report, compare_periods, list_clicks, list_conversions, exports); `resolve_range` turns it into the
`range` body that is sent, and that exact body is echoed in the envelope as `meta.range`.

Timezone: the `timezone` argument when given (the caller said which clock they mean), else `KEITARO_TIMEZONE` (the
tracker's zone as configured for this server), else UTC. It is always sent: without it Keitaro's day boundaries
depend on user settings. Our own periods (`days`, `this_week`, `last_month`, `date`, ...) are resolved to calendar
dates in that zone and sent as inclusive `from`/`to` dates; Keitaro's presets are sent as `interval`, so the
tracker's own clock and semantics apply.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from keitaro_mcp.settings import Settings

__all__ = [
    "KEITARO_INTERVALS",
    "OUR_PERIODS",
    "Period",
    "PeriodArgs",
    "field_error",
    "preset_dates",
    "range_dates",
    "resolve_range",
    "tracker_now",
    "zone_for",
]

KeitaroInterval = Literal[
    "today",
    "yesterday",
    "7_days_ago",
    "first_day_of_this_week",
    "1_month_ago",
    "first_day_of_this_month",
    "1_year_ago",
    "first_day_of_this_year",
    "all_time",
]
OurPeriod = Literal["this_week", "last_week", "this_month", "last_month"]
Period = Literal[KeitaroInterval, OurPeriod]

KEITARO_INTERVALS: tuple[str, ...] = get_args(KeitaroInterval)
OUR_PERIODS: tuple[str, ...] = get_args(OurPeriod)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")
DATE_FORMATS = "YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]"

DateTimeText = Annotated[str, Field(description="YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS].")]


def field_error(field: str, kind: str, message: str, given: Any = None) -> ValidationError:
    """A ValidationError located at `field` (raised from a model validator, it keeps its location)."""
    details = InitErrorDetails(type=PydanticCustomError(kind, message), loc=(field,), input=given)
    return ValidationError.from_exception_data("arguments", [details])


def _parse_datetime(value: str) -> datetime:
    """Naive local datetime of `YYYY-MM-DD[ HH:MM[:SS]]`; ValueError when malformed."""
    m = _DATETIME.match(value.strip())
    if not m:
        raise ValueError(f"expected {DATE_FORMATS}")
    day = date.fromisoformat(m.group(1))
    hh, mm, ss = (int(g) if g else 0 for g in m.group(2, 3, 4))
    return datetime(day.year, day.month, day.day, hh, mm, ss)


def _normalize(value: str) -> str:
    """`2026-01-07T10:00` -> `2026-01-07 10:00`; dates stay dates."""
    parsed = _parse_datetime(value)
    if _DATE.match(value.strip()):
        return parsed.strftime("%Y-%m-%d")
    has_seconds = value.strip().count(":") == 2
    return parsed.strftime("%Y-%m-%d %H:%M:%S" if has_seconds else "%Y-%m-%d %H:%M")


class PeriodArgs(BaseModel):
    """Mixin: one of period, days, date, or from+to; timezone optional."""

    # Same config as operations._common.Params (not imported: operations/__init__ imports the tools that import us).
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, populate_by_name=True)

    period: Period | None = None
    """Keitaro preset or this_week/last_week/this_month/last_month."""
    days: int | None = Field(default=None, ge=1, le=3660)
    """Last N calendar days, today included."""
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    """One day, YYYY-MM-DD."""
    from_: DateTimeText | None = Field(default=None, alias="from")
    to: DateTimeText | None = None
    """Inclusive; a bare date covers the whole day."""
    timezone: str | None = None
    """IANA zone, e.g. Europe/Berlin; default the tracker's."""

    @field_validator("from_", "to")
    @classmethod
    def _check_datetime(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return _normalize(value)
        except ValueError:
            raise PydanticCustomError(
                "date", "not a valid date; expected {formats}", {"formats": DATE_FORMATS}
            ) from None

    @field_validator("date")
    @classmethod
    def _check_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise PydanticCustomError("date", "not a calendar date; expected YYYY-MM-DD") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "timezone", "unknown timezone {tz}; use an IANA name such as UTC, Europe/Berlin", {"tz": repr(value)}
            ) from None
        return value.strip()

    @model_validator(mode="after")
    def _one_period(self) -> PeriodArgs:
        if (self.from_ is None) != (self.to is None):
            missing = "to" if self.to is None else "from"
            raise field_error(missing, "range", "give both from and to, or neither")
        given = [
            name
            for name, value in (("period", self.period), ("days", self.days), ("date", self.date))
            if value is not None
        ]
        if self.from_ is not None:
            given.append("from/to")
        if len(given) > 1:
            raise field_error(given[1], "period", f"give one of period, days, date, from/to; got {', '.join(given)}")
        if self.from_ is not None and self.to is not None:
            start, end = _parse_datetime(self.from_), _parse_datetime(self.to)
            if start > end:
                raise field_error("from", "range", f"from {self.from_} is after to {self.to}", self.from_)
        return self

    def has_period(self) -> bool:
        return any(v is not None for v in (self.period, self.days, self.date, self.from_))


def zone_for(args: PeriodArgs, settings: Settings) -> str:
    """The argument, else KEITARO_TIMEZONE, else UTC."""
    return args.timezone or settings.timezone or "UTC"


def tracker_now(tz: str, now: datetime | None = None) -> datetime:
    """The current wall-clock time in `tz` (aware)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz))


def _month_start(day: date, months_back: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return date(year, month + 1, 1)


def _months_back(day: date, months: int) -> date:
    first = _month_start(day, months)
    for d in (day.day, 31, 30, 29, 28):
        try:
            return first.replace(day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def preset_dates(period: str, today: date) -> tuple[date, date] | None:
    """Inclusive local dates of any named period (None for all_time); Keitaro's presets as the sandbox models them."""
    monday = today - timedelta(days=today.weekday())
    table: dict[str, tuple[date, date] | None] = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "7_days_ago": (today - timedelta(days=6), today),
        "first_day_of_this_week": (monday, today),
        "1_month_ago": (_months_back(today, 1), today),
        "first_day_of_this_month": (today.replace(day=1), today),
        "1_year_ago": (_months_back(today, 12), today),
        "first_day_of_this_year": (today.replace(month=1, day=1), today),
        "all_time": None,
        "this_week": (monday, today),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (today.replace(day=1), today),
        "last_month": (_month_start(today, 1), today.replace(day=1) - timedelta(days=1)),
    }
    return table[period]


def resolve_range(
    args: PeriodArgs, settings: Settings, now: datetime | None = None, *, default: Period = "today"
) -> dict[str, Any]:
    """Keitaro's `range` body: `{interval, timezone}` for its presets, else `{from, to, timezone}` (inclusive)."""
    tz = zone_for(args, settings)
    if args.from_ is not None and args.to is not None:
        return {"from": args.from_, "to": args.to, "timezone": tz}
    if args.date is not None:
        return {"from": args.date, "to": args.date, "timezone": tz}
    today = tracker_now(tz, now).date()
    if args.days is not None:
        return {"from": (today - timedelta(days=args.days - 1)).isoformat(), "to": today.isoformat(), "timezone": tz}
    period = args.period or default
    if period in KEITARO_INTERVALS:
        return {"interval": period, "timezone": tz}
    span = preset_dates(period, today)
    assert span is not None
    return {"from": span[0].isoformat(), "to": span[1].isoformat(), "timezone": tz}


def range_dates(range_: dict[str, Any], now: datetime | None = None) -> tuple[str, str] | None:
    """The local from/to dates a range covers (presets resolved on our clock), for display; None for all_time."""
    if "interval" not in range_:
        return str(range_["from"]), str(range_["to"])
    span = preset_dates(str(range_["interval"]), tracker_now(str(range_["timezone"]), now).date())
    return None if span is None else (span[0].isoformat(), span[1].isoformat())
