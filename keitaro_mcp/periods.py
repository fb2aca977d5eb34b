"""Periods people say, turned into Keitaro's report `range` body.

Keitaro knows nine interval presets (`today` ... `all_time`) and explicit `from`/`to`. People also say "last 30
days", "last week", "this month", "on March 3rd". `PeriodArgs` is the one argument set every period-taking tool
shares (build_report, compare_periods, list_clicks, list_conversions, exports): a single `period` string (lean in
tools/list, where it appears in several default tools) and an optional `timezone`. `period` is one of

    a Keitaro preset     today, yesterday, 7_days_ago, first_day_of_this_week, 1_month_ago, first_day_of_this_month,
                         1_year_ago, first_day_of_this_year, all_time          -> sent as {interval, timezone}
    ours                 this_week, last_week, this_month, last_month, last_N_days (today included)
    one day              YYYY-MM-DD
    from..to             FROM..TO, each YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], inclusive
                                                                               -> sent as {from, to, timezone}

For callers that think in fields, `from`+`to`, `date` and `days` are accepted too (folded into `period`; they are
not advertised in the schema to keep it small).

Timezone: the `timezone` argument when given (the caller said which clock they mean), else `KEITARO_TIMEZONE` (the
tracker's zone as configured for this server), else UTC. It is always sent: without it Keitaro's day boundaries
depend on user settings. Our periods are resolved to calendar dates in that zone; Keitaro's presets are sent as
`interval`, so the tracker's own clock applies. The exact range sent is echoed as `meta.range`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol, get_args
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from keitaro_mcp.attribute_docs import apply_attribute_docstrings
from keitaro_mcp.strictness import StrictScalars
from keitaro_mcp.zones import is_zone

__all__ = [
    "KEITARO_INTERVALS",
    "OUR_PERIODS",
    "PERIOD_HELP",
    "ParsedPeriod",
    "PeriodArgs",
    "Zoned",
    "check_timezone",
    "comparison_spans",
    "field_error",
    "normalize_datetime",
    "parse_period",
    "period_dates",
    "preset_dates",
    "previous_span",
    "resolve_range",
    "tracker_now",
    "utc_now",
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

KEITARO_INTERVALS: tuple[str, ...] = get_args(KeitaroInterval)
OUR_PERIODS: tuple[str, ...] = get_args(OurPeriod)
PERIOD_HELP = (
    "today, yesterday, last_N_days, this_week, last_week, this_month, last_month, all_time, YYYY-MM-DD or FROM..TO "
    "(keitaro://catalog/periods)"
)

# ASCII digits only: `\d` would take Arabic-Indic or full-width digits, which int() reads and Keitaro does not.
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_LAST_DAYS = re.compile(r"last_(\d{1,4})_days?", re.ASCII)
FIRST_YEAR, LAST_YEAR = 1970, 2100
"""Dates Keitaro can hold (its click times are Unix-epoch based); year 0 or 9999 can only be a mistake."""
DATE_FORMATS = "YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]"
MAX_DAYS = 3660


def field_error(field: str, kind: str, message: str, given: Any = None) -> ValidationError:
    """A ValidationError located at `field` (raised from a model validator, it keeps its location)."""
    details = InitErrorDetails(type=PydanticCustomError(kind, message), loc=(field,), input=given)
    return ValidationError.from_exception_data("arguments", [details])


def check_timezone(value: str) -> str:
    """The IANA name, stripped; ValueError naming what is allowed when the zone is unknown."""
    if not is_zone(value.strip()):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise ValueError(f"unknown timezone {shown!r}; use an IANA name such as UTC, Europe/Berlin")
    return value.strip()


def _parse_datetime(value: str) -> datetime:
    """Naive local datetime of `YYYY-MM-DD[ HH:MM[:SS]]`; ValueError when malformed."""
    m = _DATETIME.fullmatch(value.strip())
    if not m:
        raise ValueError(f"{_shown(value)} is not {DATE_FORMATS}")
    try:
        day = date.fromisoformat(m.group(1))
        hh, mm, ss = (int(g) if g else 0 for g in m.group(2, 3, 4))
        parsed = datetime(day.year, day.month, day.day, hh, mm, ss)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a calendar date/time") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(f"{_shown(value)}: the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return parsed


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def normalize_datetime(value: str) -> str:
    """`2026-01-07T10:00` -> `2026-01-07 10:00`; dates stay dates; ValueError when not a calendar date/time."""
    text = value.strip()
    parsed = _parse_datetime(text)
    if len(text) == 10:
        return parsed.strftime("%Y-%m-%d")
    return parsed.strftime("%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ParsedPeriod:
    """One of: a named period (preset or ours), the last N days, or explicit inclusive from/to."""

    name: str | None = None
    days: int | None = None
    start: str | None = None
    end: str | None = None


def parse_period(text: str) -> ParsedPeriod:
    """Parse a `period` string; ValueError says what is allowed."""
    value = text.strip()
    lowered = value.lower()
    if lowered in KEITARO_INTERVALS or lowered in OUR_PERIODS:
        return ParsedPeriod(name=lowered)
    m = _LAST_DAYS.fullmatch(lowered)
    if m:
        days = int(m.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"last_N_days needs N from 1 to {MAX_DAYS}")
        return ParsedPeriod(days=days)
    if ".." in value:
        first, _, second = value.partition("..")
        start, end = normalize_datetime(first), normalize_datetime(second)
        if _parse_datetime(start) > _parse_datetime(end):
            raise ValueError(f"from {start} is after to {end}")
        return ParsedPeriod(start=start, end=end)
    if _DATETIME.fullmatch(value):
        day = normalize_datetime(value)
        if len(day) != 10:
            raise ValueError("a single day is YYYY-MM-DD; for hours use FROM..TO")
        return ParsedPeriod(start=day, end=day)
    raise ValueError(f"unknown period {text!r}; use {PERIOD_HELP}")


class PeriodArgs(StrictScalars):
    """Mixin: `period` and `timezone`."""

    # Same config as operations._common.Params (not imported: operations/__init__ imports the tools that import us).
    # Attribute docstrings are applied by keitaro_mcp.attribute_docs (pydantic's own reader walks the stack per
    # class, the largest start-up cost); schemas are built on first use.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        apply_attribute_docstrings(cls)

    period: str | None = None
    """today, yesterday, last_N_days, this_week, last_week, this_month, last_month, all_time, YYYY-MM-DD, FROM..TO."""
    # An IANA name; its default (the tracker's) is said once, in the periods resource, not in seven schemas.
    timezone: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_fields(cls, data: Any) -> Any:
        """`from`/`to`, `date` and `days` (not advertised) become `period`."""
        if not isinstance(data, dict) or not any(k in data for k in ("from", "to", "date", "days")):
            return data
        data = dict(data)
        start, end = data.pop("from", None), data.pop("to", None)
        day, days = data.pop("date", None), data.pop("days", None)
        given = [n for n, v in (("period", data.get("period")), ("date", day), ("days", days)) if v is not None]
        if start is not None or end is not None:
            given.append("from/to")
            if start is None or end is None:
                raise field_error("to" if end is None else "from", "range", "give both from and to, or neither")
            for name, value in (("from", start), ("to", end)):
                try:
                    normalize_datetime(str(value))
                except ValueError as exc:
                    raise field_error(name, "date", str(exc), value) from None
            if _parse_datetime(str(start)) > _parse_datetime(str(end)):
                raise field_error("from", "range", f"from {start} is after to {end}", start)
            data["period"] = f"{start}..{end}"
        if len(given) > 1:
            raise field_error(given[1], "period", f"give one period; got {', '.join(given)}")
        if day is not None:
            data["period"] = str(day)
        if days is not None:
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
                raise field_error("days", "days", f"days must be a whole number from 1 to {MAX_DAYS}", days)
            data["period"] = f"last_{days}_days"
        return data

    @field_validator("period")
    @classmethod
    def _check_period(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > 60:
            raise PydanticCustomError("period", "too long; use {help}", {"help": PERIOD_HELP})
        try:
            parse_period(value)
        except ValueError as exc:
            raise PydanticCustomError("period", "{problem}", {"problem": str(exc)}) from None
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_timezone(value)
        except ValueError as exc:
            raise PydanticCustomError("timezone", "{problem}", {"problem": str(exc)}) from None

    def has_period(self) -> bool:
        return self.period is not None

    def parsed_period(self) -> ParsedPeriod | None:
        return None if self.period is None else parse_period(self.period)


apply_attribute_docstrings(PeriodArgs)  # subclasses get theirs from __pydantic_init_subclass__


class Zoned(Protocol):
    """Where a default timezone comes from: the call's tracker (or the settings it was built from)."""

    @property
    def timezone(self) -> str | None: ...


