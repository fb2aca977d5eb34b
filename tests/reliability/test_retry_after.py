"""`Retry-After` in any form (seconds, an HTTP date, garbage) never crashes a call: garbage means no hint, and the
answer is an envelope, never a JSON-RPC error. The tracker is httpx's MockTransport answering 429 or 503."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp import transport
from keitaro_mcp.errors import retry_after
from keitaro_mcp.server import build_server
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

GARBAGE = ["soon", "", "  ", "-5", "nan", "inf", "1e400", "0x10", "1_000", "١٠", "3, 4",
           "Mon, 99 Foo 2020 00:00:00 GMT", "99999999999999999999", "\x7f"]  # fmt: skip
VALID = [("0", 0.0), ("2", 2.0), ("1.5", 1.5), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
         ("Sat, 01 Jan 0001 00:00:00 +2359", 0.0)]  # fmt: skip


@pytest.mark.parametrize("raw", GARBAGE, ids=repr)
def test_garbage_means_no_hint(raw: str) -> None:
    assert retry_after(raw) is None


@pytest.mark.parametrize(("raw", "seconds"), VALID)
def test_seconds_and_dates(raw: str, seconds: float) -> None:
    assert retry_after(raw) == seconds
    future = retry_after("Fri, 31 Dec 2100 23:59:59 GMT")
    assert future is not None and future > 0


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("raw", [*GARBAGE, "3600", "Fri, 31 Dec 9999 23:59:59 GMT"], ids=repr)
@pytest.mark.parametrize("tool", ["get_campaign", "create_campaign"])
async def test_any_retry_after_is_an_envelope(
    tool: str, raw: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: `Retry-After: soon` raised inside the retry loop, and the call ended as a JSON-RPC internal error."""
    monkeypatch.setattr(transport, "BACKOFF_BASE", 0.001)  # retries without the real backoff's wait
    calls: list[httpx.Request] = []

    def throttled(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json={"error": "slow down"}, headers=[(b"Retry-After", raw.encode())])

    arguments: dict[str, Any] = {"campaign_id": 1} if tool == "get_campaign" else {"name": "n"}
    settings = make_settings(KEITARO_TIMEOUT="2")
    async with Client(build_server(settings, transport=httpx.MockTransport(throttled))) as client:
        result = await client.call_tool(tool, arguments)
    envelope: Any = result.structured_content
    assert result.is_error and envelope["error"]["kind"] == ("rate_limited" if status == 429 else "server")
    if status == 429 and retry_after(raw) is None:
        assert "retry after" not in envelope["error"]["hint"]
    assert len(calls) == (1 if tool == "create_campaign" or retry_after(raw) else 3)
