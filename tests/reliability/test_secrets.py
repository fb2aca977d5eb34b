"""Secrets never leave the server: envelopes, URLs, error texts, debug stacks; and the guard plugin catches leaks.

The suite-wide guard (tests/secrets_guard.py) watches every test; these tests check that it does see leaks, and
drive the places a secret could slip out (a tracker echoing the key, an exception naming it, the postback URL).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.server import Server, ServerRequestContext
from mcp.types import CallToolRequestParams, CallToolResult, ListToolsResult, PaginatedRequestParams, TextContent, Tool

from keitaro_mcp.server import build_server
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, TEST_URL, Kt, make_settings, records
from tests.secrets_guard import TEST_MCP_TOKEN, expect_leak

ALL_SECRETS = (TEST_API_KEY, TEST_POSTBACK_KEY, TEST_MCP_TOKEN)


def leaky_server(text: str) -> Server[Any]:
    async def list_tools(ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=[Tool(name="leak", input_schema={"type": "object"})])

    async def call_tool(ctx: ServerRequestContext[Any], params: CallToolRequestParams) -> CallToolResult:
        return CallToolResult(content=[TextContent(type="text", text=text)])

    return Server("leaky", on_list_tools=list_tools, on_call_tool=call_tool)


async def test_guard_sees_a_secret_in_a_tool_result() -> None:
    with expect_leak() as seen:
        async with Client(leaky_server(f"key is {TEST_API_KEY}")) as client:
            await client.call_tool("leak", {})
    assert seen and "tool result" in seen[0] and "TEST_API_KEY" in seen[0]


@pytest.mark.secrets_allowed("self-test: the log record stays in pytest's captured log section")
def test_guard_sees_a_secret_in_logs_processes_and_caught_exceptions() -> None:
    with expect_leak() as seen:
        logging.getLogger("keitaro_mcp.selftest").warning("token %s", TEST_MCP_TOKEN)
    assert any("log record" in s for s in seen)
    with expect_leak() as seen:
        subprocess.run([sys.executable, "-c", "pass", TEST_POSTBACK_KEY], check=True)
    assert any("spawned process" in s for s in seen)
    with expect_leak() as seen, pytest.raises(ValueError):
        raise ValueError(f"bad key {TEST_API_KEY}")
    assert any("pytest.raises" in s for s in seen)


def echo_everything(request: httpx.Request) -> httpx.Response:
    """A hostile tracker: answers 500 with everything it received, secrets included."""
    body = {
        "error": f"echo {request.headers.get('api-key')}",
        "url": str(request.url),
        "headers": dict(request.headers),
    }
    return httpx.Response(500, json=body, headers={"x-echo": request.headers.get("api-key", "")})


def raising(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot connect with key {TEST_API_KEY} to {request.url}")


@pytest.mark.parametrize("handler", [echo_everything, raising], ids=["tracker-echoes", "exception-names-key"])
@pytest.mark.parametrize("debug", ["false", "true"])
async def test_no_secret_in_envelopes_even_when_the_tracker_echoes_it(handler: Any, debug: str) -> None:
    settings = make_settings(
        KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY, KEITARO_MCP_TOKEN=TEST_MCP_TOKEN, KEITARO_DEBUG=debug
    )
    server = build_server(settings, transport=httpx.MockTransport(handler))
    async with Client(server) as client:
        calls: list[tuple[str, dict[str, Any]]] = [
            ("get_campaign", {"campaign_id": 1}),
            ("create_campaign", {"name": f"n {TEST_MCP_TOKEN}"}),
            ("test_postback", {"sub_id": "abc"}),
        ]
        for tool, arguments in calls:
            result = await client.call_tool(tool, arguments)
            text = json.dumps(result.model_dump(mode="json"))
            assert result.is_error
            for secret in ALL_SECRETS:
                assert secret not in text
            if debug == "true" and handler is raising:
                assert "stack" in (result.structured_content or {})["error"]


async def test_postback_url_is_masked_in_request_url(kt: Kt) -> None:
    sub_id = records((await kt.ok("list_clicks", {"limit": 1}))["data"])[0]["sub_id"]
    envelope = await kt.call("test_postback", {"sub_id": sub_id, "status": "lead"})
    assert envelope["request"]["url"].startswith(f"{TEST_URL}/***/postback?")
    assert TEST_POSTBACK_KEY not in json.dumps(envelope)
    sent = [s for s in kt.wire.sent if s.path.endswith("/postback")]
    assert sent, "the postback went out"
    assert all(s.headers.get("api-key") is None for s in sent), "no Api-Key on the postback endpoint"
