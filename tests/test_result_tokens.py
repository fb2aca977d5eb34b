"""Result budgets of the everyday calls, in cl100k tokens of the result text the model reads (the project's
tokenizer, bpe-openai), on a sandbox tracker of its own: 20 clicks <= 1,000, the 23 campaigns listed <= 1,500.
benchmarks/result_tokens.py records the same calls (and a campaign update) on the demo's tracker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import bpe_openai
import httpx
import pytest
from mcp import Client

from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from tests.conftest import TEST_API_KEY, make_settings

pytestmark = pytest.mark.anyio

ENCODING = bpe_openai.get_encoding("cl100k_base")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[Client]:
    box = Sandbox(seed=42, clicks=3_000, api_key=TEST_API_KEY)
    server = build_server(make_settings(), transport=httpx.ASGITransport(app=box.app))
    async with Client(server, raise_exceptions=True) as connected:
        yield connected
    box.close()


async def result_tokens(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = await client.call_tool(tool, arguments)
    text = getattr(result.content[0], "text", "")
    envelope = result.structured_content
    assert envelope is not None and envelope["success"], text[:500]
    return len(ENCODING.encode(text)), envelope


async def test_twenty_clicks_fit_in_a_thousand_tokens(client: Client) -> None:
    tokens, envelope = await result_tokens(client, "list_clicks", {"limit": 20})
    assert envelope["count"] == 20
    assert tokens <= 1_000, f"20 clicks are {tokens} tokens"


async def test_the_campaign_list_fits_in_fifteen_hundred_tokens(client: Client) -> None:
    tokens, envelope = await result_tokens(client, "list_campaigns", {})
    assert envelope["count"] == 23, "the sandbox's portfolio"
    assert tokens <= 1_500, f"23 campaigns are {tokens} tokens"


async def test_whole_objects_are_there_when_asked_for(client: Client) -> None:
    compact, _ = await result_tokens(client, "list_campaigns", {})
    full, envelope = await result_tokens(client, "list_campaigns", {"full": True})
    assert isinstance(envelope["data"], list) and "alias" in envelope["data"][0]
    assert compact < full / 2, (compact, full)
