"""Wire and effect tests for the conversion tools: the conversion log and conversions sent as tracker postbacks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import TEST_POSTBACK_KEY, Kt, RecordingTransport, make_settings, records

pytestmark = pytest.mark.anyio

DEFAULT_COLUMNS = [
    "conversion_id", "postback_datetime", "click_datetime", "sub_id", "tid", "status", "previous_status", "revenue",
    "campaign", "campaign_id", "offer_id", "country_code",
]  # fmt: skip


@pytest.fixture
async def kt_without_postback_key(wire: RecordingTransport) -> AsyncIterator[Kt]:
    server = build_server(make_settings(), transport=wire)
    async with Client(server, raise_exceptions=True) as client:
        yield Kt(client, wire)


async def fresh_click(kt: Kt, campaign_id: int) -> str:
    """The sub_id of a human click without conversion in that campaign (each test uses its own campaign)."""
    args = {"campaign_id": campaign_id, "conversion": "none", "is_bot": False, "columns": ["sub_id"], "limit": 1}
    rows = records((await kt.ok("list_clicks", args))["data"])
    assert rows, f"campaign {campaign_id} has no unconverted clicks"
    sub_id = rows[0]["sub_id"]
    assert isinstance(sub_id, str)
    return sub_id


async def conversions_of(kt: Kt, sub_id: str) -> list[dict[str, Any]]:
    env = await kt.ok("list_conversions", {"sub_id": sub_id, "period": "all_time"})
    rows: list[dict[str, Any]] = records(env["data"])
    return rows


async def test_list_conversions_maps_filters(kt: Kt) -> None:
    args = {
        "period": "all_time", "status": "sale", "sub_id": "abc", "tid": "t1", "campaign_id": 4, "country_code": "de",
        "limit": 10, "offset": 5,
    }  # fmt: skip
    env = await kt.ok("list_conversions", args)
    sent = kt.wire.last
    assert sent.method == "POST" and sent.path == "/conversions/log"
    assert sent.body == {
        "range": {"interval": "all_time", "timezone": "UTC"},
        "columns": DEFAULT_COLUMNS,
        "filters": [
            {"name": "status", "operator": "EQUALS", "expression": "sale"},
            {"name": "sub_id", "operator": "EQUALS", "expression": "abc"},
            {"name": "tid", "operator": "EQUALS", "expression": "t1"},
            {"name": "campaign_id", "operator": "EQUALS", "expression": 4},
            {"name": "country_code", "operator": "EQUALS", "expression": "DE"},
        ],
        "sort": [{"name": "postback_datetime", "order": "DESC"}],
        "limit": 11,  # the page and one row more: whether another page exists
        "offset": 5,
    }
    assert env["resource"] == "conversion" and env["operation"] == "getAll"
    assert env["data"]["rows"] == [] and env["count"] == 0 and env["meta"]["total"] == 0


async def test_list_conversions_default_limit_and_rows(kt: Kt) -> None:
    env = await kt.ok("list_conversions", {"status": "sale"})
    body = kt.wire.last.body
    assert body["limit"] == 101 and "range" not in body and "100" in env["meta"]["notes"][0]
    assert 0 < env["count"] <= 100 and env["meta"]["total"] >= env["count"]
    assert all(row["status"] == "sale" for row in records(env["data"]))
    stamps = [row["postback_datetime"] for row in records(env["data"])]
    assert stamps == sorted(stamps, reverse=True)


async def test_test_postback_records_a_conversion_that_list_conversions_shows(kt: Kt) -> None:
    sub_id = await fresh_click(kt, 8)
    args = {
        "sub_id": sub_id, "status": "lead", "payout": 12.5, "cost": 1, "currency": "usd", "tid": "test-1",
        "sub_id_1": "tested",
    }  # fmt: skip
    before = len(kt.wire.sent)
    env = await kt.ok("test_postback", args)
    existing, postback, lookup = kt.wire.sent[before : before + 3]
    assert existing.method == "POST" and existing.path == "/conversions/log", "what the postback would replace"
    assert postback.method == "GET" and postback.path == f"/{TEST_POSTBACK_KEY}/postback"
    assert postback.query == {
        "subid": sub_id, "status": "lead", "payout": "12.5", "cost": "1", "currency": "USD", "tid": "test-1",
        "sub_id_1": "tested",
    }  # fmt: skip
    assert "api-key" not in postback.headers
    assert lookup.method == "POST" and lookup.path == "/conversions/log"
    assert env["resource"] == "postback" and env["operation"] == "test"
    assert env["request"]["method"] == "GET" and "/***/postback?subid=" in env["request"]["url"]
    assert TEST_POSTBACK_KEY not in json.dumps(env)
    receipt = env["data"]
    assert receipt["sub_id"] == sub_id and receipt["changes"]["conversion_id"]["before"] is None
    assert receipt["changes"]["status"] == {"before": None, "after": "lead"}
    assert receipt["changes"]["tid"] == {"before": None, "after": "test-1"}
    assert receipt["changes"]["revenue"] == {"before": None, "after": 12.5}
    assert receipt["effects"] == ["The campaign's S2S postbacks for this status fire to its traffic source."]
    shown = await conversions_of(kt, sub_id)
    assert [(c["status"], c["tid"], c["revenue"]) for c in shown] == [("lead", "test-1", 12.5)]


async def test_test_postback_without_postback_key_is_a_config_error(kt_without_postback_key: Kt) -> None:
    kt = kt_without_postback_key
    before = len(kt.wire.sent)
    env = await kt.call("test_postback", {"sub_id": "abc"})
    assert env["error"]["kind"] == "config" and "KEITARO_POSTBACK_KEY" in env["error"]["message"]
    assert len(kt.wire.sent) == before


async def test_test_postback_for_an_unknown_sub_id_is_sent_but_not_recorded(kt: Kt) -> None:
    env = await kt.ok("test_postback", {"sub_id": "no-such-click", "status": "sale"})
    assert env["data"]["changes"] == {} and "effects" not in env["data"]
    assert "get_log log_type=postbacks" in env["meta"]["notes"][0]


async def test_create_then_update_conversion_follows_keitaro_transitions(kt: Kt) -> None:
    sub_id = await fresh_click(kt, 10)
    created = await kt.ok("create_conversion", {"sub_id": sub_id, "status": "lead", "payout": 20})
    assert created["resource"] == "conversion" and created["operation"] == "create"
    assert created["data"]["changes"]["status"] == {"before": None, "after": "lead"}
    assert kt.wire.sent[-2].query == {"subid": sub_id, "status": "lead", "payout": "20"}
    updated = await kt.ok("update_conversion", {"sub_id": sub_id, "status": "sale", "payout": 25})
    assert updated["operation"] == "update" and updated["data"]["sub_id"] == sub_id
    assert updated["data"]["changes"] == {
        "status": {"before": "lead", "after": "sale"},
        "revenue": {"before": 20, "after": 25},
    }
    shown = await conversions_of(kt, sub_id)
    assert [(c["status"], c["previous_status"], c["revenue"]) for c in shown] == [("sale", "lead", 25)]
    # sale -> lead is not a transition Keitaro allows: sent, ignored, and said so.
    refused = await kt.ok("update_conversion", {"sub_id": sub_id, "status": "lead"})
    assert refused["data"]["changes"] == {}, "the conversion is as it was: sale"
    assert "lead→sale" in refused["meta"]["notes"][0]


async def test_create_conversion_with_a_new_tid_adds_one(kt: Kt) -> None:
    sub_id = await fresh_click(kt, 11)
    await kt.ok("create_conversion", {"sub_id": sub_id, "status": "sale", "payout": 5, "tid": "a"})
    second = await kt.ok("create_conversion", {"sub_id": sub_id, "status": "lead", "payout": 6, "tid": "b"})
    assert second["data"]["changes"]["tid"] == {"before": None, "after": "b"}, "a new conversion, not a change"
    assert sorted(c["tid"] for c in await conversions_of(kt, sub_id)) == ["a", "b"]


async def test_update_conversion_of_a_click_without_conversion_is_not_found(kt: Kt) -> None:
    sub_id = await fresh_click(kt, 12)
    before = len(kt.wire.sent)
    env = await kt.call("update_conversion", {"sub_id": sub_id, "status": "sale"})
    assert env["error"]["kind"] == "not_found" and sub_id in env["error"]["message"]
    assert [s.path for s in kt.wire.sent[before:]] == ["/conversions/log"], "no postback sent"
