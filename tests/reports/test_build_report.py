"""build_report: the wire, the compact answer, numbers equal to independent SQL, and refusals before sending."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import Kt, make_settings
from tests.reports.conftest import Days, Row, Truth, bounds, close, today_in

pytestmark = pytest.mark.anyio

MONEY = ["clicks", "conversions", "revenue", "cost", "profit", "roi"]


def local(tz: str, part: str) -> Callable[[Row], Any]:
    zone = ZoneInfo(tz)

    def key(row: Row) -> Any:
        moment = datetime.fromtimestamp(row["dt"], zone)
        return moment.date().isoformat() if part == "day" else moment.hour

    return key


async def check_report(
    kt: Kt,
    truth: Truth,
    args: dict[str, Any],
    span: tuple[int | None, int | None] | Days,
    key: Callable[[Row], Any] | None,
    where: str = "1",
    params: tuple[Any, ...] = (),
    keep: Callable[[Row], bool] = lambda m: True,
) -> dict[str, Any]:
    """Run the report and compare every row and the summary with the independent derivation (a relative period:
    over the days the result states, when they are the period's days on the day of the call)."""
    envelope = await kt.ok("build_report", args)
    data, meta = envelope["data"], envelope["meta"]
    if isinstance(span, Days):
        span = span.bounds(meta["range"])
    dims = args.get("dimensions", [])
    measures = args["measures"]
    assert data["columns"] == [*dims, *measures]
    rows = truth.clicks(*span, where=where, params=params)
    expected: dict[tuple[Any, ...], Row]
    if key is None:
        expected = {(): truth.measures(rows)} if rows else {}
        members: dict[Any, list[Row]] = {(): rows}
    else:
        expected = {(k,): m for k, m in truth.grouped(rows, key).items()}
        members = {}
        for row in rows:
            members.setdefault((key(row),), []).append(row)
    expected = {k: m for k, m in expected.items() if keep(m)}
    got = {tuple(r[: len(dims)]): dict(zip(measures, r[len(dims) :], strict=True)) for r in data["rows"]}
    assert meta["total"] == len(expected) == envelope["count"] == len(got)
    assert set(got) == set(expected)
    for k, values in got.items():
        for m in measures:
            assert close(values[m], expected[k][m], m), (k, m, values[m], expected[k][m])
    kept = [r for k in expected for r in members[k]]
    total = truth.measures(kept)
    for m in measures:
        assert close(data["summary"][m], total[m], m), (m, data["summary"][m], total[m])
    return envelope


async def test_campaigns_last_7_days(kt: Kt, truth: Truth) -> None:
    names = truth.campaign_names()
    args = {"period": "last_7_days", "dimensions": ["campaign"], "measures": MONEY}
    days = Days("UTC", lambda today: (today - timedelta(days=6), today))
    env = await check_report(kt, truth, args, days, lambda r: names[r["campaign_id"]])
    first, last = days.around(env["meta"]["range"])
    sent = kt.wire.last
    assert (sent.method, sent.path) == ("POST", "/report/build")
    assert sent.body == {
        "range": {"from": str(first), "to": str(last), "timezone": "UTC"},
        "dimensions": ["campaign"],
        "measures": MONEY,
        "sort": [{"name": "clicks", "order": "DESC"}],
        "limit": 500,
    }
    assert env["meta"]["range"] == sent.body["range"]
    assert (env["resource"], env["operation"]) == ("stats", "getAll")
    assert all(isinstance(v, int | float) for row in env["data"]["rows"] for v in row[1:])


async def test_days_in_new_york(kt: Kt, truth: Truth) -> None:
    tz = "America/New_York"
    args = {"period": "last_30_days", "timezone": tz, "dimensions": ["day"], "measures": ["clicks", "revenue"]}
    env = await check_report(kt, truth, args, Days(tz, lambda today: (today - timedelta(days=29), today)),
                             local(tz, "day"))  # fmt: skip
    days = [r[0] for r in env["data"]["rows"]]
    assert days == sorted(days)  # a time dimension is sorted by time
    assert kt.wire.last.body["sort"] == [{"name": "day", "order": "ASC"}]


async def test_yesterday_preset_in_berlin(kt: Kt, truth: Truth) -> None:
    tz = "Europe/Berlin"
    args = {"period": "yesterday", "timezone": tz, "dimensions": ["country_code"],
            "measures": ["clicks", "campaign_unique_clicks", "cr"]}  # fmt: skip
    days = Days(tz, lambda today: (today - timedelta(days=1), today - timedelta(days=1)))
    env = await check_report(kt, truth, args, days, lambda r: r["country_code"])
    assert kt.wire.last.body["range"] == {"interval": "yesterday", "timezone": tz}
    # The result names the days the preset covered, in its timezone.
    day, _ = days.around(env["meta"]["range"])
    assert env["meta"]["range"] == {"interval": "yesterday", "from": str(day), "to": str(day), "timezone": tz}
    assert env["meta"]["currency"] is None, "KEITARO_CURRENCY is not set: null, not a guess"


async def test_all_time_with_in_list_filter(kt: Kt, truth: Truth) -> None:
    args = {"period": "all_time", "dimensions": ["offer_id"], "measures": ["clicks", "conversions", "revenue", "epc"],
            "filters": [["country_code", "IN_LIST", ["US", "DE"]]]}  # fmt: skip
    await check_report(kt, truth, args, (None, None), lambda r: r["offer_id"], "country_code IN (?, ?)", ("US", "DE"))
    assert kt.wire.last.body["filters"] == [{"name": "country_code", "operator": "IN_LIST", "expression": ["US", "DE"]}]


async def test_measure_filter_keeps_groups(kt: Kt, truth: Truth) -> None:
    args = {"period": "this_month", "dimensions": ["campaign_id"], "measures": ["clicks", "cost", "profit"],
            "filters": [{"name": "cost", "operator": "GREATER_THAN", "expression": "5"}]}  # fmt: skip
    days = Days("UTC", lambda today: (today.replace(day=1), today))
    await check_report(kt, truth, args, days, lambda r: r["campaign_id"], keep=lambda m: m["cost"] > 5)
    assert kt.wire.last.body["filters"] == [{"name": "cost", "operator": "GREATER_THAN", "expression": 5}]


async def test_totals_without_dimensions_in_tokyo(kt: Kt, truth: Truth) -> None:
    tz = "Asia/Tokyo"
    args = {"period": "today", "timezone": tz, "measures": ["clicks", "revenue", "cost"]}
    await check_report(kt, truth, args, Days(tz, lambda today: (today, today)), None)


async def test_hours_without_bots(kt: Kt, truth: Truth) -> None:
    args = {"period": "7_days_ago", "dimensions": ["hour"], "measures": ["clicks", "bots"],
            "filters": [["is_bot", "IS_FALSE"]]}  # fmt: skip
    days = Days("UTC", lambda today: (today - timedelta(days=6), today))
    env = await check_report(kt, truth, args, days, local("UTC", "hour"), "is_bot = 0")
    assert all(row[2] == 0 for row in env["data"]["rows"])
    assert kt.wire.last.body["filters"] == [{"name": "is_bot", "operator": "IS_FALSE"}]


async def test_from_to_with_hours_and_campaign(kt: Kt, truth: Truth) -> None:
    day = today_in("UTC") - timedelta(days=2)
    start = int(datetime(day.year, day.month, day.day, 6, tzinfo=ZoneInfo("UTC")).timestamp())
    end = start + 12 * 3600 + 30 * 60 + 60  # to 18:30 includes that minute
    args = {"period": f"{day} 06:00..{day} 18:30", "dimensions": ["device_type"], "measures": ["clicks", "revenue"],
            "filters": [["campaign_id", "EQUALS", 1]]}  # fmt: skip
    await check_report(kt, truth, args, (start, end), lambda r: r["device_type"], "campaign_id = ?", (1,))
    assert kt.wire.last.body["range"] == {"from": f"{day} 06:00", "to": f"{day} 18:30", "timezone": "UTC"}


async def test_last_week_in_kolkata(kt: Kt, truth: Truth) -> None:
    tz = "Asia/Kolkata"
    args = {"period": "last_week", "timezone": tz, "dimensions": ["ts_id"], "measures": ["clicks", "conversions"]}

    def last_week(today: date) -> tuple[date, date]:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)

    await check_report(kt, truth, args, Days(tz, last_week), lambda r: r["ts_id"])


