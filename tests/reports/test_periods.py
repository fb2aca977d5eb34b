"""Periods people say, resolved to Keitaro's range at a fixed moment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from keitaro_mcp.periods import PeriodArgs, comparison_spans, period_dates, previous_span, resolve_range
from tests.conftest import make_settings

# Sunday 1 March 2026, 02:30 UTC: still Saturday 28 February in New York.
NOW = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
UTC_SETTINGS = make_settings()


def rng(args: dict[str, Any], settings: Any = UTC_SETTINGS) -> dict[str, Any]:
    return resolve_range(PeriodArgs.model_validate(args), settings, NOW)


@pytest.mark.parametrize(
    ("period", "sent"),
    [
        ("today", {"interval": "today"}),
        ("7_days_ago", {"interval": "7_days_ago"}),
        ("all_time", {"interval": "all_time"}),
        ("yesterday", {"interval": "yesterday"}),
        ("last_7_days", {"from": "2026-02-23", "to": "2026-03-01"}),
        ("last_1_day", {"from": "2026-03-01", "to": "2026-03-01"}),
        ("this_week", {"from": "2026-02-23", "to": "2026-03-01"}),
        ("last_week", {"from": "2026-02-16", "to": "2026-02-22"}),
        ("this_month", {"from": "2026-03-01", "to": "2026-03-01"}),
        ("last_month", {"from": "2026-02-01", "to": "2026-02-28"}),
        ("2026-02-14", {"from": "2026-02-14", "to": "2026-02-14"}),
        ("2026-02-01..2026-02-07", {"from": "2026-02-01", "to": "2026-02-07"}),
        ("2026-02-01 10:00..2026-02-01T18:30:15", {"from": "2026-02-01 10:00", "to": "2026-02-01 18:30:15"}),
        ("Last_Week", {"from": "2026-02-16", "to": "2026-02-22"}),
    ],
)
def test_periods_in_utc(period: str, sent: dict[str, str]) -> None:
    assert rng({"period": period}) == {**sent, "timezone": "UTC"}


def test_default_is_today() -> None:
    assert rng({}) == {"interval": "today", "timezone": "UTC"}
    assert resolve_range(PeriodArgs(), UTC_SETTINGS, NOW, default="all_time")["interval"] == "all_time"


def test_the_tracker_timezone_moves_the_calendar() -> None:
    ny = make_settings(KEITARO_TIMEZONE="America/New_York")
    assert rng({"period": "last_month"}, ny) == {
        "from": "2026-01-01",
        "to": "2026-01-31",
        "timezone": "America/New_York",
    }
    assert rng({"period": "this_month"}, ny)["from"] == "2026-02-01"
    # The argument wins over KEITARO_TIMEZONE: the caller said which clock they mean.
    assert rng({"period": "last_month", "timezone": "Asia/Tokyo"}, ny) == {
        "from": "2026-02-01", "to": "2026-02-28", "timezone": "Asia/Tokyo",
    }  # fmt: skip


def test_field_forms_are_folded_into_period() -> None:
    assert rng({"from": "2026-01-01", "to": "2026-01-31"}) == {"from": "2026-01-01", "to": "2026-01-31",
                                                                "timezone": "UTC"}  # fmt: skip
    assert rng({"date": "2026-02-02"})["from"] == "2026-02-02"
    assert rng({"days": 30}) == {"from": "2026-01-31", "to": "2026-03-01", "timezone": "UTC"}
    assert PeriodArgs.model_validate({"days": 3}).has_period()
    assert not PeriodArgs().has_period()


def test_period_dates_resolve_presets_on_our_clock() -> None:
    assert period_dates("1_month_ago", "UTC", NOW) == (datetime(2026, 2, 1).date(), datetime(2026, 3, 1).date())
    assert period_dates("first_day_of_this_year", "UTC", NOW)[0].isoformat() == "2026-01-01"  # type: ignore[index]
    assert period_dates("all_time", "UTC", NOW) is None


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "start", "end", "before"),
    [
        # Same length just before.
        ("last_7_days", "2026-02-23", "2026-03-01", ("2026-02-16", "2026-02-22")),
        (None, "2026-03-01", "2026-03-01", ("2026-02-28", "2026-02-28")),
        # Weeks shift by a week, months by a calendar month (day clamped to the shorter month).
        ("this_week", "2026-02-23", "2026-03-01", ("2026-02-16", "2026-02-22")),
        ("this_month", "2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28")),
        ("this_month", "2024-03-01", "2024-03-30", ("2024-02-01", "2024-02-29")),
        ("last_month", "2026-02-01", "2026-02-28", ("2026-01-01", "2026-01-31")),
        ("first_day_of_this_month", "2026-01-01", "2026-01-15", ("2025-12-01", "2025-12-15")),
    ],
)
def test_previous_span(period: str | None, start: str, end: str, before: tuple[str, str]) -> None:
    assert previous_span(period, d(start), d(end)) == (d(before[0]), d(before[1]))


def test_comparison_spans() -> None:
    assert comparison_spans("last_week", "previous", "UTC", NOW) == (
        (d("2026-02-16"), d("2026-02-22")), (d("2026-02-09"), d("2026-02-15")),
    )  # fmt: skip
    assert comparison_spans(None, "2025-03-01", "UTC", NOW) == ((d("2026-03-01"),) * 2, (d("2025-03-01"),) * 2)
    for period, against in (("all_time", "previous"), ("today", "all_time")):
        with pytest.raises(ValueError, match="all_time"):
            comparison_spans(period, against, "UTC", NOW)


@pytest.mark.parametrize(
    ("args", "field", "says"),
    [
        ({"period": "last_30_dayz"}, "period", "unknown period"),
        ({"period": "last_0_days"}, "period", "1 to 3660"),
        ({"period": "2026-02-30"}, "period", "calendar"),
        ({"period": "2026-02-01 10:00"}, "period", "FROM..TO"),
        ({"period": "2026-02-08..2026-02-01"}, "period", "after to"),
        ({"period": "x" * 61}, "period", "too long"),
        ({"from": "2026-02-08", "to": "2026-02-01"}, "from", "after to"),
        ({"from": "2026-02-08"}, "to", "both"),
        ({"to": "2026-02-08"}, "from", "both"),
        ({"from": "yesterday", "to": "2026-02-08"}, "from", "YYYY-MM-DD"),
        ({"period": "today", "days": 3}, "days", "one period"),
        ({"days": 0}, "days", "1 to 3660"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "IANA"),
        ({"period": "today", "extra": 1}, "extra", "Extra inputs"),
    ],
)
def test_bad_periods_name_the_field(args: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PeriodArgs.model_validate(args)
    errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in caught.value.errors()}
    assert field in errors and says in errors[field], errors
