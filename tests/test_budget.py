"""Context budgets: the tools/list answer measured in cl100k tokens, as the model reads it."""

from __future__ import annotations

import bpe_openai
import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

ENCODING = bpe_openai.get_encoding("cl100k_base")
DEFAULT_BUDGET = 3_500
ALL_BUDGET = 14_000


async def tools_list_tokens(toolsets: str) -> tuple[int, int]:
    async with Client(build_server(make_settings(KEITARO_TOOLSETS=toolsets))) as client:
        result = await client.list_tools()
    text = result.model_dump_json(by_alias=True, exclude_none=True, include={"tools"})
    return len(ENCODING.encode(text)), len(result.tools)


async def test_default_surface_fits_its_budget() -> None:
    tokens, count = await tools_list_tokens("default")
    assert count <= 25
    assert tokens <= DEFAULT_BUDGET, f"default tools/list is {tokens} tokens for {count} tools"


async def test_full_surface_fits_its_budget() -> None:
    tokens, count = await tools_list_tokens("all")
    assert tokens <= ALL_BUDGET, f"full tools/list is {tokens} tokens for {count} tools"
