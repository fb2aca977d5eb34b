"""The report engine against independent computations over the sandbox's own tables.

The expected values are computed in Python (zoneinfo for local days, plain sums), not with the
engine's SQL, so a wrong offset table, filter or measure formula shows up as a mismatch.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.sandbox.reports import COUNTRY_NAMES
from tests.sandbox.conftest import NOW, Api

COLS = "id, dt, campaign_id, offer_id, country_code, sub_id_1, is_bot, is_unique_campaign, cost, conversions, leads, "
COLS += "sales, rejected, lead_revenue, sale_revenue"


_CACHE: dict[int, list[dict[str, Any]]] = {}


def clicks(api: Api) -> list[dict[str, Any]]:
    """The shared sandbox's clicks (read-only in this module, so read once)."""
    key = id(api.sandbox)
    if key not in _CACHE:
        names = [c.strip() for c in COLS.split(",")]
        _CACHE[key] = [dict(zip(names, row, strict=True)) for row in api.sql(f"SELECT {COLS} FROM clicks")]
    return _CACHE[key]


def local_day(epoch: int, tz: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(tz)).strftime("%Y-%m-%d")


def in_days(epoch: int, tz: str, first: str, last: str) -> bool:
    return first <= local_day(epoch, tz) <= last


def report(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = api.ok("POST", "/report/build", json=body)
    return result


def test_campaign_by_day_in_a_dst_timezone(api: Api) -> None:
    tz = "America/New_York"  # DST starts on 2026-03-08 inside this range
    body = {
        "range": {"from": "2026-03-01", "to": "2026-03-12", "timezone": tz},
        "dimensions": ["campaign_id", "day"],
        "measures": ["clicks", "conversions", "cost", "revenue", "profit", "campaign_unique_clicks"],
    }
    got = {(r["campaign_id"], r["day"]): r for r in report(api, body)["rows"]}
    want: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0, 0])
    for c in clicks(api):
        if in_days(c["dt"], tz, "2026-03-01", "2026-03-12"):
            w = want[(c["campaign_id"], local_day(c["dt"], tz))]
            w[0] += 1
            w[1] += c["conversions"]
            w[2] += c["cost"]
            w[3] += c["lead_revenue"] + c["sale_revenue"]
            w[4] += c["is_unique_campaign"]
    assert set(got) == set(want)
    for key, (n, conv, cost, revenue, uniques) in want.items():
        row = got[key]
        assert (row["clicks"], row["conversions"], row["campaign_unique_clicks"]) == (n, conv, uniques)
        assert row["cost"] == pytest.approx(cost, abs=1e-3)
        assert row["revenue"] == pytest.approx(revenue, abs=1e-3)
        assert row["profit"] == pytest.approx(revenue - cost, abs=2e-3)


@pytest.mark.parametrize(
    ("interval", "first", "last"),
    [
        ("today", 0, 0),
        ("yesterday", 1, 1),
        ("7_days_ago", 6, 0),
        ("first_day_of_this_week", None, 0),
        ("first_day_of_this_month", "month", 0),
        ("1_month_ago", "1m", 0),
    ],
)
def test_interval_presets_in_timezone(api: Api, interval: str, first: Any, last: int) -> None:
    tz = "Asia/Kolkata"
    today = NOW.astimezone(ZoneInfo(tz)).date()
    if first is None:
        start = today - timedelta(days=today.weekday())
    elif first == "month":
        start = today.replace(day=1)
    elif first == "1m":
        start = today.replace(month=today.month - 1)
    else:
        start = today - timedelta(days=first)
    end = today - timedelta(days=last)
    body = {"range": {"interval": interval, "timezone": tz}, "dimensions": ["day"], "measures": ["clicks"]}
    got = {r["day"]: r["clicks"] for r in report(api, body)["rows"]}
    want: dict[str, int] = defaultdict(int)
    for c in clicks(api):
        day = local_day(c["dt"], tz)
        if start.isoformat() <= day <= end.isoformat():
            want[day] += 1
    assert got == want


