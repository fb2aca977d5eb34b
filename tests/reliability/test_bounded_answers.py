"""Every call is bounded in time and memory, whatever the tracker sends.

A real tracker on 127.0.0.1 drips its answer a byte at a time (httpx's timeouts are per read: each byte restarts
them); trackers behind httpx's MockTransport stream bodies larger than the cap, send 20 MB error pages, a 20 MB
campaign object, or JSON nested hundreds of levels deep. Each call ends with an envelope within the budget.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import SocketStream
from mcp import Client

from keitaro_mcp.classify import MAX_ERROR_BODY, MAYBE_APPLIED
from keitaro_mcp.compact import DEFAULT_MAX_TOKENS, MAX_DEPTH, SHORTENED, estimate_tokens
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import Settings
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

TIMEOUT = 1.0
SLACK = 0.75
"""Seconds of scheduling noise allowed on top of the deadline (a loaded CI box)."""


async def call(settings: Settings, tool: str, arguments: dict[str, Any], network: Any = None) -> dict[str, Any]:
    async with Client(build_server(settings, transport=network), raise_exceptions=True) as client:
        result = await client.call_tool(tool, arguments)
    env = result.structured_content
    assert isinstance(env, dict) and result.is_error == (not env["success"])
    return env


class DripTracker:
    """Answers every request with headers at once, then its body one byte every `every` seconds."""

    def __init__(self, body: bytes, every: float) -> None:
        self.body = body
        self.every = every
        self.connections = 0

    async def handle(self, stream: SocketStream) -> None:
        self.connections += 1
        async with stream:
            try:
                await stream.receive()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(self.body)}\r\n\r\n"
                await stream.send(head.encode())
                for i in range(len(self.body)):
                    await anyio.sleep(self.every)
                    await stream.send(self.body[i : i + 1])
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                pass


@asynccontextmanager
async def serve(tracker: DripTracker) -> AsyncIterator[str]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, tracker.handle)
        yield f"http://127.0.0.1:{port}"
        tg.cancel_scope.cancel()


@pytest.mark.slow  # waits out a real deadline
@pytest.mark.parametrize(
    ("tool", "arguments", "maybe_applied"),
    [("get_campaign", {"campaign_id": 1}, False), ("create_campaign", {"name": "drip"}, True)],
)
async def test_a_slow_drip_body_ends_at_the_deadline_without_retries(
    tool: str, arguments: dict[str, Any], maybe_applied: bool
) -> None:
    """Was: one byte every 3 s held a call for 45 s with KEITARO_TIMEOUT=5 (each byte restarted httpx's timer)."""
    tracker = DripTracker(json.dumps({"id": 1, "name": "x" * 40}).encode(), every=0.2)  # 10 s of dripping
    async with serve(tracker) as url:
        started = time.monotonic()
        env = await call(make_settings(KEITARO_URL=url, KEITARO_TIMEOUT=str(TIMEOUT)), tool, arguments)
        elapsed = time.monotonic() - started
        assert env["error"]["kind"] == "timeout", env["error"]
        assert elapsed <= TIMEOUT + SLACK, f"{elapsed:.2f} s"
        assert tracker.connections == 1, "a body cut at the deadline is not retried"
        assert (MAYBE_APPLIED in env["error"]["hint"]) == maybe_applied


def streaming(chunks: int, size: int, *, length: bool, status: int = 200) -> tuple[Callable[..., Any], list[int]]:
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield b'{"rows": ["'
        for _ in range(chunks):
            sent.append(size)
            yield b"x" * size
        yield b'"]}'

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if length:
            headers["content-length"] = str(chunks * size + 14)
        return httpx.Response(status, headers=headers, content=body())

    return handler, sent


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "chunked"])
async def test_a_body_over_the_cap_is_too_large_and_not_read(length: bool) -> None:
    handler, sent = streaming(chunks=1_000, size=64 * 1024, length=length)  # 64 MB
    settings = make_settings(KEITARO_MAX_RESPONSE_MB="1")
    env = await call(settings, "list_campaigns", {}, httpx.MockTransport(handler))
    error = env["error"]
    assert error["kind"] == "too_large" and "1 MB" in error["message"], error
    assert "export_report" in error["hint"]
    assert sum(sent) <= (2 if not length else 0) * 1024 * 1024  # stopped reading at the cap (or never started)


async def test_error_bodies_are_cut_to_a_few_kilobytes() -> None:
    page = "<html>" + "not found " * 2_000_000 + "</html>"  # 20 MB
    env = await call(make_settings(), "get_campaign", {"campaign_id": 1},
                     httpx.MockTransport(lambda r: httpx.Response(404, text=page)))  # fmt: skip
    assert env["error"]["kind"] == "not_found"
    assert len(env["error"]["responseData"]) <= MAX_ERROR_BODY + 100
    assert "20,000,013 bytes in all" in env["error"]["responseData"]
    blob = json.dumps({"error": "x" * 5_000_000})
    env = await call(make_settings(), "get_campaign", {"campaign_id": 1},
                     httpx.MockTransport(lambda r: httpx.Response(404, text=blob)))  # fmt: skip
    assert len(json.dumps(env)) < 3 * MAX_ERROR_BODY
    small = {"alias": ["Alias is taken"]}
    env = await call(make_settings(), "create_campaign", {"name": "n"},
                     httpx.MockTransport(lambda r: httpx.Response(422, json=small)))  # fmt: skip
    assert env["error"]["responseData"] == small  # Keitaro's own field messages are kept whole


async def test_one_huge_object_is_held_to_the_result_budget() -> None:
    """Was: a 20 MB campaign object became a 42 MB MCP answer."""
    campaign = {"id": 1, "name": "big", "notes": "n" * 20_000_000, "parameters": {f"p{i}": i for i in range(50_000)}}
    env = await call(make_settings(), "get_campaign", {"campaign_id": 1},
                     httpx.MockTransport(lambda r: httpx.Response(200, json=campaign)))  # fmt: skip
    assert env["success"] and env["data"]["id"] == 1 and env["data"]["name"] == "big"
    assert env["meta"]["truncated"] is True and env["meta"]["note"] == SHORTENED
    assert estimate_tokens(env) <= DEFAULT_MAX_TOKENS


@pytest.mark.parametrize("depth", [300, 900, 5_000])
async def test_deeply_nested_json_is_an_envelope_not_a_crash(depth: int) -> None:
    body = "[" * depth + "]" * depth
    env = await call(make_settings(), "get_campaign", {"campaign_id": 1},
                     httpx.MockTransport(lambda r: httpx.Response(200, text=body)))  # fmt: skip
    if env["success"]:
        text = json.dumps(env["data"])
        assert text.count("[") <= MAX_DEPTH and env["meta"]["truncated"]
    else:
        assert env["error"]["kind"] == "not_json"  # deeper than the JSON parser goes
