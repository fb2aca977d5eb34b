"""KEITARO_URL=sandbox: the server talks to an in-process sandbox tracker with the fixed demo keys."""

from __future__ import annotations

import pytest
from mcp import Client

from keitaro_mcp.sandbox import DEMO_API_KEY, DEMO_POSTBACK_KEY
from keitaro_mcp.sandbox_link import SANDBOX_BASE_URL, SANDBOX_KEYS
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import load_settings

pytestmark = pytest.mark.anyio


def test_demo_keys_match_the_sandbox() -> None:
    assert SANDBOX_KEYS == (DEMO_API_KEY, DEMO_POSTBACK_KEY)


async def test_sandbox_url_needs_no_credentials_and_answers() -> None:
    settings = load_settings({"KEITARO_URL": "sandbox"})
    assert settings.config_problem is None
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("list_campaigns", {"limit": 3})
    envelope = result.structured_content
    assert envelope is not None and envelope["success"], envelope
    assert envelope["request"]["url"] == f"{SANDBOX_BASE_URL}/campaigns?limit=3"
    assert envelope["count"] == 3
    assert DEMO_API_KEY not in str(envelope)
