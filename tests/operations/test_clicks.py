"""Wire and effect tests for the click tools against the sandbox tracker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import TEST_POSTBACK_KEY, Kt, records

pytestmark = pytest.mark.anyio

DEFAULT_COLUMNS = [
    "sub_id", "datetime", "campaign_id", "offer_id", "country_code", "is_bot", "is_lead", "is_sale", "revenue", "cost",
]  # fmt: skip


async def fresh_click(kt: Kt, campaign_id: int, **extra: Any) -> dict[str, Any]:
    """A human click without conversion in that campaign (each test uses its own campaign)."""
    columns = ["sub_id", "datetime", "campaign_id", "external_id", "cost", "is_lead", "revenue"]
    args = {"campaign_id": campaign_id, "conversion": "none", "is_bot": False, "columns": columns, "limit": 50}
    rows = records((await kt.ok("list_clicks", args | extra))["data"])
    assert rows, f"campaign {campaign_id} has no unconverted clicks"
    return dict(rows[0])


async def click_with_external_id(kt: Kt, nth: int) -> dict[str, Any]:
    """The nth recent click that carries an external_id (a value update_costs can filter on)."""
    columns = ["sub_id", "datetime", "campaign_id", "external_id", "cost"]
    rows = records((await kt.ok("list_clicks", {"columns": columns, "limit": 300}))["data"])
    return dict([r for r in rows if r["external_id"]][nth])


async def click_by_sub_id(kt: Kt, sub_id: str) -> dict[str, Any]:
    env = await kt.ok("list_clicks", {"sub_id": sub_id, "period": "all_time", "columns": [*DEFAULT_COLUMNS]})
    assert env["count"] == 1
    return records(env["data"])[0]


async def test_list_clicks_maps_typed_filters_to_report_filters(kt: Kt) -> None:
    args = {
        "period": "all_time", "campaign_id": 3, "flow_id": 7, "landing_id": 2, "offer_id": 5, "country_code": "us",
        "ip": "1.2.3.4", "is_bot": False, "is_unique": True, "conversion": "sale", "sub_ids": {"sub_id_1": "fb"},
        "limit": 5, "offset": 10, "sort": "datetime",
    }  # fmt: skip
    env = await kt.ok("list_clicks", args)
    sent = kt.wire.last
    assert sent.method == "POST" and sent.path == "/clicks/log" and sent.query == {}
    assert sent.body == {
        "range": {"interval": "all_time", "timezone": "UTC"},
        "columns": DEFAULT_COLUMNS,
        "filters": [
            {"name": "campaign_id", "operator": "EQUALS", "expression": 3},
            {"name": "stream_id", "operator": "EQUALS", "expression": 7},
            {"name": "landing_id", "operator": "EQUALS", "expression": 2},
            {"name": "offer_id", "operator": "EQUALS", "expression": 5},
            {"name": "country_code", "operator": "EQUALS", "expression": "US"},
            {"name": "ip", "operator": "EQUALS", "expression": "1.2.3.4"},
            {"name": "sub_id_1", "operator": "EQUALS", "expression": "fb"},
            {"name": "is_bot", "operator": "IS_FALSE"},
            {"name": "is_unique_campaign", "operator": "IS_TRUE"},
            {"name": "is_sale", "operator": "IS_TRUE"},
        ],
        "sort": [{"name": "datetime", "order": "ASC"}],
        "limit": 6,  # the page and one row more: whether another page exists
        "offset": 10,
    }
    assert env["resource"] == "click" and env["operation"] == "getAll"
    assert env["data"] == {"columns": DEFAULT_COLUMNS, "rows": []} and env["count"] == 0 and env["meta"]["total"] == 0
    # all_time is sent as Keitaro's preset; the result names the span the data covers: the tracker's first click
    # day (read first, remembered) to today.
    first, log = kt.wire.sent[-2:]
    assert first.body == {"range": {"interval": "all_time", "timezone": "UTC"}, "columns": ["datetime"],
                          "sort": [{"name": "datetime", "order": "ASC"}], "limit": 1}  # fmt: skip
    assert log is sent
    stated = env["meta"]["range"]
    assert stated["interval"] == "all_time" and stated["timezone"] == "UTC" and stated["from"] < stated["to"]
    assert env["meta"]["currency"] is None


async def test_list_clicks_rows_match_the_filters(kt: Kt) -> None:
    env = await kt.ok("list_clicks", {"campaign_id": 4, "is_bot": False, "period": "all_time", "limit": 20})
    assert 0 < env["count"] <= 20 and env["meta"]["total"] >= env["count"]
    assert env["data"]["columns"] == DEFAULT_COLUMNS, "the log answers as a report does: names once, then rows"
    assert all(row["campaign_id"] == 4 and not row["is_bot"] for row in records(env["data"]))
    stamps = [row["datetime"] for row in records(env["data"])]
    assert stamps == sorted(stamps, reverse=True), "newest first by default"
    assert "notes" not in env["meta"], "a limit was given: no note"
    assert kt.wire.last.body["limit"] == 21


async def test_list_clicks_without_period_or_limit_applies_and_says_the_default_limit(kt: Kt) -> None:
    env = await kt.ok("list_clicks")
    body = kt.wire.last.body
    assert body["limit"] == 101 and "range" not in body
    assert body["sort"] == [{"name": "datetime", "order": "DESC"}]
    assert env["meta"]["total"] > 100 and "100" in env["meta"]["notes"][0]
    # The shared result budget may cut the 100 rows further; it then says so.
    assert env["count"] == 100 or (env["meta"]["truncated"] and env["meta"]["next_offset"] == env["count"])


async def test_list_clicks_from_to_range_and_conversion_none(kt: Kt) -> None:
    env = await kt.ok(
        "list_clicks",
        {"from": "2020-01-01", "to": "2020-01-02 12:00", "timezone": "Europe/Berlin", "conversion": "none"},
    )
    body = kt.wire.last.body
    assert body["range"] == {"from": "2020-01-01", "to": "2020-01-02 12:00", "timezone": "Europe/Berlin"}
    assert body["limit"] == 101 and "100" in env["meta"]["notes"][0]  # a period alone: one page, not the period
    assert body["filters"] == [
        {"name": "is_lead", "operator": "IS_FALSE"},
        {"name": "is_sale", "operator": "IS_FALSE"},
        {"name": "is_rejected", "operator": "IS_FALSE"},
    ]
    assert env["data"]["rows"] == []


async def test_update_click_status_goes_through_the_tracker_postback(kt: Kt) -> None:
    click = await fresh_click(kt, 5)
    before = len(kt.wire.sent)
    env = await kt.ok("update_click", {"sub_id": click["sub_id"], "status": "lead", "payout": 7.5, "currency": "usd"})
    lookup, postback = kt.wire.sent[before:]
    assert lookup.method == "POST" and lookup.path == "/clicks/log"
    assert lookup.body["filters"] == [{"name": "sub_id", "operator": "EQUALS", "expression": click["sub_id"]}]
    assert postback.method == "GET" and postback.path == f"/{TEST_POSTBACK_KEY}/postback"
    assert postback.query == {"subid": click["sub_id"], "status": "lead", "payout": "7.5", "currency": "USD"}
    assert "api-key" not in postback.headers, "the postback key authenticates, not the Admin API key"
    assert env["resource"] == "click" and env["operation"] == "update"
    assert TEST_POSTBACK_KEY not in json.dumps(env) and "/***/postback?" in env["request"]["url"]
    assert env["data"]["sub_id"] == click["sub_id"]
    assert env["data"]["changes"] == {
        "status": {"before": None, "after": "lead"},
        "revenue": {"before": click["revenue"], "after": 7.5},
    }
    after = await click_by_sub_id(kt, click["sub_id"])
    assert after["is_lead"] and after["revenue"] == 7.5


async def test_update_click_cost_targets_the_click_alone(kt: Kt) -> None:
    click = await click_with_external_id(kt, 0)
    before = len(kt.wire.sent)
    env = await kt.ok("update_click", {"sub_id": click["sub_id"], "cost": 0.4321, "currency": "USD"})
    lookup, probe, costs = kt.wire.sent[before:]
    assert lookup.body["filters"][0]["expression"] == click["sub_id"]
    assert probe.path == "/clicks/log" and probe.body["range"]["from"] == click["datetime"][:16]
    assert costs.method == "POST" and costs.path == "/clicks/update_costs"
    entry = costs.body["costs"][0]
    assert costs.body["campaign_ids"] == [click["campaign_id"]] and entry["currency"] == "USD"
    assert entry["start_date"] == entry["end_date"] == click["datetime"][:16] and entry["cost"] == 0.4321
    assert entry["filters"]["external_id"] == click["external_id"]
    assert env["data"]["changes"] == {"cost": {"before": click["cost"], "after": "0.4321 USD"}}
    after = await click_by_sub_id(kt, click["sub_id"])
    assert after["cost"] == pytest.approx(0.4321, abs=1e-4)


async def test_update_click_on_a_missing_click_is_not_found_and_sends_no_write(kt: Kt) -> None:
    before = len(kt.wire.sent)
    env = await kt.call("update_click", {"sub_id": "no-such-sub-id", "status": "sale", "cost": 1, "currency": "EUR"})
    assert env["error"]["kind"] == "not_found" and "no-such-sub-id" in env["error"]["message"]
    assert [s.path for s in kt.wire.sent[before:]] == ["/clicks/log"]


async def test_update_costs_sends_timezone_and_currency_at_both_levels(kt: Kt) -> None:
    click = await click_with_external_id(kt, 1)
    minute = click["datetime"][:16]
    entry = {"start_date": minute, "end_date": minute, "cost": 2.5, "filters": {"external_id": click["external_id"]}}
    campaign_id = click["campaign_id"]
    args = {"campaign_ids": [campaign_id], "costs": [entry], "currency": "usd", "only_campaign_uniques": False}
    env = await kt.ok("update_costs", args)
    sent = kt.wire.last
    assert sent.method == "POST" and sent.path == "/clicks/update_costs"
    assert kt.person.asked[-1] == (
        f"Overwrite the cost of 1 clicks of campaign {campaign_id} from {minute} to {minute} (UTC): "
        f"{click['cost']:,.2f} now (tracker currency), 2.50 USD after. Earlier costs are not kept."
    )
    assert sent.body == {
        "campaign_ids": [campaign_id],
        "timezone": "UTC",
        "currency": "USD",
        "costs": [entry | {"timezone": "UTC", "currency": "USD"}],
        "only_campaign_uniques": 0,
    }
    assert env["resource"] == "click" and env["operation"] == "updateCosts"
    assert env["data"]["changes"] == {"cost": {"before": round(click["cost"], 2), "after": "2.5 USD"}}
    assert env["data"]["campaign_ids"] == [campaign_id] and env["data"]["clicks"] == 1
    after = await click_by_sub_id(kt, click["sub_id"])
    assert after["cost"] == pytest.approx(2.5)


async def test_clean_stats_asks_the_person_and_a_confirm_argument_is_refused(kt: Kt) -> None:
    args = {"start_date": "2020-01-01 00:00", "end_date": "2020-01-01 23:59", "campaign_id": 9, "timezone": "UTC"}
    await kt.refused("clean_stats", args | {"confirm": True}, "confirm")
    before = len(kt.wire.sent)
    env = await kt.ok("clean_stats", args)
    # Counted when asking, and again when the answer comes back (a changed count is asked again).
    *counts, clean = kt.wire.sent[before:]
    assert len(counts) == 2 and counts[0] == counts[1]
    count = counts[0]
    assert count.method == "POST" and count.path == "/report/build"
    assert count.body["range"] == {"from": "2020-01-01 00:00", "to": "2020-01-01 23:59", "timezone": "UTC"}
    assert count.body["filters"] == [{"name": "campaign_id", "operator": "IN_LIST", "expression": [9]}]
    assert kt.person.asked[-1] == (
        "Delete all clicks and conversions of campaign 9 from 2020-01-01 00:00 to 2020-01-01 23:59 (UTC): "
        "0 clicks, 0 conversions. This cannot be undone."
    )
    assert clean.method == "POST" and clean.path == "/clicks/clean" and clean.body == args
    assert env["resource"] == "click" and env["operation"] == "clean"
    assert env["data"]["changes"] == {"clicks": {"before": 0, "after": 0}, "conversions": {"before": 0, "after": 0}}


async def test_clean_stats_sends_the_zone_it_counted_in(kt: Kt) -> None:
    args = {"start_date": "2020-01-02", "end_date": "2020-01-02"}
    await kt.ok("clean_stats", args)
    assert kt.wire.last.body == args | {"timezone": "UTC"}, "without KEITARO_TIMEZONE the tracker counts in UTC"
    assert kt.person.asked[-1].startswith("Delete all clicks and conversions of every campaign from 2020-01-02 to ")
