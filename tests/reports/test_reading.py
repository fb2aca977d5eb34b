"""What keitaro://catalog/reports says about reading results holds on the tracker: measure filters keep grouped rows,
the summary covers every kept row, a week row is labelled by its Monday and counts only the period's days, the
empty row groups clicks without a value."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.report_catalog import READING
from keitaro_mcp.server import build_server
from tests.conftest import Kt, make_settings, records
from tests.reports.conftest import Days, Truth, bounds, today_in

pytestmark = pytest.mark.anyio


async def test_the_reading_notes_are_a_resource_build_report_points_to() -> None:
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="reports")), raise_exceptions=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        contents = (await client.read_resource("keitaro://catalog/reports")).contents
    assert json.loads(getattr(contents[0], "text", "")) == READING
    assert "keitaro://catalog/reports" in (tools["build_report"].description or "")
    assert {"filters", "summary", "empty", "time", "range", "comparison"} <= set(READING)


async def test_a_measure_filter_keeps_grouped_rows_and_the_summary_covers_them_all(kt: Kt) -> None:
    first = await kt.ok(
        "build_report", {"period": "last_30_days", "dimensions": ["campaign_id"], "measures": ["clicks"]}
    )
    every = records(first["data"])
    threshold = sorted(r["clicks"] for r in every)[len(every) // 2]
    # The same days again, as the first result states them (the clock may pass midnight between the two calls).
    days = f"{first['meta']['range']['from']}..{first['meta']['range']['to']}"
    args = {"period": days, "dimensions": ["campaign_id"], "measures": ["clicks"],
            "filters": [["clicks", "GREATER_THAN", threshold]], "limit": 2}  # fmt: skip
    env = await kt.ok("build_report", args)
    kept = [r for r in every if r["clicks"] > threshold]
    assert env["meta"]["total"] == len(kept) > 2 and env["count"] == 2
    assert env["data"]["summary"]["clicks"] == sum(r["clicks"] for r in kept), "every kept row, not the page shown"


async def test_a_week_row_is_its_monday_and_counts_only_the_period(kt: Kt, truth: Truth) -> None:
    today = today_in("UTC")
    monday = today - timedelta(days=today.weekday()) - timedelta(days=14)
    wednesday = monday + timedelta(days=2)
    sunday = monday + timedelta(days=6)
    env = await kt.ok("build_report", {"period": f"{wednesday}..{sunday + timedelta(days=7)}", "dimensions": ["week"],
                                       "measures": ["clicks"]})  # fmt: skip
    rows = records(env["data"])
    assert [r["week"] for r in rows] == [str(monday), str(monday + timedelta(days=7))]
    assert rows[0]["clicks"] == len(truth.clicks(*bounds("UTC", wednesday, sunday))), "clipped to the period"


async def test_the_empty_row_groups_clicks_without_a_value(kt: Kt, truth: Truth) -> None:
    days = Days("UTC", lambda today: (today - timedelta(days=29), today))
    env = await kt.ok("build_report", {"period": "last_30_days", "dimensions": ["offer_id", "offer"],
                                       "measures": ["clicks"]})  # fmt: skip
    rows: list[dict[str, Any]] = records(env["data"])
    empty = [r for r in rows if r["offer_id"] == 0]
    start, end = days.bounds(env["meta"]["range"])
    without = [c for c in truth.clicks(start, end) if not c["offer_id"]]
    assert without, "the sandbox has clicks that reached no offer (a landing, a bot flow)"
    assert [(r["offer"], r["clicks"]) for r in empty] == [("", len(without))]