def zone_for(args: PeriodArgs, tracker: Zoned) -> str:
    """The argument, else the tracker's timezone (KEITARO_TIMEZONE), else UTC."""
    return args.timezone or tracker.timezone or "UTC"


def utc_now() -> datetime:
    """The wall clock, in UTC (aware): the one clock the server reads."""
    return datetime.now(UTC)


def tracker_now(tz: str, now: datetime | None = None) -> datetime:
    """The current wall-clock time in `tz` (aware)."""
    return (now or utc_now()).astimezone(ZoneInfo(tz))


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
    """Inclusive local dates of a named period (None for all_time); Keitaro's presets as the sandbox models them."""
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


def _range_of(parsed: ParsedPeriod, tz: str, now: datetime | None) -> dict[str, Any]:
    if parsed.start is not None and parsed.end is not None:
        return {"from": parsed.start, "to": parsed.end, "timezone": tz}
    today = tracker_now(tz, now).date()
    if parsed.days is not None:
        return {"from": (today - timedelta(days=parsed.days - 1)).isoformat(), "to": today.isoformat(), "timezone": tz}
    assert parsed.name is not None
    if parsed.name in KEITARO_INTERVALS:
        return {"interval": parsed.name, "timezone": tz}
    span = preset_dates(parsed.name, today)
    assert span is not None
    return {"from": span[0].isoformat(), "to": span[1].isoformat(), "timezone": tz}