async def test_single_date_with_contains(kt: Kt, truth: Truth) -> None:
    day = today_in("UTC") - timedelta(days=3)
    args = {"period": str(day), "dimensions": ["browser"], "measures": ["clicks", "cost"],
            "filters": [["browser", "CONTAINS", "chrome"]]}  # fmt: skip
    await check_report(
        kt, truth, args, bounds("UTC", day, day), lambda r: r["browser"], "instr(lower(browser), 'chrome') > 0"
    )


async def test_sort_and_limit_give_the_top(kt: Kt, truth: Truth) -> None:
    names = truth.campaign_names()
    args = {"period": "last_30_days", "dimensions": ["campaign"], "measures": ["profit"], "sort": "-profit", "limit": 5}
    days = Days("UTC", lambda today: (today - timedelta(days=29), today))
    env = await kt.ok("build_report", args)
    rows = truth.clicks(*days.bounds(env["meta"]["range"]))
    groups = truth.grouped(rows, lambda r: names[r["campaign_id"]])
    top = sorted(groups.items(), key=lambda kv: kv[1]["profit"], reverse=True)[:5]
    assert [r[0] for r in env["data"]["rows"]] == [k for k, _ in top]
    assert env["meta"]["total"] == len(groups) and env["meta"]["next_offset"] == 5
    assert kt.wire.last.body["sort"] == [{"name": "profit", "order": "DESC"}]


