"""list_clicks and list_conversions fetch only what they show: the page asked of Keitaro is the page returned plus
one row (to know whether more exist), whatever the period; never more rows than the result budget could show.

The tracker is httpx's MockTransport over 300,000 log rows, answering only the page asked for (as Keitaro does).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp.compact import DEFAULT_MAX_TOKENS
from keitaro_mcp.operations.clicks import CLICK_COLUMNS, DEFAULT_LIMIT
from keitaro_mcp.server import build_server
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

TOTAL = 300_000


class Log:
    """A click or conversion log of TOTAL rows; remembers how many rows it sent."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        limit = body.get("limit", TOTAL)  # no limit with a range: Keitaro sends the whole period
        offset = body.get("offset", 0)
        self.asked.append(limit)
        rows = [{c: f"{c}-{i}" for c in body["columns"]} for i in range(offset, min(TOTAL, offset + limit))]
        self.sent += len(rows)
        return httpx.Response(200, json={"rows": rows, "total": TOTAL})


async def call(tool: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], Log]:
    log = Log()
    async with Client(build_server(make_settings(), transport=httpx.MockTransport(log))) as client:
        result = await client.call_tool(tool, arguments)
    envelope = result.structured_content
    assert isinstance(envelope, dict) and envelope["success"], envelope
    return envelope, log


@pytest.mark.parametrize("tool", ["list_clicks", "list_conversions"])
async def test_a_period_without_a_limit_fetches_one_page(tool: str) -> None:
    """Was: the whole period (300k clicks: 22.8 s and 659 MB for 43 rows shown)."""
    envelope, log = await call(tool, {"period": "last_30_days"})
    assert log.asked == [DEFAULT_LIMIT + 1] and log.sent == DEFAULT_LIMIT + 1
    assert 0 < envelope["count"] <= DEFAULT_LIMIT
    meta = envelope["meta"]
    assert meta["total"] == TOTAL and meta["truncated"] and meta["next_offset"] == envelope["count"]


@pytest.mark.parametrize("tool", ["list_clicks", "list_conversions"])
async def test_the_next_page_continues_where_this_one_stopped(tool: str) -> None:
    envelope, log = await call(tool, {"period": "last_30_days", "limit": 5, "offset": 40, "columns": ["sub_id"]})
    assert log.asked == [6] and envelope["count"] == 5
    assert envelope["meta"]["next_offset"] == 45 and envelope["data"]["rows"][0] == ["sub_id-40"]


async def test_the_last_page_says_nothing_more() -> None:
    envelope, log = await call("list_clicks", {"limit": 10, "offset": TOTAL - 10, "columns": ["sub_id"]})
    assert log.asked == [11] and envelope["count"] == 10 and "next_offset" not in envelope["meta"]


async def test_a_large_limit_asks_for_no_more_than_the_budget_could_show() -> None:
    envelope, log = await call("list_clicks", {"period": "all_time", "limit": 10_000})
    # A cell costs at least 2 tokens even in a compact row ("x",): no more rows than this could ever be shown.
    assert log.asked[0] <= DEFAULT_MAX_TOKENS // (2 * len(CLICK_COLUMNS))
    assert envelope["meta"]["next_offset"] == envelope["count"] and envelope["meta"]["total"] == TOTAL