def test_the_day_turns_with_the_wall_clock() -> None:
    # Started a millisecond before midnight: a moment later the presets already speak of the new day.
    box = Sandbox(seed=3, clicks=1_500, now=datetime(2026, 3, 15, 23, 59, 59, 999_000, tzinfo=UTC))
    client = Api(box)
    try:
        time.sleep(0.01)
        assert box.clock() == int(datetime(2026, 3, 16, tzinfo=UTC).timestamp())
        days: dict[str, list[str]] = {}
        for interval in ("today", "yesterday"):
            body = {"range": {"interval": interval, "timezone": "UTC"}, "dimensions": ["day"], "measures": ["clicks"]}
            days[interval] = [r["day"] for r in report(client, body)["rows"]]
        assert days == {"today": [], "yesterday": ["2026-03-15"]}, "the seeded traffic ends at the start"
    finally:
        client.close()
        box.close()


def test_all_time_and_both_dialects(api: Api) -> None:
    current = report(api, {"range": {"interval": "all_time"}, "dimensions": ["country_code"], "measures": ["clicks"]})
    legacy = report(api, {"range": {"interval": "all_time"}, "grouping": ["country_code"], "metrics": ["clicks"]})
    assert current["rows"] == legacy["rows"]
    assert current["summary"] == {"country_code": None, "clicks": len(clicks(api))}
    assert current["total"] == len(current["rows"])


