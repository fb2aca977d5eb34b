"""Every result states its range with explicit dates, whatever the period form, and the currency of its money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.ranges import explicit_range
from keitaro_mcp.report_catalog import KEITARO_PRESETS, PERIODS
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import SettingsError
from tests.conftest import RecordingTransport, make_settings
from tests.reports.conftest import today_in

pytestmark = pytest.mark.anyio

# Sunday 1 March 2026, 02:30 UTC: still Saturday 28 February in New York.
NOW = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("interval", "tz", "first", "last"),
    [
        ("today", "UTC", "2026-03-01", "2026-03-01"),
        ("today", "America/New_York", "2026-02-28", "2026-02-28"),
        ("yesterday", "UTC", "2026-02-28", "2026-02-28"),
        ("7_days_ago", "UTC", "2026-02-23", "2026-03-01"),
        ("first_day_of_this_week", "UTC", "2026-02-23", "2026-03-01"),
        ("1_month_ago", "UTC", "2026-02-01", "2026-03-01"),
        ("first_day_of_this_month", "UTC", "2026-03-01", "2026-03-01"),
        ("1_year_ago", "UTC", "2025-03-01", "2026-03-01"),
        ("first_day_of_this_year", "UTC", "2026-01-01", "2026-03-01"),
        ("all_time", "UTC", "2025-11-05", "2026-03-01"),
    ],
)
def test_a_preset_is_stated_as_its_dates(interval: str, tz: str, first: str, last: str) -> None:
    sent = {"interval": interval, "timezone": tz}
    stated = explicit_range(sent, first_day=date(2025, 11, 5), now=NOW)
    assert stated == {"interval": interval, "from": first, "to": last, "timezone": tz}


def test_explicit_dates_are_stated_as_sent_and_an_unknown_first_day_is_null() -> None:
    sent = {"from": "2026-02-01", "to": "2026-02-03 12:00", "timezone": "Europe/Berlin"}
    assert explicit_range(sent, first_day=None, now=NOW) == sent
    assert explicit_range({"interval": "all_time", "timezone": "UTC"}, first_day=None, now=NOW)["from"] is None


EXAMPLES = {"last_N_days": "last_3_days", "YYYY-MM-DD": "2026-01-05", "FROM..TO": "2026-01-05..2026-01-06 12:00"}
FORMS = [EXAMPLES.get(name, name) for name in (*PERIODS, *KEITARO_PRESETS)]


@pytest.mark.parametrize("period", FORMS)
async def test_every_period_form_comes_back_with_dates_and_currency(period: str, wire: RecordingTransport) -> None:
    settings = make_settings(KEITARO_CURRENCY="eur", KEITARO_TIMEZONE="Asia/Tokyo")
    async with Client(build_server(settings, transport=wire), raise_exceptions=True) as client:
        for tool, args in (("build_report", {"measures": ["clicks"]}), ("list_clicks", {"limit": 1})):
            before = today_in("Asia/Tokyo")
            result = await client.call_tool(tool, {"period": period, **args})
            envelope: Any = result.structured_content
            assert envelope["success"], envelope
            stated = envelope["meta"]["range"]
            assert stated["timezone"] == "Asia/Tokyo" and envelope["meta"]["currency"] == "EUR"
            start, end = stated["from"], stated["to"]
            assert start and end and start[:10] <= end[:10], stated
            date.fromisoformat(start[:10])
            if period == "all_time":
                # Today: the day before the call or, when it crossed midnight, after it.
                assert end in (str(before), str(today_in("Asia/Tokyo"))), "all_time runs to today"


async def test_all_time_starts_on_the_day_of_the_first_click(sandbox: Any, wire: RecordingTransport) -> None:
    with sandbox.store.lock:
        (first,) = sandbox.connection().execute("SELECT min(dt) FROM clicks").fetchone()
    first_day = datetime.fromtimestamp(first, UTC).date()
    async with Client(build_server(make_settings(), transport=wire), raise_exceptions=True) as client:
        result = await client.call_tool("build_report", {"period": "all_time", "measures": ["clicks"]})
        again = await client.call_tool("build_report", {"period": "all_time", "measures": ["conversions"]})
    envelope: Any = result.structured_content
    assert envelope["meta"]["range"]["from"] == str(first_day)
    assert first_day > today_in("UTC") - timedelta(days=400)
    lookups = [s for s in wire.sent if s.path == "/clicks/log" and s.body["columns"] == ["datetime"]]
    assert len(lookups) == 1, "the first click day is read once, then remembered"
    assert (again.structured_content or {})["meta"]["range"] == envelope["meta"]["range"]


def test_the_currency_setting_is_a_three_letter_code() -> None:
    assert make_settings(KEITARO_CURRENCY=" usd ").currency == "USD"
    assert make_settings(KEITARO_URL="sandbox").currency is None  # the setting; the sandbox tracker says USD
    with pytest.raises(SettingsError, match="KEITARO_CURRENCY"):
        make_settings(KEITARO_CURRENCY="dollars")


async def test_the_sandbox_tracker_keeps_its_books_in_usd() -> None:
    settings = make_settings(KEITARO_URL="sandbox", KEITARO_API_KEY="")
    async with Client(build_server(settings), raise_exceptions=True) as client:
        result = await client.call_tool("build_report", {"period": "yesterday", "measures": ["revenue"]})
    assert (result.structured_content or {})["meta"]["currency"] == "USD"


@pytest.mark.parametrize(("period", "day"), [("yesterday", "2026-11-30"), ("today", "2026-12-01")])
async def test_a_call_whose_answer_ends_after_midnight_states_the_days_it_asked_for(
    period: str, day: str, wire: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keitaro resolves the preset when the request arrives (one second before midnight); the answer ends after it.
    asked, answered = datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC), datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC)

    def clock() -> datetime:
        return answered if wire.sent else asked

    monkeypatch.setattr("keitaro_mcp.periods.utc_now", clock)
    monkeypatch.setattr("keitaro_mcp.context.utc_now", clock)
    async with Client(build_server(make_settings(KEITARO_TIMEZONE="UTC"), transport=wire)) as client:
        result = await client.call_tool("build_report", {"period": period, "measures": ["clicks"]})
    envelope: Any = result.structured_content
    assert wire.sent and envelope["meta"]["range"] == {"interval": period, "from": day, "to": day, "timezone": "UTC"}
