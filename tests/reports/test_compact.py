"""Compact answers and the result budget, measured with the cl100k encoder."""

from __future__ import annotations

import json
import random
from typing import Any

import bpe_openai
import httpx
import pytest

from keitaro_mcp.compact import DEFAULT_MAX_TOKENS, apply_budget, estimate_tokens, to_number
from keitaro_mcp.envelope import to_json
from tests.conftest import TEST_API_KEY, Kt

pytestmark = pytest.mark.anyio
ENCODING = bpe_openai.get_encoding("cl100k_base")


def tokens(value: Any) -> int:
    return len(ENCODING.encode(to_json(value)))


async def test_compact_report_is_at_least_40_percent_smaller(kt: Kt, sandbox: Any) -> None:
    args = {"period": "all_time", "dimensions": ["campaign", "country_code"],
            "measures": ["clicks", "campaign_unique_clicks", "conversions", "revenue", "cost", "profit", "roi", "cr"],
            "limit": 50}  # fmt: skip
    env = await kt.ok("build_report", args)
    assert env["count"] == 50
    body = kt.wire.last.body
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url="http://t") as client:
        raw = (await client.post("/admin_api/v1/report/build", json=body, headers={"Api-Key": TEST_API_KEY})).json()
    ours, theirs = tokens(env["data"]), tokens({"rows": raw["rows"], "summary": raw["summary"]})
    assert ours <= 0.6 * theirs, (ours, theirs)


async def test_report_beyond_the_budget_is_cut_and_continues(kt: Kt) -> None:
    args = {"period": "all_time", "dimensions": ["sub_id"], "measures": ["clicks", "revenue"], "limit": 10_000}
    env = await kt.ok("build_report", args)
    meta = env["meta"]
    assert meta["truncated"] is True and meta["total"] > env["count"] > 100
    assert meta["next_offset"] == env["count"]
    assert tokens(env) <= DEFAULT_MAX_TOKENS
    assert tokens(env) >= 0.6 * DEFAULT_MAX_TOKENS  # the estimate is not wastefully cautious
    nxt = await kt.ok("build_report", {**args, "offset": meta["next_offset"]})
    assert kt.wire.last.body["offset"] == meta["next_offset"]
    assert nxt["data"]["rows"][0] != env["data"]["rows"][-1]
    assert nxt["data"]["summary"] == env["data"]["summary"]  # totals kept on every page


async def test_the_click_log_gets_the_budget_too(kt: Kt) -> None:
    env = await kt.ok("list_clicks", {"period": "all_time", "limit": 5_000})
    meta = env["meta"]
    assert meta["truncated"] is True and meta["next_offset"] == env["count"] < 5_000
    assert meta["total"] >= 5_000
    assert tokens(env) <= DEFAULT_MAX_TOKENS
    nxt = await kt.ok("list_clicks", {"period": "all_time", "limit": 5, "offset": meta["next_offset"]})
    assert nxt["data"]["rows"][0] != env["data"]["rows"][-1]


def test_estimate_is_an_upper_bound_on_varied_data() -> None:
    rng = random.Random(3)
    samples: list[Any] = [
        [{"campaign": f"FB | Nutra | {rng.randint(1, 99)} | US", "clicks": rng.randint(0, 99_999),
          "revenue": round(rng.random() * 9_999, 2), "roi": round(rng.random() * 300 - 100, 2)} for _ in range(300)],
        [{"name": f"Кампания ТикТок Бразилия {i}", "notes": "Тестовая заметка про оффер"} for i in range(300)],
        [[rng.getrandbits(50), round(rng.random() * 1e6, 4), f"{rng.getrandbits(60):x}"] for _ in range(500)],
        {"rows": [[f"2026-11-0{i % 9 + 1}", "US", i, i * 0.25] for i in range(800)]},
        {"rows": [[f"{i:06x}{rng.getrandbits(28):07x}", 1, 0] for i in range(800)]},  # hex sub ids
        [{"id": i, "name": f"TikTok | Dating | App SOI | Asia {i}", "alias": f"{rng.getrandbits(32):08x}", "token":
          "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32)), "state": "active",
          "cost_type": "CPC", "cost_value": "0.0450", "group_id": 2, "traffic_source_id": 3} for i in range(100)],
    ]  # fmt: skip
    for sample in samples:
        assert estimate_tokens(sample) >= tokens(sample)


def test_budget_cuts_plain_lists_and_keeps_small_ones() -> None:
    rows = [{"id": i, "name": f"Кампания {i}", "sub_id": f"{i * 7919:013x}"} for i in range(3_000)]
    envelope: Any = {"request": {}, "resource": "campaign", "operation": "getAll", "success": True, "data": rows}
    cut = apply_budget(envelope, offset=100)
    assert cut["meta"] == {"total": 3_100, "truncated": True, "next_offset": 100 + cut["count"]}
    assert tokens(cut) <= DEFAULT_MAX_TOKENS and cut["data"] == rows[: cut["count"]]
    no_paging = apply_budget(envelope, offset=None)
    assert "next_offset" not in no_paging["meta"]
    small: Any = {**envelope, "data": rows[:10]}
    assert apply_budget(small, offset=0) is small
    failed: Any = {**envelope, "success": False, "data": None, "error": {"message": "m", "responseData": {"a": 1}}}
    assert apply_budget(failed) is failed
    flood: Any = {**failed, "error": {"message": "m", "responseData": rows}}  # a composed tool's big error detail
    cut_error = apply_budget(flood)
    kept = cut_error["error"]["responseData"]
    assert tokens(cut_error) <= DEFAULT_MAX_TOKENS and kept and kept == rows[: len(kept)]


@pytest.mark.parametrize(
    ("raw", "number"),
    [("12", 12), ("12.50", 12.5), ("-3.0", -3), ("0", 0), (4.0, 4), ("007", "007"), ("1e5", "1e5"), ("", ""),
     (None, None), ("12a", "12a"), (True, True)],
)  # fmt: skip
def test_to_number(raw: Any, number: Any) -> None:
    assert to_number(raw) == number and type(to_number(raw)) is type(number)


def test_numbers_as_strings_become_numbers_in_reports() -> None:
    from keitaro_mcp.compact import compact_rows

    rows = [{"sub_id_1": "0012", "campaign_id": "7", "clicks": "120", "revenue": "33.5000"}]
    out = compact_rows(rows, ["sub_id_1", "campaign_id", "clicks", "revenue"], {"campaign_id", "clicks", "revenue"})
    assert out == [["0012", 7, 120, 33.5]]
    assert json.dumps(out) == '[["0012", 7, 120, 33.5]]'