async def test_raw_n8n_body_in_legacy_dialect(kt: Kt, truth: Truth) -> None:
    tz = "Europe/Moscow"
    body = {"range": {"interval": "7_days_ago", "timezone": tz}, "grouping": ["country_code"],
            "metrics": ["clicks", "revenue"], "filters": [{"name": "is_bot", "operator": "IS_FALSE"}]}  # fmt: skip
    days = Days(tz, lambda today: (today - timedelta(days=6), today))
    envelope = await kt.ok("build_report", {"body": body})
    assert kt.wire.last.body == body  # passed through as is
    rows = truth.clicks(*days.bounds(envelope["meta"]["range"]), where="is_bot = 0")
    expected = truth.grouped(rows, lambda r: r["country_code"])
    got = {r[0]: r[1:] for r in envelope["data"]["rows"]}
    assert envelope["data"]["columns"] == ["country_code", "clicks", "revenue"]
    assert set(got) == set(expected)
    for k, (clicks, revenue) in got.items():
        assert clicks == expected[k]["clicks"] and close(revenue, expected[k]["revenue"], "revenue")


async def test_raw_body_gets_a_timezone(kt: Kt) -> None:
    await kt.ok("build_report", {"body": {"range": {"interval": "today"}, "measures": ["clicks"]}})
    assert kt.wire.last.body["range"] == {"interval": "today", "timezone": "UTC"}
    await kt.ok("build_report", {"timezone": "Europe/Paris", "body": {"measures": ["clicks"]}})
    assert kt.wire.last.body["range"] == {"interval": "today", "timezone": "Europe/Paris"}


async def test_keitaro_timezone_setting_and_argument(wire: Any) -> None:
    server = build_server(make_settings(KEITARO_TIMEZONE="Europe/Kyiv"), transport=wire)
    async with Client(server, raise_exceptions=True) as client:
        await client.call_tool("build_report", {"period": "today"})
        assert wire.last.body["range"] == {"interval": "today", "timezone": "Europe/Kyiv"}
        await client.call_tool("build_report", {"period": "today", "timezone": "UTC"})
        assert wire.last.body["range"] == {"interval": "today", "timezone": "UTC"}  # the argument wins


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"measures": ["sale_cr"]}, "measures", "did you mean crs"),
    ({"measures": ["campaign_unique_click"]}, "measures", "did you mean campaign_unique_clicks"),
    ({"dimensions": ["domain"]}, "dimensions", "source or referrer"),
    ({"dimensions": ["status"]}, "dimensions", "conversion-log column (list_conversions), not a report column. All"),
    ({"dimensions": ["zzqx"]}, "dimensions", "unknown dimension 'zzqx'. All names: keitaro://catalog/dimensions"),
    ({"dimensions": ["campaign", "campaign"]}, "dimensions", "must not repeat"),
    ({"filters": [["country_code", "NOT_EQUALS", "US"]]}, "filters.0.operator", "did you mean NOT_EQUAL"),
    ({"filters": [["countri_code", "EQUALS", "US"]]}, "filters.0.name", "did you mean country_code"),
    ({"filters": [["clicks", "BETWEEN", [1]]]}, "filters.0.expression", "a list of two values"),
    ({"filters": [["country_code", "IN_LIST", "US"]]}, "filters.0.expression", "a non-empty list"),
    ({"filters": [["clicks", "GREATER_THAN", "many"]]}, "filters.0.expression", "a number"),
    ({"filters": [["is_bot", "IS_TRUE", 1]]}, "filters.0.expression", "no expression"),
    ({"filters": [["sub_id_1", "HAS_LABEL", "white"]]}, "filters.0.expression", "whitelist or blacklist"),
    ({"filters": ["clicks > 5"]}, "filters.0", "[name, OPERATOR, value]"),
    ({"period": "last_30_dayz"}, "period", "last_N_days"),
    ({"period": "2026-01-08..2026-01-07"}, "period", "after to"),
    ({"from": "2026-01-08", "to": "2026-01-07"}, "from", "after to"),
    ({"from": "2026-01-08"}, "to", "both from and to"),
    ({"period": "2026-02-30"}, "period", "calendar"),
    ({"timezone": "Mars/Base"}, "timezone", "IANA"),
    ({"dimensions": ["campaign"], "sort": "-epc"}, "sort", "not among"),
    ({"dimensions": ["campaign"], "body": {"measures": ["clicks"]}}, "body", "drop dimensions"),
    ({"body": {"measures": ["clicks"], "columnz": []}}, "body", "unknown keys"),
    ({"body": {"range": {"interval": "last_30_days"}}}, "body", "range.interval"),
    ({"body": {"range": {"from": "2026-01-02", "to": "2026-01-01"}}}, "body", "after to"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"dimension": ["campaign"]}, "dimension", "unknown field"),
]