FILTER_CASES: list[tuple[dict[str, Any], Any]] = [
    ({"name": "country_code", "operator": "IN_LIST", "expression": ["US", "DE"]},
     lambda c: c["country_code"] in ("US", "DE")),
    ({"name": "country_code", "operator": "NOT_IN_LIST", "expression": ["US"]}, lambda c: c["country_code"] != "US"),
    ({"name": "campaign_id", "operator": "EQUALS", "expression": "4"}, lambda c: c["campaign_id"] == 4),
    ({"name": "campaign_id", "operator": "NOT_EQUAL", "expression": 4}, lambda c: c["campaign_id"] != 4),
    ({"name": "offer_id", "operator": "BETWEEN", "expression": [5, 12]}, lambda c: 5 <= c["offer_id"] <= 12),
    ({"name": "offer_id", "operator": "GREATER_THAN", "expression": 20}, lambda c: c["offer_id"] > 20),
    ({"name": "offer_id", "operator": "EQUALS_OR_LESS_THAN", "expression": 3}, lambda c: c["offer_id"] <= 3),
    ({"name": "sub_id_1", "operator": "BEGINS_WITH", "expression": "insta"},
     lambda c: (c["sub_id_1"] or "").lower().startswith("insta")),
    ({"name": "sub_id_1", "operator": "ENDS_WITH", "expression": "_Feed"},
     lambda c: (c["sub_id_1"] or "").lower().endswith("_feed")),
    ({"name": "sub_id_1", "operator": "CONTAINS", "expression": "stories"},
     lambda c: "stories" in (c["sub_id_1"] or "").lower()),
    ({"name": "sub_id_1", "operator": "NOT_CONTAIN", "expression": "a"},
     lambda c: "a" not in (c["sub_id_1"] or "").lower()),
    ({"name": "sub_id_1", "operator": "MATCH_REGEXP", "expression": "/^41[0-9]{5}$/"},
     lambda c: re.search(r"^41[0-9]{5}$", c["sub_id_1"] or "") is not None),
    ({"name": "sub_id_1", "operator": "NOT_MATCH_REGEXP", "expression": "/Feed/"},
     lambda c: "Feed" not in (c["sub_id_1"] or "")),
    ({"name": "sub_id_1", "operator": "IS_SET"}, lambda c: bool(c["sub_id_1"])),
    ({"name": "sub_id_1", "operator": "IS_NOT_SET"}, lambda c: not c["sub_id_1"]),
    ({"name": "sub_id_1", "operator": "NOT_EQUAL", "expression": ""}, lambda c: bool(c["sub_id_1"])),
    ({"name": "is_bot", "operator": "IS_TRUE"}, lambda c: c["is_bot"] == 1),
    ({"name": "is_bot", "operator": "IS_FALSE"}, lambda c: c["is_bot"] == 0),
    ({"name": "is_sale", "operator": "IS_TRUE"}, lambda c: c["sales"] > 0),
    ({"name": "country_code", "operator": "LESS_THAN", "expression": "F"}, lambda c: c["country_code"] < "F"),
    ({"name": "country_code", "operator": "EQUALS_OR_GREATER_THAN", "expression": "MX"},
     lambda c: c["country_code"] >= "MX"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("flt", "predicate"), FILTER_CASES, ids=[f"{f['name']}-{f['operator']}" for f, _ in FILTER_CASES]
)
def test_filter_operators(api: Api, flt: dict[str, Any], predicate: Any) -> None:
    body = {"range": {"interval": "all_time"}, "measures": ["clicks", "conversions"], "filters": [flt]}
    got = report(api, body)
    rows = [c for c in clicks(api) if predicate(c)]
    expected = [{"clicks": len(rows), "conversions": sum(c["conversions"] for c in rows)}] if rows else []
    assert got["rows"] == expected


def test_labels_filter(api: Api) -> None:
    body = {
        "range": {"interval": "all_time"},
        "dimensions": ["sub_id_1"],
        "measures": ["clicks"],
        "filters": [{"name": "campaign_id", "operator": "EQUALS", "expression": 1},
                    {"name": "sub_id_1", "operator": "HAS_LABEL", "expression": "blacklist"}],
    }  # fmt: skip
    assert [r["sub_id_1"] for r in report(api, body)["rows"]] == ["Audience_Network_Classic"]


def test_derived_measures_measure_filters_sort_and_paging(api: Api) -> None:
    measures = "clicks conversions sales leads rejected cost revenue sale_revenue cr crs epc roi roi_confirmed approve"
    measures += " cpa bots bot_share profit_confirmed ecpm"
    body = {
        "range": {"interval": "all_time", "timezone": "UTC"},
        "dimensions": ["campaign"],
        "measures": measures.split(),
        "filters": [{"name": "clicks", "operator": "GREATER_THAN", "expression": 300}],
        "sort": [{"name": "roi", "order": "DESC"}],
    }
    full = report(api, body)
    rows = full["rows"]
    assert rows and all(r["clicks"] > 300 for r in rows)
    assert [r["roi"] for r in rows] == sorted((r["roi"] for r in rows), reverse=True)
    for r in rows:
        assert r["cr"] == pytest.approx(r["conversions"] / r["clicks"] * 100, abs=0.01)
        assert r["crs"] == pytest.approx(r["sales"] / r["clicks"] * 100, abs=0.01)
        assert r["epc"] == pytest.approx(r["revenue"] / r["clicks"], abs=1e-3)
        if r["cost"]:
            assert r["roi"] == pytest.approx((r["revenue"] - r["cost"]) / r["cost"] * 100, abs=0.02)
            assert r["roi_confirmed"] == pytest.approx((r["sale_revenue"] - r["cost"]) / r["cost"] * 100, abs=0.02)
        if r["conversions"]:
            assert r["approve"] == pytest.approx(r["sales"] / r["conversions"] * 100, abs=0.01)
            assert r["cpa"] == pytest.approx(r["cost"] / r["conversions"], abs=1e-3)
        assert r["conversions"] == r["sales"] + r["leads"] + r["rejected"]
        assert r["bot_share"] == pytest.approx(r["bots"] / r["clicks"] * 100, abs=0.01)
        assert r["ecpm"] == pytest.approx(r["revenue"] / r["clicks"] * 1000, abs=0.01)
    assert full["summary"]["clicks"] == sum(r["clicks"] for r in rows)
    assert full["summary"]["campaign"] is None
    page = report(api, {**body, "limit": 2, "offset": 1})
    assert page["rows"] == rows[1:3] and page["total"] == len(rows)


def test_entity_names_and_time_dimensions(api: Api) -> None:
    body = {
        "range": {"from": "2026-03-09", "to": "2026-03-14", "timezone": "UTC"},
        "dimensions": ["campaign", "ts", "offer", "country", "day", "hour", "week", "month", "weekday", "day_hour"],
        "measures": ["clicks"],
        "filters": [{"name": "campaign", "operator": "CONTAINS", "expression": "keto"}],
        "limit": 20,
    }
    rows = report(api, body)["rows"]
    assert rows
    for r in rows:
        assert r["campaign"] == "FB | Nutra | Keto Burn | US-CA" and r["ts"] == "Facebook Ads"
        day = datetime.strptime(r["day"], "%Y-%m-%d")
        assert r["week"] == "2026-03-09" and r["month"] == "2026-03"  # Monday of the week
        assert r["weekday"] == (day.weekday() + 1) % 7  # 0 = Sunday
        assert r["day_hour"] == f"{r['day']} {r['hour']:02d}"
        assert r["country"] in COUNTRY_NAMES.values()  # names, not codes (5% of traffic strays off-geo)


def test_demo_stories(api: Api) -> None:
    week = {"range": {"interval": "7_days_ago", "timezone": "UTC"}, "dimensions": ["campaign_id"],
            "measures": ["clicks", "conversions", "profit"]}  # fmt: skip
    rows = report(api, week)["rows"]
    assert any(r["profit"] < 0 for r in rows) and any(r["profit"] > 0 for r in rows)
    broken = report(api, {**week, "range": {"from": "2026-03-10", "to": "2026-03-15", "timezone": "UTC"},
                           "filters": [{"name": "campaign_id", "operator": "EQUALS", "expression": 3}]})  # fmt: skip
    assert broken["rows"][0]["clicks"] > 0 and broken["rows"][0]["conversions"] == 0
    per_country = report(api, {"range": {"interval": "all_time"}, "dimensions": ["country_code"], "measures": ["epc"],
                               "filters": [{"name": "offer_id", "operator": "EQUALS", "expression": 12}],
                               "sort": [{"name": "epc", "order": "DESC"}]})  # fmt: skip
    assert len(per_country["rows"]) >= 4 and per_country["rows"][0]["epc"] > per_country["rows"][-1]["epc"]


def test_no_rows_for_empty_combinations(api: Api) -> None:
    archived = {"range": {"interval": "7_days_ago", "timezone": "UTC"}, "measures": ["clicks"],
                "filters": [{"name": "campaign_id", "operator": "EQUALS", "expression": 20}]}  # fmt: skip
    assert report(api, archived) == {**report(api, archived), "rows": [], "total": 0}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"dimensions": ["domain"]}, "Valid dimensions"),
        ({"measures": ["sale_cr"]}, "Valid measures"),
        ({"filters": [{"name": "nope", "operator": "EQUALS", "expression": 1}]}, "Valid columns"),
        ({"filters": [{"name": "clicks", "operator": "NOT_EQUALS", "expression": 1}]}, "Unknown operator"),
        ({"range": {"interval": "last_30_days"}}, "Unknown interval"),
        ({"range": {"from": "yesterday"}}, "Bad date"),
        ({"range": {"timezone": "Mars/Olympus"}}, "Unknown timezone"),
        ({"sort": [{"name": "clicks", "order": "sideways"}], "measures": ["clicks"]}, "ASC or DESC"),
        ({"filters": [{"name": "sub_id_1", "operator": "MATCH_REGEXP", "expression": "/([/"}]}, "regular"),
        ({"dimensions": "campaign"}, "array of strings"),
        ({"limit": "ten"}, "integers"),
    ],
)
def test_bad_reports_are_400_with_a_message(api: Api, body: dict[str, Any], fragment: str) -> None:
    response = api.post("/report/build", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]
