"""Streamable HTTP: bearer token, Host/Origin checks, protocol errors, no token passthrough, bind refusal.

Our server runs under uvicorn on 127.0.0.1 (random port) and reaches a small sandbox in-process; every refused
request is checked not to have touched the tracker (the sandbox's request counters).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from keitaro_mcp.http import build_http_app, check_bind, security_settings
from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.sandbox import Sandbox, recording
from keitaro_mcp.settings import SettingsError
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, make_settings
from tests.reliability._servers import free_socket, mcp_over_http, serve_in_thread
from tests.secrets_guard import TEST_MCP_TOKEN, check

pytestmark = pytest.mark.slow  # a uvicorn server on loopback and a CLI process

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
LEGACY_INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


@dataclass
class Served:
    url: str
    port: int
    sandbox: Sandbox

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"

    def tracker_requests(self) -> int:
        return sum(self.sandbox.request_counts.values())


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    sandbox = Sandbox(seed=11, clicks=300, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    settings = make_settings(KEITARO_MCP_TOKEN=TEST_MCP_TOKEN, KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY)
    sock = free_socket()
    port = sock.getsockname()[1]
    app = build_http_app(
        settings, host="127.0.0.1", port=port, allowed_hosts=[], transport=httpx.ASGITransport(app=sandbox.app)
    )
    with serve_in_thread(app, sock=sock) as url:
        yield Served(url, port, sandbox)
    sandbox.close()


def tools_call(name: str, arguments: dict[str, Any], rid: int = 2) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


async def post(served: Served, body: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(served.mcp, content=content, headers={**ACCEPT, **(headers or {})}, **kwargs)
    check(response.text, "HTTP response body")
    check(dict(response.headers), "HTTP response headers")
    return response


def bearer(token: str = TEST_MCP_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_client_over_http_uses_own_key_and_never_forwards_the_token(served: Served, mode: str) -> None:
    with recording.recording() as exchanges:
        async with mcp_over_http(served.mcp, TEST_MCP_TOKEN, mode=mode) as client:
            tools = (await client.list_tools()).tools
            assert len(tools) == len(OPERATIONS)
            listed = (await client.call_tool("list_campaigns", {"full": True})).structured_content
            assert listed is not None and listed["success"], listed
            campaign_id = listed["data"][0]["id"]
            got = (await client.call_tool("get_campaign", {"campaign_id": campaign_id})).structured_content
            assert got is not None and got["success"] and got["data"]["id"] == campaign_id
    assert len(exchanges) == 2
    for exchange in exchanges:
        headers = {k.lower(): v for k, v in exchange.request_headers.items()}
        assert headers["api-key"] == TEST_API_KEY
        assert "authorization" not in headers
        assert all(TEST_MCP_TOKEN not in value for value in headers.values())


async def test_missing_or_wrong_token_is_401_with_a_bearer_challenge(served: Served) -> None:
    before = served.tracker_requests()
    call = tools_call("list_campaigns", {})
    missing = await post(served, call)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="keitaro-mcp"'
    wrong = await post(served, call, bearer("not-the-token"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith('Bearer realm="keitaro-mcp", error="invalid_token"')
    prefix = await post(served, call, bearer(TEST_MCP_TOKEN[:-1]))
    assert prefix.status_code == 401
    basic = await post(served, call, {"Authorization": f"Basic {TEST_MCP_TOKEN}"})
    assert basic.status_code == 401
    in_query = await post(served, call, params={"access_token": TEST_MCP_TOKEN})
    assert in_query.status_code == 401
    get = await post(served, call, bearer("x" * 10_000))
    assert get.status_code == 401
    assert served.tracker_requests() == before


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 421),
        ({"Host": "evil.example:8000"}, 421),
        ({"Host": "127.0.0.1:1"}, 421),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "http://127.0.0.1.evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "evil.example", "Authorization": "Bearer nope"}, 421),
    ],
)
async def test_bad_host_or_origin_is_refused_before_the_tracker(
    served: Served, headers: dict[str, str], status: int
) -> None:
    before = served.tracker_requests()
    response = await post(served, tools_call("list_campaigns", {}), {**bearer(), **headers})
    assert response.status_code == status
    assert served.tracker_requests() == before


async def test_own_origin_and_localhost_host_are_accepted(served: Served) -> None:
    response = await post(
        served,
        LEGACY_INIT,
        {**bearer(), "Origin": f"http://localhost:{served.port}", "Host": f"localhost:{served.port}"},
    )
    assert response.status_code == 200
    assert response.json()["result"]["serverInfo"]["name"] == "keitaro-mcp"
    assert "mcp-session-id" not in response.headers  # stateless: nothing to stick to one replica


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"[1, 2", -32700),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 5}', -32600),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "no/such/method"}', -32601),
        (b'"just a string"', -32600),
    ],
)
async def test_malformed_json_rpc_gets_a_protocol_error(served: Served, body: bytes, code: int) -> None:
    before = served.tracker_requests()
    response = await post(served, body, bearer())
    assert response.status_code in (200, 400, 404)
    payload = response.json()
    # mcp 2.3 answers a well-formed JSON value that is no JSON-RPC message with -32602 (the spec says -32600).
    allowed = {code, -32602} if code == -32600 else {code}
    assert payload["error"]["code"] in allowed, payload
    assert served.tracker_requests() == before


async def test_unknown_tool_is_a_protocol_error(served: Served) -> None:
    response = await post(served, tools_call("no_such_tool", {}), bearer())
    assert response.json()["error"]["code"] == -32602


async def test_oversized_body_is_413_and_oversized_argument_an_envelope(served: Served) -> None:
    before = served.tracker_requests()
    huge = await post(served, tools_call("list_campaigns", {"x": "a" * (5 * 1024 * 1024)}), bearer())
    assert huge.status_code == 413
    big = await post(served, tools_call("create_campaign", {"name": "a" * 1_500_000}), bearer())
    assert big.status_code == 200
    result = big.json()["result"]
    envelope = result["structuredContent"]
    assert result["isError"] is True
    assert envelope["error"]["kind"] == "invalid_arguments"
    assert envelope["error"]["responseData"][0]["field"] == "name"
    assert served.tracker_requests() == before


async def test_health_probe_needs_no_token_and_touches_nothing(served: Served) -> None:
    before = served.tracker_requests()
    async with httpx.AsyncClient() as http:
        response = await http.get(served.url + "/healthz", headers={"Host": "anything.example"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert served.tracker_requests() == before


def test_bind_beyond_loopback_needs_a_token() -> None:
    no_token = make_settings()
    check_bind(no_token, "127.0.0.1")
    check_bind(no_token, "::1")
    check_bind(no_token, "localhost")
    for host in ("0.0.0.0", "10.0.0.5", "::", "mcp.example.com"):
        with pytest.raises(SettingsError, match="KEITARO_MCP_TOKEN"):
            check_bind(no_token, host, ["mcp.example.com"])
    with_token = make_settings(KEITARO_MCP_TOKEN=TEST_MCP_TOKEN)
    check_bind(with_token, "10.0.0.5")
    check_bind(with_token, "0.0.0.0", ["mcp.example.com"])
    with pytest.raises(SettingsError, match="KEITARO_MCP_ALLOWED_HOSTS"):
        check_bind(with_token, "0.0.0.0")


def test_allowed_hosts_and_origins() -> None:
    loopback = security_settings("127.0.0.1", 8000)
    assert set(loopback.allowed_hosts) == {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"}
    assert "http://localhost:8000" in loopback.allowed_origins
    v6 = security_settings("2001:db8::5", 9000)
    assert v6.allowed_hosts == ["[2001:db8::5]:9000"]
    lb = security_settings("0.0.0.0", 8000, ["mcp.example.com", "api.example.com:8443"])
    assert {"mcp.example.com", "mcp.example.com:*", "api.example.com:8443", "127.0.0.1:8000"} <= set(lb.allowed_hosts)
    assert "https://mcp.example.com" in lb.allowed_origins
    assert "https://api.example.com:8443" in lb.allowed_origins


def test_cli_refuses_a_bind_beyond_loopback_without_token_with_one_line_and_exit_2() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    env.update({"KEITARO_URL": "http://127.0.0.1:9", "KEITARO_API_KEY": TEST_API_KEY})
    done = subprocess.run(
        [sys.executable, "-m", "keitaro_mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    check([done.stdout, done.stderr], "CLI output")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "KEITARO_MCP_TOKEN" in lines[0]
    assert done.stdout == ""