def resolve_range(
    args: PeriodArgs, tracker: Zoned, now: datetime | None = None, *, default: str = "today"
) -> dict[str, Any]:
    """Keitaro's `range` body: `{interval, timezone}` for its presets, else `{from, to, timezone}` (inclusive)."""
    return _range_of(args.parsed_period() or parse_period(default), zone_for(args, tracker), now)


def period_dates(period: str, tz: str, now: datetime | None = None) -> tuple[date, date] | None:
    """The inclusive local dates a period covers (presets resolved on our clock); None for all_time."""
    parsed = parse_period(period)
    if parsed.start is not None and parsed.end is not None:
        return _parse_datetime(parsed.start).date(), _parse_datetime(parsed.end).date()
    today = tracker_now(tz, now).date()
    if parsed.days is not None:
        return today - timedelta(days=parsed.days - 1), today
    assert parsed.name is not None
    return preset_dates(parsed.name, today)


Span = tuple[date, date]
"""Inclusive local dates (first day, last day)."""


def previous_span(period: str | None, start: date, end: date) -> Span:
    """The span a period is compared with: the same length just before; weeks and months shift by one week or month
    (this_month 1-4 -> last month 1-4, last_month -> the month before it)."""
    if period in ("this_week", "first_day_of_this_week", "last_week"):
        return start - timedelta(days=7), end - timedelta(days=7)
    if period in ("this_month", "first_day_of_this_month"):
        return _months_back(start, 1), _months_back(end, 1)
    if period == "last_month":
        prev_end = start - timedelta(days=1)
        return prev_end.replace(day=1), prev_end
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def comparison_spans(period: str | None, against: str, tz: str, now: datetime | None = None) -> tuple[Span, Span]:
    """(this span, the span it is compared with) as explicit dates, so the two ranges sent are exact and comparable.
    `period` defaults to today; `against` is `previous` or a period. all_time has no dates: ValueError."""
    span = period_dates(period or "today", tz, now)
    if span is None:
        raise ValueError("all_time cannot be compared; choose a bounded period")
    if against == "previous":
        return span, previous_span(period, *span)
    other = period_dates(against, tz, now)
    if other is None:
        raise ValueError("all_time cannot be compared; choose a bounded period")
    return span, other
