"""Shared fixtures: a sandbox tracker reached through a recording transport, and MCP clients on top of it.

Every test talks to 127.0.0.1 or to an in-process ASGI app; nothing leaves the machine.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from keitaro_mcp.settings import Settings, load_settings

pytest_plugins = ["tests.secrets_guard"]
TEST_API_KEY = "test-api-key-5f1c9a7e"
TEST_POSTBACK_KEY = "pbkey-3b8d0e"
TEST_URL = "http://tracker.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def contract_check() -> Iterator[None]:
    """Every exchange with any sandbox during the session is validated against Keitaro's OpenAPI document
    (with the commented deltas of tests/sandbox/contract.py, where the 2022 document is out of date).
    Without the document the check is off; the contract tests' skip reason says how to point at it."""
    from tests.sandbox.contract import SPEC_PATH, ContractRecorder

    if SPEC_PATH is None:
        yield
        return
    with ContractRecorder() as recorder:
        yield
    problems = recorder.problems()
    if problems:
        pytest.fail(f"{len(problems)} exchange(s) break the API contract:\n" + "\n".join(problems[:30]))


@dataclass
class Sent:
    """One request as it left the server: method, Admin API path (or full path outside it), query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(repr=False)  # carries the API key: never in a failure message


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    """Forwards to another transport and remembers every request (the wire, as Keitaro would see it)."""

    inner: httpx.AsyncBaseTransport
    sent: list[Sent] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = await request.aread()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        path = request.url.path.removeprefix("/admin_api/v1")
        self.sent.append(
            Sent(
                request.method, path, dict(request.url.params), body, {k.lower(): v for k, v in request.headers.items()}
            )
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def last(self) -> Sent:
        return self.sent[-1]


# Exports made by tests (the fuzzer calls export tools too) go to a scratch folder, never into the checkout.
TEST_EXPORT_DIR = tempfile.mkdtemp(prefix="keitaro-mcp-test-exports-")


def make_settings(**env: str) -> Settings:
    base = {
        "KEITARO_URL": TEST_URL,
        "KEITARO_API_KEY": TEST_API_KEY,
        "KEITARO_TOOLSETS": "all",
        "KEITARO_EXPORT_DIR": TEST_EXPORT_DIR,
    }
    base.update(env)
    return load_settings(base)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One seeded sandbox tracker for the session (tests that change state use their own entities)."""
    from keitaro_mcp.sandbox import Sandbox

    box = Sandbox(seed=7, clicks=8_000, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    yield box
    box.close()


@pytest.fixture
def wire(sandbox: Any) -> RecordingTransport:
    """A recording transport into the session sandbox."""
    return RecordingTransport(httpx.ASGITransport(app=sandbox.app))


@dataclass
class Kt:
    """An MCP client on a server wired to the sandbox; `call` returns the envelope and records the wire."""

    client: Client
    wire: RecordingTransport

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments or {})
        envelope = result.structured_content
        assert isinstance(envelope, dict)
        assert result.is_error == (not envelope["success"])
        text = result.content[0]
        assert json.loads(getattr(text, "text", "")) == envelope
        return envelope

    async def ok(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        envelope = await self.call(tool, arguments)
        assert envelope["success"], envelope.get("error")
        return envelope


@pytest.fixture
async def kt(wire: RecordingTransport) -> AsyncIterator[Kt]:
    """MCP client (in-memory transport) on a server with every toolset, talking to the sandbox."""
    server = build_server(make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY), transport=wire)
    async with Client(server, raise_exceptions=True) as client:
        yield Kt(client, wire)