@pytest.mark.parametrize(("args", "field", "says"), BAD, ids=[json.dumps(b[0])[:60] for b in BAD])
async def test_bad_input_is_refused_before_sending(kt: Kt, args: dict[str, Any], field: str, says: str) -> None:
    envelope = await kt.refused("build_report", args)
    problems = {p["field"]: p["problem"] for p in envelope["error"]["responseData"]}
    assert field in problems, problems
    assert says in problems[field], problems[field]


async def test_runtime_catalogue_falls_back_silently_and_is_cached(kt: Kt) -> None:
    # The sandbox answers GET /report/definition with its HTML panel, like Keitaro does for unknown paths.
    await kt.ok("build_report", {"measures": ["clicks"]})
    await kt.ok("build_report", {"measures": ["clicks"]})
    paths = [(s.method, s.path) for s in kt.wire.sent]
    assert paths == [("GET", "/report/definition"), ("POST", "/report/build"), ("POST", "/report/build")]


def tracker_with_catalogue(sent: list[str]) -> httpx.MockTransport:
    definition = {
        "dimensions": [{"name": n} for n in ("campaign", "campaign_id", "day", "country_code", "offer", "offer_id",
                                              "stream", "stream_id", "ts", "ts_id", "landing", "sub_id_1")],
        "measures": ["clicks", "campaign_unique_clicks", "conversions", "revenue", "cost", "profit", "roi"],
    }  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/report/definition"):
            return httpx.Response(200, json=definition)
        return httpx.Response(200, json={"rows": [{"campaign": "A", "clicks": "12"}], "total": 1})

    return httpx.MockTransport(handler)


async def test_runtime_catalogue_refuses_names_the_tracker_lacks() -> None:
    sent: list[str] = []
    server = build_server(make_settings(), transport=tracker_with_catalogue(sent))
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("build_report", {"dimensions": ["browser"], "measures": ["clicks", "cpl"]})
        envelope: Any = result.structured_content
        assert result.is_error and envelope["error"]["kind"] == "invalid_arguments"
        assert "unknown dimension 'browser'" in envelope["error"]["message"]
        assert "unknown measure 'cpl'" in envelope["error"]["message"]
        assert sent == ["GET /admin_api/v1/report/definition"]  # the report itself was not sent
        ok = await client.call_tool("build_report", {"dimensions": ["campaign"], "measures": ["clicks"]})
        assert ok.structured_content is not None
        assert ok.structured_content["data"]["rows"] == [["A", 12]]  # "12" from the tracker became 12
    assert sent == ["GET /admin_api/v1/report/definition", "POST /admin_api/v1/report/build"]  # cached


@pytest.mark.anyio
@pytest.mark.parametrize("tool", ["build_report", "export_report"])
async def test_a_report_without_any_column_is_refused(kt: Kt, tool: str) -> None:
    """Found by the fuzzer: no dimensions and no measures crashed export_report; now a named field error."""
    await kt.refused(tool, {"dimensions": [], "measures": []}, "measures: give at least one measure")
